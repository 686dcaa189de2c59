// Real-time connections over WebSocket with bearer auth: `/ws` (bidirectional streaming) here, `/ws/shells` in
// shell.ts. The URL comes from the same endpoint resolution and input validation as the HTTPS commands.
import type { RuntimeClient } from "../RuntimeClient";
import type { RuntimePath } from "../commands/serde";
import type { WebSocketClosedError } from "../protocol/errors";
import { nodeSocketFactory, wsSocketFactory } from "../runtime/webSocketRuntime";
import type { Abort } from "../protocol/abort";
import type { Logger, ResolvedConfig, RuntimeClientConfig, RuntimeContext, TokenProvider } from "../types";
import {
  AgentRuntimeError,
  buildRequest,
  callerAbortError,
  checkToken,
  clientError,
  ClientErrorNames,
  endpointFromEnvironment,
  errorFromResponse,
  followSignal,
  headerValue,
  heldSecret,
  isLoopbackHost,
  LIMITS,
  listenToSignal,
  redact,
  scrubSecrets,
  sessionIdFor,
  SESSION_HEADER,
  startTimer,
  tokenSourceFor,
  UnauthorizedException,
  unlessAborted,
} from "./internals";
import { isFailure, whatwgFactory, type OpenFailure, type RawSocket, type SocketFactory, type SocketMessage, type WebSocketConstructorLike, type WsWebSocketClass } from "./socket";

export type { WebSocketConstructorLike, WhatwgSocket, WsWebSocketClass } from "./socket";

/** The subprotocol a browser offers (and the server selects) when the token travels as a subprotocol. */
export const BEARER_SUBPROTOCOL = "base64UrlBearerAuthorization";
/** The service and the official SDKs cap the encoded token at this many characters. */
const MAX_ENCODED_TOKEN = 4096;
const CUSTOM_HEADER = /^x-amzn-bedrock-agentcore-runtime-custom-/i;
const INSPECT = /* @__PURE__ */ Symbol.for("nodejs.util.inspect.custom");

/** Which runtime and session a WebSocket connects to. */
export interface WebSocketConnectionInput {
  /** A runtime ARN, or a runtime id together with `accountId`. */
  runtimeArn: string;
  /** Overrides the client's `token` for this connection. */
  bearerToken?: string | undefined;
  /** 33–256 characters; a UUID is generated when absent. */
  sessionId?: string | undefined;
  /** Endpoint name; omitted or `DEFAULT` means the default endpoint. */
  qualifier?: string | undefined;
  /** The AWS account that owns the runtime, when `runtimeArn` is a runtime id rather than an ARN. */
  accountId?: string | undefined;
  /**
   * Extra upgrade headers. `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*` ones are also put in the URL's query,
   * where the service reads them from clients that cannot send headers (browsers).
   */
  headers?: Record<string, string> | undefined;
}

/** What a WebSocket client needs to open the connection itself (a browser, another library, another process). */
export interface WebSocketConnectionInfo {
  /** `wss://…/runtimes/{arn}/ws?…`, carrying the session id (and custom headers) as query parameters. */
  url: string;
  /** For clients that can set headers (Node `ws`, Python): `Authorization: Bearer …`, the session id, extras. */
  headers: Record<string, string>;
  /**
   * For browsers (`new WebSocket(url, protocols)`): `base64UrlBearerAuthorization.<base64url token, no padding>`
   * and `base64UrlBearerAuthorization`; empty when there is no token.
   */
  protocols: string[];
  /** The session the connection uses (the given one, or a generated UUID). */
  sessionId: string;
}

/** A RuntimeClient (its token and endpoint settings), or a plain client configuration. */
export type WebSocketConfig = RuntimeClient | RuntimeClientConfig;

interface Prepared {
  info: WebSocketConnectionInfo;
  /** The token used, for redaction (undefined when none). */
  token?: string | undefined;
  tokens: TokenGetter;
  config: Pick<ResolvedConfig, "logger" | "connectionTimeout">;
}

interface TokenGetter {
  get(forceRefresh: boolean, rejected?: string, abort?: Abort): Promise<string | undefined>;
  readonly refreshable: boolean;
}

/** Configs already warned about plain ws:// to a host that is not loopback. */
const warned = /* @__PURE__ */ new WeakSet<object>();

function isClient(config: unknown): config is RuntimeClient {
  return typeof config === "object" && config !== null && typeof (config as RuntimeClient).send === "function" && typeof (config as RuntimeClient).config === "object";
}

