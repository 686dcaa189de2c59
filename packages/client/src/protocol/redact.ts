// The one place the package removes credentials from what it shows: error messages, error fields and causes,
// `$response` snapshots, log lines. Browser-safe (no node: imports).

import { utf8Bytes, utf8Text } from "./bytes";

export const REDACTED = "[REDACTED]";

/** Exact secrets shorter than this are not replaced: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 4;

const PATTERNS: RegExp[] = [
  // a credential after "Bearer": 8+ token characters with at least one digit or symbol, so prose ("bearer token") survives
  /(\b[Bb]earer\s+)(?=[A-Za-z]*[0-9\-._~+/=])[A-Za-z0-9\-._~+/]{8,}=*/g,
  // JWT-shaped: header.payload.signature, the header being base64url JSON
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  // the WebSocket subprotocol that carries a bearer token
  /(base64UrlBearerAuthorization\.)[A-Za-z0-9_-]+/g,
];

/** Known secrets of a call or a client: tokens that may be opaque, so no pattern would find them. */
export type Secrets = Iterable<string | undefined> | undefined;

function usable(secrets: Secrets): string[] {
  if (!secrets) return [];
  const out = new Set<string>();
  for (const s of secrets) if (typeof s === "string" && s.length >= MIN_SECRET_LENGTH) out.add(s);
  // longest first, so a secret that contains another is replaced whole
  return [...out].sort((a, b) => b.length - a.length);
}

/** Arrays longer than this are walked by index only (see walk). */
const LONG_ARRAY = 65_536;

/** What every match of PATTERNS contains: a string without it (nearly all) skips the three scans. */
const MAY_MATCH = /[Bb]earer|eyJ|base64UrlBearerAuthorization\./;

function redactString(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  if (!MAY_MATCH.test(out)) return out;
  for (const re of PATTERNS) out = out.replace(re, (_m, prefix?: string) => `${typeof prefix === "string" ? prefix : ""}${REDACTED}`);
  return out;
}

function redactBytes(view: ArrayBufferView, secrets: string[]): ArrayBufferView {
  if (!(view instanceof Uint8Array)) return view;
  const text = utf8Text(view);
  const clean = redactString(text, secrets);
  return clean === text ? view : utf8Bytes(clean);
}

/** Live Node objects (sockets, requests, responses, streams): never kept inside an error, whatever they hold. */
function isEmitter(value: object): boolean {
  const v = value as { on?: unknown; emit?: unknown; pipe?: unknown };
  return typeof v.on === "function" && (typeof v.emit === "function" || typeof v.pipe === "function");
}

function placeholder(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return `[${typeof name === "string" && name ? name : "object"} removed]`;
}

function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function walk(value: unknown, secrets: string[], seen: Map<object, unknown>): unknown {
  if (typeof value === "string") return redactString(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  if (ArrayBuffer.isView(value)) {
    const out = redactBytes(value, secrets);
    seen.set(value, out);
    return out;
  }
  if (isEmitter(value)) {
    const out = placeholder(value);
    seen.set(value, out);
    return out;
  }
  seen.set(value, value);
  // a very long array by index (an error may hold a million events: listing their keys costs a string each, and
  // past 2^24 throws a RangeError); elements that are accessors or read-only are left as the generic path leaves
  // them. A shorter one, whose non-index fields (a RegExp match's `input`) may hold text, goes the generic way.
  if (Array.isArray(value) && value.length > LONG_ARRAY && !Object.isFrozen(value)) {
    for (let i = 0; i < value.length; i++) {
      const descriptor = Object.getOwnPropertyDescriptor(value, i);
      if (!descriptor || !("value" in descriptor)) continue;
      const next = walk(descriptor.value, secrets, seen);
      if (next !== descriptor.value && descriptor.writable) value[i] = next;
    }
    return value;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const next = walk(v, secrets, seen);
      if (next !== v) value.set(k, next);
    }
    return value;
  }
  const changes: [PropertyKey, unknown][] = [];
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    // accessors are not run: a getter may have side effects, and its value is not data the error holds
    if (!descriptor || !("value" in descriptor)) continue;
    const next = walk(descriptor.value, secrets, seen);
    if (next !== descriptor.value) changes.push([key, next]);
  }
  if (value instanceof Error && typeof value.stack === "string") {
    // V8 may keep `stack` as an accessor; its text repeats the message
    const descriptor = Object.getOwnPropertyDescriptor(value, "stack");
    if (!descriptor || !("value" in descriptor)) {
      const clean = redactString(value.stack, secrets);
      if (clean !== value.stack) changes.push(["stack", clean]);
    }
  }
  if (changes.length === 0) return value;
  let target: object = value;
  if (Object.isFrozen(value) && isPlainContainer(value)) {
    // a frozen snapshot (e.g. `$response`) is replaced by a redacted frozen copy
    target = Array.isArray(value) ? [...value] : Object.defineProperties(Object.create(Object.getPrototypeOf(value)), writableCopy(value));
  }
  for (const [key, next] of changes) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    try {
      if (!descriptor || descriptor.writable || !("value" in descriptor)) (target as Record<PropertyKey, unknown>)[key] = next;
      else if (descriptor.configurable) Object.defineProperty(target, key, { ...descriptor, value: next });
    } catch {
      // a read-only field of a foreign object: left as it is
    }
  }
  if (target !== value) {
    Object.freeze(target);
    seen.set(value, target);
  }
  return target;
}

