import { clientError, ClientErrorNames } from "./errors";

export const LIMITS = {
  sessionId: [33, 256],
  clientToken: [33, 256],
  command: [1, 65536],
  timeout: [1, 3600],
  payloadBytes: 100_000_000,
  userId: [1, 1024],
  mcp: [1, 1024],
  traceInvoke: 128,
  traceCommands: 1024,
  tracestate: 512,
  baggage: 8192,
} as const;

function invalid(field: string, message: string): never {
  throw clientError(ClientErrorNames.invalidParameter, message, { fields: { field } });
}

/*
 * Header size limits. The contract documents per-header limits up to 8192 (baggage) and none for extra
 * headers, so a careful client caps every header value at that same 8192 bytes, and everything it builds
 * for one request (names and values, before Authorization) at 16 KiB: the sum of every documented maximum
 * fits, and common front doors (Node's default, many proxies) refuse larger header blocks anyway.
 */
export const HEADER_VALUE_MAX_BYTES = 8192;
export const HEADER_BLOCK_MAX_BYTES = 16384;

// Any C0 control but the tab (HTTP allows it inside a value), or DEL: CR/LF would split the request, the others
// are rejected by HTTP stacks later anyway.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
// Header values go on the wire as bytes: anything beyond ASCII (Latin-1 bytes in a header, UTF-8 in a WebSocket
// query) would name one value two ways, and servers read such bytes differently.
const NON_ASCII = /[^\u0000-\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Renders caller input for an error message: quoted; C0/C1 controls (CR, LF, …), DEL, surrogates, U+2028/9,
 * quotes and backslashes escaped; long values cut. An error message never carries a line break or an
 * unpaired surrogate, whatever the caller passed.
 */
export function quoteForMessage(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : typeof value === "symbol" ? String(value.description) : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f'\\\ud800-\udfff\u2028\u2029]/g, (c) => {
    if (c === "'") return "\\'";
    if (c === "\\") return "\\\\";
    if (c === "\r") return "\\r";
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  return `'${escaped}'${text.length > max ? ` (${text.length} characters)` : ""}`;
}

/** Text that UTF-8 cannot carry faithfully: a lone surrogate would be replaced by U+FFFD on the wire. */
export function checkWellFormed(field: string, value: string): string {
  if (LONE_SURROGATE.test(value)) invalid(field, `${field} contains an unpaired UTF-16 surrogate, which cannot be encoded as UTF-8`);
  return value;
}

/** A query parameter's value (the qualifier): any text but controls and lone surrogates; sent percent-encoded UTF-8. */
export function checkQueryValue(field: string, value: unknown): string {
  if (typeof value !== "string") invalid(field, `${field} must be a string, got ${value === null ? "null" : typeof value}`);
  if (CONTROL.test(value) || value.includes("\t")) invalid(field, `${field} contains a control character (CR, LF or similar)`);
  return checkWellFormed(field, value);
}

export function checkHeaderValue(field: string, value: unknown): string {
  if (typeof value !== "string") invalid(field, `${field} must be a string, got ${value === null ? "null" : typeof value}`);
  if (CONTROL.test(value)) invalid(field, `${field} contains a control character (CR, LF or similar), which is not allowed in an HTTP header`);
  if (NON_ASCII.test(value)) {
    invalid(field, `${field} contains characters outside ASCII, which HTTP servers read differently (encode them, e.g. with encodeURIComponent)`);
  }
  if (value.length > HEADER_VALUE_MAX_BYTES) invalid(field, `${field} is ${value.length} bytes; a header value may be at most ${HEADER_VALUE_MAX_BYTES}`);
  // HTTP strips leading and trailing whitespace from header values: the receiver would see a different value
  if (/^[ \t]|[ \t]$/.test(value)) invalid(field, `${field} starts or ends with whitespace, which HTTP would strip from a header value`);
  return value;
}

export function checkHeaderName(name: string): void {
  // (__proto__ would be dropped without a word by the object the headers are copied into)
  if (!TOKEN.test(name) || name === "__proto__") invalid("headers", `${quoteForMessage(name)} is not a valid HTTP header name`);
}

/** Hop-by-hop headers: they configure one connection (and HTTP stacks act on them), not the request. */
const HOP_BY_HOP = /^(keep-alive|proxy-connection|proxy-authorization|proxy-authenticate|te|trailer|upgrade|http2-settings)$/i;

/**
 * The caller's extra `headers`: a plain object (prototype Object.prototype or null) of string values,
 * validated name by name. Returns its entries; anything else is an InvalidParameterError naming `headers`.
 */
export function headerEntries(headers: unknown): [string, string][] {
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
    invalid("headers", `headers must be a plain object of header names to string values, got ${headers === null ? "null" : Array.isArray(headers) ? "an array" : typeof headers}`);
  }
  const proto = Object.getPrototypeOf(headers);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (proto as { constructor?: { name?: unknown } } | undefined)?.constructor?.name;
    invalid("headers", `headers must be a plain object of header names to string values, got ${typeof kind === "string" && TOKEN.test(kind) ? `a ${kind}` : "an object with a prototype"}`);
  }
  let entries: [string, unknown][];
  try {
    entries = Object.entries(headers as Record<string, unknown>);
  } catch {
    invalid("headers", "headers could not be read (a getter or proxy threw)");
  }
  const out: [string, string][] = [];
  for (const [name, value] of entries) {
    checkHeaderName(name);
    if (HOP_BY_HOP.test(name)) invalid("headers", `headers may not set ${quoteForMessage(name)}; it is a hop-by-hop header`);
    out.push([name, checkHeaderValue(`headers.${name}`, value)]);
  }
  return out;
}