function tokensFor(input: WebSocketConnectionInput, config: WebSocketConfig | undefined): TokenGetter {
  if (input.bearerToken !== undefined) {
    const token = input.bearerToken;
    return { refreshable: false, get: async () => checkToken(token) };
  }
  let holder: object | undefined;
  let token: string | TokenProvider | undefined;
  if (isClient(config)) {
    holder = config.config;
    token = heldSecret(config.config) as string | TokenProvider | undefined;
  } else if (config) {
    holder = config;
    token = config.token;
  }
  if (token === undefined || holder === undefined) return { refreshable: false, get: async () => undefined };
  if (typeof token === "string") return { refreshable: false, get: async () => checkToken(token) };
  const memo = tokenSourceFor(holder, token);
  return { refreshable: true, get: (force, rejected, abort) => memo.get(force, rejected, abort) };
}

function resolvedConfigOf(config: WebSocketConfig | undefined): ResolvedConfig {
  if (isClient(config)) return config.config;
  const plain = (config ?? {}) as RuntimeClientConfig;
  const { token: _token, requestHandler: _handler, ...rest } = plain;
  return { ...rest, endpoint: plain.endpoint ?? endpointFromEnvironment() } as ResolvedConfig;
}

/** `base64url(token)` without padding, as the service's subprotocol carries it. */
function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const enc = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Builds the connection for `path` (`ws`, or `ws/shells` with `extraQuery.shellId`): validates the input like
 * the HTTPS commands (same errors), resolves the endpoint the same way, refuses plain `ws://` to a host that is
 * not loopback unless `allowInsecureHttp` is set.
 */