function writableCopy(value: object): PropertyDescriptorMap {
  const out: PropertyDescriptorMap = {};
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    out[key as string] = "value" in descriptor ? { ...descriptor, writable: true, configurable: true } : { ...descriptor, configurable: true };
  }
  return out;
}

/**
 * Removes bearer credentials: anything shaped like one (`Bearer …`, JWTs, `base64UrlBearerAuthorization.…`) and
 * every occurrence of the exact `secrets` given (opaque tokens, client secrets). A string is returned redacted;
 * objects, arrays and errors are redacted in place at any depth (message, stack, `cause`, non-enumerable fields
 * included; cycles are fine), frozen plain objects are replaced by redacted frozen copies, and live Node objects
 * (sockets, requests, streams) found inside are replaced by a placeholder.
 */
/**
 * `text` cut to about `limit` characters for a message or a log line: the cut is moved to the end of the word it
 * falls in (at most 4 KiB further), so a token it would split stays whole for redaction to find (a token cut in
 * two no longer matches itself, and its first part would be printed).
 */
export function clipText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  const most = Math.min(text.length, limit + 4096);
  while (end < most && !/\s/.test(text[end])) end++;
  return end >= text.length ? text : `${text.slice(0, end)}…`;
}

/**
 * `text` with every occurrence of the given secrets replaced, and nothing else: for data that is not an error
 * (response headers, ids), where a token-shaped value that is not one of this call's secrets is left as sent.
 */
export function scrubSecrets(text: string, secrets: Secrets): string {
  let out = text;
  for (const secret of usable(secrets)) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

export function redact<T>(value: T, secrets?: Secrets): T {
  const live = usable(secrets);
  if (typeof value === "string") return redactString(value, live) as T;
  return walk(value, live, new Map()) as T;
}

// Secrets held for an object (a client's config, a command's input) without being a property of it: nothing
// that prints or serialises the object can reach them.
const held = new WeakMap<object, unknown>();

/** Keeps `value` for `holder` out of its properties; `undefined` forgets it. */
export function holdSecret(holder: object, value: unknown): void {
  if (value === undefined) held.delete(holder);
  else held.set(holder, value);
}

/** The value kept by `holdSecret`, if any. */
export function heldSecret(holder: object): unknown {
  return held.get(holder);
}

// Secrets an auth middleware met during a call (SigV4's session token and signature) for the logger, which sits
// outside it and sees the request unsigned. Kept on the call's context as a function, so printing the context
// shows no secret; under a registered symbol, because the SigV4 entry bundles its own copy of this module.
const CALL_SECRETS = Symbol.for("agentcore.callSecrets");

/** Makes `secrets()` the call's extra secrets (see `callSecrets`). */
export function shareCallSecrets(context: object, secrets: () => string[]): void {
  Object.defineProperty(context, CALL_SECRETS, { value: secrets, configurable: true });
}

/** The secrets an auth middleware shared for this call's context, if any. */
export function callSecrets(context: object): string[] {
  const secrets = (context as { [CALL_SECRETS]?: () => string[] })[CALL_SECRETS];
  return secrets === undefined ? [] : secrets();
}