/**
 * The whole header block a request will carry (names and values, before Authorization) against
 * HEADER_BLOCK_MAX_BYTES; the error names the field that contributes the most.
 */
export function checkHeaderBlock(headers: Record<string, string>, fieldOf: (name: string) => string): void {
  let total = 0;
  let largest = "";
  let largestSize = -1;
  for (const name of Object.keys(headers)) {
    const size = name.length + headers[name].length + 4; // ": " and CRLF
    total += size;
    if (size > largestSize) {
      largestSize = size;
      largest = name;
    }
  }
  if (total > HEADER_BLOCK_MAX_BYTES) {
    const field = fieldOf(largest);
    invalid(field, `the request's headers total ${total} bytes, over the ${HEADER_BLOCK_MAX_BYTES}-byte limit; ${field} is the largest`);
  }
}

export function checkLength(field: string, value: string, min: number, max: number): void {
  if (value.length < min || value.length > max) {
    const hint = field === "sessionId" ? " (session ids must be 33–256 characters; a UUID is 36)" : "";
    invalid(field, `${field} must be ${min}–${max} characters long, got ${value.length}${hint}`);
  }
}

export function checkOptionalHeader(field: string, value: unknown, min: number, max: number): string | undefined {
  if (value === undefined) return undefined;
  const text = checkHeaderValue(field, value);
  checkLength(field, text, min, max);
  return text;
}

/** Bearer tokens: visible ASCII only. The error never includes the token itself. */
export function checkToken(token: unknown): string {
  if (typeof token !== "string" || token.length === 0) {
    throw clientError(ClientErrorNames.token, "The bearer token is empty or not a string");
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw clientError(ClientErrorNames.token, "The bearer token contains whitespace, control or non-ASCII characters (CR/LF are never allowed in a header)", {
      fields: { field: "bearerToken" },
    });
  }
  return token;
}

export function checkCommand(command: unknown): string {
  if (typeof command !== "string") invalid("command", "command must be a string");
  checkWellFormed("command", command);
  // counted in characters (code points), as the service's length constraint is: a pair is one
  const [min, max] = LIMITS.command;
  const length = command.length - (command.match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length ?? 0);
  if (length < min || length > max) invalid("command", `command must be ${min}–${max} characters long, got ${length}`);
  return command;
}

export function checkTimeout(timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < LIMITS.timeout[0] || timeout > LIMITS.timeout[1]) {
    invalid("timeout", `timeout must be a whole number of seconds from ${LIMITS.timeout[0]} to ${LIMITS.timeout[1]}, got ${String(timeout)}`);
  }
  return timeout;
}

const CLIENT_TOKEN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$/;
export function checkClientToken(token: unknown): string {
  if (typeof token !== "string") invalid("clientToken", "clientToken must be a string");
  checkLength("clientToken", token, LIMITS.clientToken[0], LIMITS.clientToken[1]);
  if (!CLIENT_TOKEN.test(token)) invalid("clientToken", "clientToken may contain only letters, digits and single or repeated dashes between them");
  return token;
}

export function checkPayloadSize(bytes: number): void {
  if (bytes > LIMITS.payloadBytes) {
    invalid("payload", `payload is ${bytes} bytes; the service accepts at most ${LIMITS.payloadBytes}`);
  }
}