export function buildInfo(
  input: WebSocketConnectionInput,
  config: ResolvedConfig,
  token: string | undefined,
  path: "ws" | "ws/shells",
  extraQuery: Record<string, string> = {},
): WebSocketConnectionInfo {
  if (typeof input !== "object" || input === null) throw clientError(ClientErrorNames.invalidParameter, "The input must be an object with runtimeArn", { fields: { field: "input" } });
  const sessionId = sessionIdFor(input);
  // the request skeleton of the HTTPS commands: the same ARN parsing, endpoint, encoding and header checks
  const request = buildRequest(input, { config } as RuntimeContext, path as string as RuntimePath, {
    traceLimit: LIMITS.traceInvoke,
    sessionId,
    headers: {},
    body: "",
  });
  const secure = request.protocol === "https:";
  if (!secure && token !== undefined && !isLoopbackHost(request.hostname)) {
    if (config.allowInsecureHttp !== true) {
      throw clientError(
        ClientErrorNames.insecureEndpoint,
        `Refusing to send a bearer token over plain ws:// to ${request.hostname}; use https, a loopback host for local development, or allowInsecureHttp: true for a trusted network`,
      );
    }
    if (!warned.has(config)) {
      warned.add(config);
      config.logger?.warn?.(`agentcore: allowInsecureHttp is set: sending bearer tokens over plain ws:// to ${request.hostname}; anyone on the network path can read them`);
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (name.toLowerCase() !== "content-length") headers[name] = value;
  const query: [string, string][] = Object.entries(request.query as Record<string, string>);
  for (const [name, value] of Object.entries(extraQuery)) query.push([name, value]);
  // browsers cannot send headers: the session id and custom headers also travel in the query
  query.push([SESSION_HEADER, sessionId]);
  for (const [name, value] of Object.entries(input.headers ?? {})) if (CUSTOM_HEADER.test(name)) query.push([name, value]);
  const protocols: string[] = [];
  if (token !== undefined) {
    headers.Authorization = `Bearer ${token}`;
    const encoded = base64url(token);
    if (encoded.length > MAX_ENCODED_TOKEN) {
      throw clientError(ClientErrorNames.token, `The bearer token is too long for a WebSocket subprotocol (${encoded.length} base64url characters, at most ${MAX_ENCODED_TOKEN})`);
    }
    protocols.push(`${BEARER_SUBPROTOCOL}.${encoded}`, BEARER_SUBPROTOCOL);
  }
  const host = request.port === undefined ? request.hostname : `${request.hostname}:${request.port}`;
  const url = `${secure ? "wss" : "ws"}://${host}${request.path}?${query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&")}`;
  const info: WebSocketConnectionInfo = { url, headers, protocols, sessionId };
  // console.log / util.inspect show it without the token; JSON.stringify (handing it to a browser) keeps it
  Object.defineProperty(info, INSPECT, { value: () => ({ url, headers: redact({ ...headers }, [token]), protocols: redact([...protocols], [token]), sessionId }), enumerable: false });
  return info;
}

async function prepare(
  input: WebSocketConnectionInput,
  config: WebSocketConfig | undefined,
  path: "ws" | "ws/shells",
  extraQuery?: Record<string, string>,
  forceRefresh = false,
  rejected?: string,
  abort?: Abort,
): Promise<Prepared> {
  const resolved = resolvedConfigOf(config);
  const tokens = tokensFor(input ?? ({} as WebSocketConnectionInput), config);
  // (with the caller's abort: a slow provider does not hold an aborted connect)
  const token = await tokens.get(forceRefresh, rejected, abort);
  return { info: buildInfo(input, resolved, token, path, extraQuery), token, tokens, config: resolved };
}

/**
 * The URL, headers and subprotocols to open a WebSocket to the runtime's `/ws` with a bearer token, for any
 * WebSocket client: Node clients send `headers`; browsers pass `protocols` (`new WebSocket(url, protocols)`).
 * `config` is a RuntimeClient (its token, provider included, and endpoint settings) or a plain client config.
 *
 * The package exports this through lazy.ts (its doc comment there is the public one: keep the two alike).
 */
export async function getWebSocketConnection(input: WebSocketConnectionInput, config?: WebSocketConfig): Promise<WebSocketConnectionInfo> {
  const secrets: (string | undefined)[] = [input?.bearerToken];
  try {
    const { info, token } = await prepare(input, config, "ws");
    secrets.push(token);
    return info;
  } catch (e) {
    throw redact(e, secrets);
  }
}

/** How a WebSocket ended. */
export interface WebSocketCloseInfo {
  /**
   * The close code: 1000 normal, 1001 going away, 1006 dropped, 1008 policy, 1011 server error, …; or the code
   * the client itself closed with on finding the server's frames at fault (Node with `ws`): 1009 a message over
   * 16 MiB, 1007 invalid UTF-8 in a text message, 1008 a message in too many fragments, 1002 another protocol
   * error.
   */
  code: number;
  /** The close reason the server sent (may be empty), or what the client found at fault. */
  reason: string;
}

/** What `for await` yields: a text message as a string, a binary one as bytes. */
export type WebSocketMessage = string | Uint8Array;

/**
 * An open WebSocket to the runtime. Iterate it for the received messages in order (one iteration; breaking out
 * closes the connection); it ends normally when the connection closes with 1000, and throws a
 * `WebSocketClosedError` (`code`, `reason`) for an abnormal close (1001, 1006, 1008, 1009, 1011, …).
 */
export interface WebSocketConnection extends AsyncIterable<WebSocketMessage> {
  /** The session the connection belongs to. */
  readonly sessionId: string;
  /** The subprotocol the server selected (`base64UrlBearerAuthorization` with subprotocol auth, else ""). */
  readonly protocol: string;
  /** The 101 response's headers (lower-case names), where the platform exposes them (Node with `ws`). */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** Bytes queued by `send` but not yet sent. */
  readonly bufferedAmount: number;
  /** Resolves when the connection has closed, however it closed; never rejects. */
  readonly closed: Promise<WebSocketCloseInfo>;
  /**
   * Sends a text message (a string), a binary one (bytes), or any other value as JSON text: one frame, handed to
   * the socket at once. The service closes a connection that sends more than 250 frames in a second (1008).
   */
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView | object | number | boolean | null): void;
  /**
   * Starts the closing handshake (code 1000 or 3000–4999): messages not read yet are dropped, and the iteration
   * then ends normally. A server that does not answer within 2 s is cut off (`closed` then gives 1006).
   */
  close(code?: number, reason?: string): void;
}

/** Options of `connectWebSocket`. */
export interface ConnectWebSocketOptions {
  /** Aborts the upgrade (AbortError, or DeadlineExceededError for `AbortSignal.timeout()`), or closes an open connection. */
  signal?: AbortSignal | undefined;
  /**
   * A WHATWG WebSocket constructor to use instead of the default (Node: the `ws` package, else the platform's;
   * browsers: the platform's). With one, the token travels as a subprotocol and upgrade refusals are opaque.
   */
  WebSocket?: WebSocketConstructorLike | undefined;
  /**
   * Node: the `ws` package's WebSocket class (`import { WebSocket } from "ws"`), used as the client uses the `ws` it
   * loads itself (the token as a header, pings, a refused upgrade's typed error). For when the client cannot
   * load `ws`: a bundle that leaves it out, or an install where `ws` is not in a folder the client resolves
   * from (a CLI or framework with its own copy). Not with `WebSocket`; refused in browser builds.
   */
  ws?: WsWebSocketClass | undefined;
  /**
   * A ready-made connection instead of the client's bearer token: e.g. from the `sigv4` subpath's
   * `getSignedWebSocketConnection` or `getPresignedWebSocketUrl` for an IAM runtime. A function is called for
   * every (re)connect with the session id (and shell id) in use, so each attempt gets a fresh signature.
   */
  connection?: WebSocketConnectionInfo | ((target: ConnectionTarget) => WebSocketConnectionInfo | Promise<WebSocketConnectionInfo>) | undefined;
  /**
   * Node with `ws`: a WebSocket ping every this many ms, default 20000 (as the `websockets` library the official
   * Python SDK uses). A ping with no answer (no pong, no message) by the time the next one is due means a dead
   * peer: the connection is dropped and the iteration fails with a retryable WebSocketClosedError 1006. While a
   * slow reader holds the connection back nothing is read, so nothing counts as unanswered. 0, or 2^31-1 ms and
   * more: no pings; 1–99 are refused. The platform WebSocket (browsers) cannot send pings: there this does nothing.
   */
  pingIntervalMs?: number | undefined;
}

/** What a ready-made connection must carry: the session (and shell) the caller is (re)connecting to. */
export interface ConnectionTarget {
  /** Undefined on a first connect without a session id: the connection chooses one. */
  sessionId?: string | undefined;
  /** The shell being (re)attached, for `openShell`'s connections; undefined for a plain WebSocket. */
  shellId?: string | undefined;
}

/** The credentials a ready-made connection carries (header, query), removed from every error like tokens. */
function connectionSecrets(info: WebSocketConnectionInfo): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(info.headers ?? {})) if (/^(authorization|x-amz-security-token)$/i.test(name)) out.push(value);
  try {
    const query = new URL(info.url).searchParams;
    for (const name of ["X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Credential"]) {
      const value = query.get(name);
      if (value) out.push(value, encodeURIComponent(value));
    }
  } catch {
    // not a URL: nothing to take from its query
  }
  return out;
}

/** A ready-made connection, prepared like a bearer one but with nothing to refresh. */
async function preparedFrom(
  given: NonNullable<ConnectWebSocketOptions["connection"]>,
  client: WebSocketConfig,
  target: ConnectionTarget,
  secrets: (string | undefined)[],
  abort?: Abort,
): Promise<Prepared> {
  const asked = typeof given === "function" ? Promise.resolve(given(target)) : undefined;
  const info = asked ? await (abort ? unlessAborted(asked, abort) : asked) : (given as WebSocketConnectionInfo);
  if (!info || typeof info.url !== "string" || typeof info.sessionId !== "string") {
    throw clientError(ClientErrorNames.invalidParameter, "options.connection must give { url, headers, protocols, sessionId }", { fields: { field: "connection" } });
  }
  secrets.push(...connectionSecrets(info));
  return {
    info: { url: info.url, headers: { ...info.headers }, protocols: [...(info.protocols ?? [])], sessionId: info.sessionId },
    tokens: { get: async () => undefined, refreshable: false },
    config: resolvedConfigOf(client),
  };
}

/**
 * Messages, and their bytes (characters for text), a connection holds for a slow reader before it stops reading
 * from the network (`ws` only): many small messages, or a few large ones, are capped alike.
 */
const HIGH_WATER_MESSAGES = 256;
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** How long a close (`close()`, an abort, a fault the client found) waits for the peer's answer before dropping the connection. */
const CLOSE_GUARD_MS = 2000;
/** `pingIntervalMs` when none is given. */
const DEFAULT_PING_INTERVAL_MS = 20_000;

const sizeOf = (data: SocketMessage) => (typeof data === "string" ? data.length : data.byteLength);

class Connection implements WebSocketConnection {
  readonly sessionId: string;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly closed: Promise<WebSocketCloseInfo>;
  readonly #socket: RawSocket;
  readonly #secrets: (string | undefined)[];
  readonly #queue: SocketMessage[] = [];
  #queuedBytes = 0;
  #waiter: { resolve(v: IteratorResult<WebSocketMessage>): void; reject(e: unknown): void } | undefined;
  #end: { error?: AgentRuntimeError } | undefined;
  #closing = false;
  #abortError: AgentRuntimeError | undefined;
  #iterated = false;
  #paused = false;
  /** The close code and reason of a fault the client found in the peer's frames: how the connection ended. */
  #fault: [number, string] | undefined;
  #closeGuard: ReturnType<typeof setTimeout> | undefined;
  #pings: ReturnType<typeof setInterval> | undefined;
  // a ping was sent and nothing has come back since
  #unanswered = false;
  #resolveClosed!: (info: WebSocketCloseInfo) => void;
  #cleanup: () => void = () => undefined;

  constructor(socket: RawSocket, sessionId: string, responseHeaders: Record<string, string> | undefined, secrets: (string | undefined)[]) {
    this.#socket = socket;
    this.sessionId = sessionId;
    // a token of this connection the server echoes in its 101 response is removed (only those: a cookie or other
    // value that merely looks like a token is the server's and stays as sent)
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(responseHeaders ?? {})) headers[name] = scrubSecrets(value, secrets);
    this.responseHeaders = Object.freeze(headers);
    this.#secrets = secrets;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** @internal wires the socket's events and the caller's signal */
  attach(signal: AbortSignal | undefined): void {
    if (!signal) return;
    const onAbort = () => {
      this.#abortError = callerAbortError(signal.reason);
      this.close(1000, "aborted");
    };
    // through the shared hub, as send() does: one listener on a signal whatever the number of connections
    this.#cleanup = listenToSignal(signal, onAbort);
  }

  /** @internal pings every `every` ms; one unanswered when the next is due drops the connection (1006) */
  startPings(every: number | undefined): void {
    const socket = this.#socket;
    every ??= DEFAULT_PING_INTERVAL_MS;
    if (!socket.ping || !(every > 0) || every >= 2 ** 31 - 1) return;
    this.#pings = setInterval(() => {
      if (this.#end || this.#closing) return;
      // held back for a slow reader, nothing is read: an answer may be waiting unread, so silence proves nothing
      if (this.#paused) this.#unanswered = false;
      else if (this.#unanswered) {
        this.#fault ??= [1006, `no answer to a ping within ${every} ms`];
        socket.terminate();
        this.#guardClose();
        return;
      }
      this.#unanswered = true;
      try {
        socket.ping!();
      } catch {
        // closing: its close event ends the connection
      }
    }, every);
    (this.#pings as { unref?: () => void }).unref?.();
  }

  /** @internal */
  onPong(): void {
    this.#unanswered = false;
  }

  /** @internal */
  onMessage(data: SocketMessage): void {
    this.#unanswered = false;
    // after close() nobody reads: what the peer sends before its close reply is dropped, not held
    if (this.#end || this.#closing) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: data, done: false });
      return;
    }
    this.#queue.push(data);
    this.#queuedBytes += sizeOf(data);
    if (!this.#paused && (this.#queue.length >= HIGH_WATER_MESSAGES || this.#queuedBytes >= HIGH_WATER_BYTES) && this.#socket.pause) {
      this.#paused = true;
      // stops reading the socket; the messages of a chunk already read still arrive and are queued (one read more)
      this.#socket.pause();
    }
  }

  /** @internal the client found the peer's frames at fault and is closing with `code` (see `SocketEvents.fault`) */
  onFault(code: number, reason: string): void {
    if (this.#end) return;
    this.#fault ??= [code, reason];
    this.#guardClose();
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.#finish(code, reason);
  }

  /** A peer that never answers the close handshake must not keep `closed`, the iteration and the process waiting (`ws`: 30 s). */
  #guardClose(): void {
    if (this.#closeGuard) return;
    this.#closeGuard = setTimeout(() => {
      this.#socket.terminate();
      this.#finish(1006, "");
    }, CLOSE_GUARD_MS);
    (this.#closeGuard as { unref?: () => void }).unref?.();
  }

  #finish(code: number, reason: string): void {
    if (this.#end) return;
    if (this.#fault) [code, reason] = this.#fault;
    clearTimeout(this.#closeGuard);
    clearInterval(this.#pings);
    this.#cleanup();
    const cleanReason = redact(reason, this.#secrets);
    let error: AgentRuntimeError | undefined = this.#abortError;
    if (!error && !this.#closing && code !== 1000 && code !== 1005) error = closeError(code, cleanReason, this.#secrets);
    this.#end = { error };
    this.#resolveClosed({ code, reason: cleanReason });
    if (this.#waiter && this.#queue.length === 0) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (error) waiter.reject(error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView | object | number | boolean | null): void {
    // (closing from either side: `ws` would drop the message without a word)
    if (this.#end || this.#closing || !this.#socket.open) {
      throw clientError(ClientErrorNames.webSocketClosed, "The WebSocket is closed or closing: nothing can be sent");
    }
    this.#socket.send(encodeMessage(data));
  }

  close(code = 1000, reason = ""): void {
    if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw clientError(ClientErrorNames.invalidParameter, `close code must be 1000 or 3000-4999, got ${String(code)}`, { fields: { field: "code" } });
    }
    if (typeof reason !== "string" || new TextEncoder().encode(reason).length > 123) {
      throw clientError(ClientErrorNames.invalidParameter, "close reason must be a string of at most 123 UTF-8 bytes", { fields: { field: "reason" } });
    }
    if (this.#end || this.#closing) return;
    this.#closing = true;
    // what is queued will not be read; and a paused socket would never read the peer's close reply
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume?.();
    }
    this.#socket.close(code, reason);
    this.#guardClose();
  }

  /** @internal drops the connection without a close handshake (shells: a detach the server sees as a drop) */
  terminate(): void {
    this.#closing = true;
    this.#socket.terminate();
  }

  [Symbol.asyncIterator](): AsyncIterator<WebSocketMessage> {
    if (this.#iterated) throw clientError(ClientErrorNames.streamConsumed, "A WebSocket connection can be iterated once");
    this.#iterated = true;
    return {
      next: () => {
        const value = this.#queue.shift();
        if (value !== undefined) {
          this.#queuedBytes -= sizeOf(value);
          if (this.#paused && this.#queue.length < HIGH_WATER_MESSAGES / 2 && this.#queuedBytes < HIGH_WATER_BYTES / 2) {
            this.#paused = false;
            this.#socket.resume?.();
          }
          return Promise.resolve({ value, done: false });
        }
        if (this.#end) return this.#end.error ? Promise.reject(this.#end.error) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
      },
      return: async () => {
        // breaking out of `for await` closes the connection, as cancelling an HTTP stream does
        if (!this.#end) this.close(1000, "");
        return { value: undefined, done: true };
      },
    };
  }

  toJSON(): Record<string, unknown> {
    return { sessionId: this.sessionId, protocol: this.protocol };
  }
}

/** A close code as the SDK's typed error; its reason is the server's text, credentials removed. */
export function closeError(code: number, reason: string, secrets: (string | undefined)[] = []): WebSocketClosedError {
  const meaning = CLOSE_MEANINGS[code];
  const message = `The WebSocket closed with ${code}${meaning ? ` (${meaning})` : ""}${reason ? `: ${reason}` : ""}`;
  return clientError(ClientErrorNames.webSocketClosed, message, {
    fields: { code, reason },
    retryable: code === 1001 || code === 1006,
    secrets: secrets.filter((s): s is string => typeof s === "string"),
  });
}

const CLOSE_MEANINGS: Record<number, string> = {
  1001: "going away",
  1002: "protocol error",
  1003: "unsupported data",
  1006: "connection dropped without a close frame",
  1007: "invalid payload",
  1008: "policy violation",
  1009: "message too big",
  1011: "server or agent error",
  1012: "service restart",
  1013: "try again later",
  4000: "another client attached to this shell",
};

function encodeMessage(data: unknown): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (e) {
    throw clientError(ClientErrorNames.invalidParameter, `send() could not encode the value as JSON: ${(e as Error)?.message ?? e}`, { fields: { field: "data" }, cause: e });
  }
  if (json === undefined) throw clientError(ClientErrorNames.invalidParameter, `send() takes a string, bytes or a JSON value, got ${typeof data}`, { fields: { field: "data" } });
  return json;
}

/** The WebSocket implementation for this platform: `ws` in Node when installed, else the platform's. */
async function factoryFor(options: ConnectWebSocketOptions): Promise<SocketFactory> {
  if (options.WebSocket) return whatwgFactory(options.WebSocket);
  if (options.ws !== undefined) return wsSocketFactory(options.ws)!;
  const node = await nodeSocketFactory();
  if (node) return node;
  const platform = (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (typeof platform === "function") return whatwgFactory(platform);
  throw clientError(ClientErrorNames.invalidParameter, "No WebSocket implementation: on Node 20 install the `ws` package (npm install ws), or pass options.ws or options.WebSocket", {
    fields: { field: "WebSocket" },
  });
}

/**
 * How long a real-time connection waits to open (the upgrade, a shell's confirmation): the client's
 * `connectionTimeout`, or 30 s when it has none. A plain config is not validated, so anything but a positive number
 * is taken as unset.
 */
export function connectWaitMs(connectionTimeout: unknown): number {
  return typeof connectionTimeout === "number" && connectionTimeout > 0 ? connectionTimeout : 30_000;
}

/** An upgrade failure as the SDK's typed error: the HTTP error of a refused upgrade maps as for HTTPS calls. */
function failureError(failure: OpenFailure, url: string, secrets: (string | undefined)[]): AgentRuntimeError {
  const known = secrets.filter((s): s is string => typeof s === "string");
  switch (failure.kind) {
    case "response": {
      const response = { statusCode: failure.statusCode, reason: failure.reason, headers: failure.headers, body: failure.body } as never;
      const requestId = headerValue(failure.headers, "x-amzn-requestid");
      return errorFromResponse(response, failure.body, { httpStatusCode: failure.statusCode, ...(requestId ? { requestId } : {}) }, known);
    }
    case "timeout":
      return clientError(ClientErrorNames.connectionTimeout, "The WebSocket upgrade did not complete within connectionTimeout", { fields: { beforeResponse: true }, retryable: true, secrets: known });
    case "network": {
      const code = (failure.error as { code?: unknown })?.code;
      return clientError(ClientErrorNames.network, `The WebSocket connection to ${hostOf(url)} failed: ${(failure.error as Error)?.message ?? String(failure.error)}`, {
        cause: failure.error,
        fields: { ...(typeof code === "string" ? { code } : {}), beforeResponse: true },
        retryable: true,
        secrets: known,
      });
    }
    default:
      return clientError(
        ClientErrorNames.network,
        `The WebSocket upgrade to ${hostOf(url)} failed${failure.code ? ` (close ${failure.code})` : ""}; this WebSocket implementation does not tell why (a refused token, an unknown runtime and a network failure look alike)`,
        { fields: { beforeResponse: true }, secrets: known },
      );
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the runtime";
  }
}

/** @internal what shell.ts needs besides the public API */
export interface OpenedConnection {
  connection: WebSocketConnection & { terminate(): void };
  secrets: (string | undefined)[];
}

/**
 * Opens a connection to `path`: one retry after a 401 when the token comes from a provider (with
 * `forceRefresh`), as HTTPS calls do. Every token used is removed from every error.
 */
export async function openConnection(
  client: WebSocketConfig,
  input: WebSocketConnectionInput,
  path: "ws" | "ws/shells",
  extraQuery: Record<string, string> | undefined,
  options: ConnectWebSocketOptions,
): Promise<OpenedConnection> {
  const secrets: (string | undefined)[] = [input?.bearerToken];
  const signal = options.signal;
  // waits before the upgrade (a token provider, a connection function) end at once when the signal aborts
  const follow = signal && followSignal(signal, callerAbortError);
  try {
    if (signal?.aborted) throw callerAbortError(signal.reason);
    if (options.WebSocket !== undefined && typeof options.WebSocket !== "function") {
      throw clientError(ClientErrorNames.invalidParameter, "options.WebSocket must be a WebSocket constructor", { fields: { field: "WebSocket" } });
    }
    if (options.ws !== undefined && (options.WebSocket !== undefined || !wsSocketFactory(options.ws))) {
      throw clientError(ClientErrorNames.invalidParameter, "options.ws must be the `ws` package's WebSocket class (Node only), without options.WebSocket", { fields: { field: "ws" } });
    }
    const ping = options.pingIntervalMs;
    // (a ping is a frame: more than a few a second would eat into the service's 250, and one shorter than a
    // round trip would take a healthy peer for dead)
    if (ping !== undefined && (typeof ping !== "number" || !(ping === 0 || ping >= 100))) {
      throw clientError(ClientErrorNames.invalidParameter, "options.pingIntervalMs must be a number of milliseconds from 100, or 0 for no pings", { fields: { field: "pingIntervalMs" } });
    }
    const factory = await factoryFor(options);
    if (options.connection !== undefined) {
      const ready = await preparedFrom(options.connection, client, { sessionId: input?.sessionId, shellId: extraQuery?.shellId }, secrets, follow?.abort);
      return await attempt(factory, ready, secrets, options);
    }
    let prepared = await prepare(input, client, path, extraQuery, false, undefined, follow?.abort);
    secrets.push(prepared.token);
    try {
      return await attempt(factory, prepared, secrets, options);
    } catch (e) {
      if (!prepared.tokens.refreshable || signal?.aborted || !UnauthorizedException.isInstance(e)) throw e;
      logOf(prepared.config)?.info?.("agentcore: WebSocket upgrade got 401; refreshing the token and connecting once more");
      prepared = await prepare({ ...input, sessionId: prepared.info.sessionId }, client, path, extraQuery, true, prepared.token, follow?.abort);
      secrets.push(prepared.token);
      return await attempt(factory, prepared, secrets, options);
    }
  } catch (e) {
    throw redact(AgentRuntimeError.isInstance(e) ? e : clientError(ClientErrorNames.network, `The WebSocket could not be opened: ${(e as Error)?.message ?? e}`, { cause: e }), secrets);
  } finally {
    follow?.detach();
  }
}

function logOf(config: { logger?: Logger }): Logger | undefined {
  return config.logger;
}

async function attempt(
  factory: SocketFactory,
  prepared: Prepared,
  secrets: (string | undefined)[],
  options: ConnectWebSocketOptions,
): Promise<OpenedConnection> {
  const { info, config } = prepared;
  const signal = options.signal;
  // the signal may have fired while the token or the connection was being prepared, before its listener below
  if (signal?.aborted) throw callerAbortError(signal.reason);
  let connection: Connection | undefined;
  // events that come before the connection exists (between the upgrade and this function's continuation)
  const early: ((connection: Connection) => void)[] = [];
  const deliver = (event: (connection: Connection) => void) => (connection ? event(connection) : early.push(event));
  const pending = factory.open({
    url: info.url,
    // a client that sends headers needs no token in a subprotocol (one place fewer to leak it)
    headers: factory.sendsHeaders ? info.headers : {},
    protocols: factory.sendsHeaders ? [] : info.protocols,
    handshakeTimeout: config.connectionTimeout,
    events: {
      message: (data) => deliver((c) => c.onMessage(data)),
      fault: (code, reason) => deliver((c) => c.onFault(code, reason)),
      close: (code, reason) => deliver((c) => c.onClose(code, reason)),
      pong: () => deliver((c) => c.onPong()),
    },
  });
  logOf(config)?.debug?.(`agentcore: WebSocket connecting to ${info.url.replace(/\?.*$/, "")} (session ${info.sessionId})`);
  let unlisten: (() => void) | undefined;
  let stopTimer: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    // the upgrade's own bound, whatever the implementation (the platform WebSocket has none): a server that
    // accepts the connection and never answers it cannot hold the call for ever
    const limit = connectWaitMs(config.connectionTimeout);
    stopTimer = startTimer(limit, () => {
      reject(clientError(ClientErrorNames.connectionTimeout, `The WebSocket upgrade did not complete within ${limit} ms (connectionTimeout)`, { fields: { beforeResponse: true }, retryable: true }));
      pending.cancel();
    });
    if (!signal) return;
    const onAbort = () => {
      // rejected before the cancel settles `opened`, so the race reports the abort
      reject(callerAbortError(signal.reason));
      pending.cancel();
    };
    unlisten = listenToSignal(signal, onAbort);
  });
  try {
    const { socket, responseHeaders } = await Promise.race([pending.opened, aborted]);
    // an abort after the upgrade completed but before this continuation ran (`onAbort` has dropped the socket)
    if (signal?.aborted) throw callerAbortError(signal.reason);
    connection = new Connection(socket, info.sessionId, responseHeaders, secrets);
    connection.attach(signal);
    connection.startPings(options.pingIntervalMs);
    for (const event of early) event(connection);
    return { connection, secrets };
  } catch (e) {
    if (isFailure(e)) throw failureError(e, info.url, secrets);
    throw e;
  } finally {
    stopTimer!();
    unlisten?.();
  }
}

/**
 * Opens a WebSocket to the runtime's `/ws` with the client's bearer token (or `input.bearerToken`) and resolves
 * once it is open. A refused upgrade throws the same typed error as an HTTPS call (401 UnauthorizedException,
 * 404 ResourceNotFoundException, 429 ThrottlingException, …) in Node with `ws`; the platform WebSocket
 * (browsers) hides the response, so there it is a NetworkError that cannot say why.
 *
 * The package exports this through lazy.ts (its doc comment there is the public one: keep the two alike).
 */
export async function connectWebSocket(client: WebSocketConfig, input: WebSocketConnectionInput, options: ConnectWebSocketOptions = {}): Promise<WebSocketConnection> {
  const { connection } = await openConnection(client, input, "ws", undefined, options ?? {});
  return connection;
}

