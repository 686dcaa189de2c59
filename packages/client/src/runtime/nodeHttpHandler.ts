import type { Agent as HttpAgent, ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { Socket } from "node:net";
import type { HttpHandler, HttpRequest, HttpResponse } from "@smithy/protocol-http";
import type { Logger } from "../types";

/**
 * What the default Node handler is made from: `node:http` and `node:https`. Each is read when the first request
 * of its protocol is made (the default handler's are getters that load the module then).
 */
export interface NodeModules {
  http: typeof import("node:http");
  https: typeof import("node:https");
}

export interface NodeHandlerOptions {
  /** Milliseconds to establish a connection; undefined for none. */
  connectionTimeout?: number | undefined;
  /** Sockets per host; default Infinity, so open streams never starve later calls. */
  maxSockets?: number | undefined;
  /** Receives the pool warning (socket usage at capacity); nothing goes to the console. */
  logger?: Logger | undefined;
}

/** The signal forms a handler may be given: the SDK's own light abort state, or a DOM `AbortSignal`. */
type AbortLike = { aborted: boolean; reason?: unknown; onabort?: unknown; addEventListener?: AbortSignal["addEventListener"] };

/** Above this Node's own timers fire at once; such a connect timeout means "none" (about 25 days). */
const LONGEST_CONNECT_TIMEOUT = 2 ** 31 - 1;
/** The pool warning is logged at most this often. */
const WARN_EVERY_MS = 15_000;
/** A pooled keep-alive socket left idle this long is closed (Node's global agent uses the same). */
const IDLE_SOCKET_MS = 5000;
/** How long connections to a server are not reused once it closed a kept-alive one under a request. */
const NO_REUSE_MS = 60_000;
/**
 * A reset on a connection reused sooner than this after its last response ended is a server that closed it right
 * after that response (its FIN arrives right behind the response's last bytes); one idle for longer is the usual
 * keep-alive race with a server's idle timeout, which says nothing about the next connection.
 */
const QUICK_REUSE_MS = 100;

/**
 * The default HTTP handler in Node: one `node:http(s)` request per call on keep-alive agents, nothing else.
 * Per request it arms no timer of its own (the call's timeouts are the transport's; a connect timeout only
 * while a new socket connects) and hands the response stream over as it comes. Any `HttpHandler`
 * (e.g. `@smithy/node-http-handler`'s NodeHttpHandler) can replace it through `requestHandler`.
 */
export class NodeRequestHandler implements HttpHandler {
  readonly metadata = { handlerProtocol: "http/1.1" };
  /** Takes the call's light abort state (see protocol/abort.ts) as well as an AbortSignal. */
  readonly takesLightAbort = true;
  readonly #modules: NodeModules;
  // each protocol's module and keep-alive agent, made with its first request
  #http: NodeModules["http"] | undefined;
  #https: NodeModules["https"] | undefined;
  #httpAgent: HttpAgent | undefined;
  #httpsAgent: HttpsAgent | undefined;
  readonly #options: NodeHandlerOptions;
  #warnedAt = -Infinity;
  /** Requests whose new socket is still connecting (TCP, then TLS for https). */
  readonly #connecting = new WeakSet<HttpRequest>();
  /**
   * Pools (the agent's name for a host) whose server closed a kept-alive connection as a request went out on it,
   * and until when their connections are not reused: a server that closes after every response without saying
   * so (no `Connection: close`) failed every other request on a reused connection, a command included.
   */
  readonly #noReuseUntil = new Map<string, number>();
  readonly #mayReuse = (pool: string | (() => string)): boolean => {
    // (the usual case, nothing paused: the pool's name is not even computed)
    if (this.#noReuseUntil.size === 0) return true;
    const name = typeof pool === "string" ? pool : pool();
    const until = this.#noReuseUntil.get(name);
    if (until === undefined) return true;
    if (Date.now() < until) return false;
    this.#noReuseUntil.delete(name);
    return true;
  };

  constructor(modules: NodeModules, options: NodeHandlerOptions = {}) {
    this.#modules = modules;
    this.#options = options;
  }

  handle(request: HttpRequest, { abortSignal }: { abortSignal?: AbortLike } = {}): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => {
      if (abortSignal?.aborted) return reject(abortError(abortSignal));
      const secure = request.protocol === "https:";
      const agent = secure ? (this.#httpsAgent ?? this.#agentOf(true)) : (this.#httpAgent ?? this.#agentOf(false));
      let path = request.path;
      const query = queryString(request.query);
      if (query) path += `?${query}`;
      if (request.fragment) path += `#${request.fragment}`;
      const hostname = request.hostname.startsWith("[") && request.hostname.endsWith("]") ? request.hostname.slice(1, -1) : request.hostname;
      // the SDK sends bytes or a string; a stream (from a user's middleware) is piped, as @smithy's handler does
      const body = request.body as Uint8Array | string | { pipe?(to: ClientRequest): unknown } | undefined | null;
      const options: RequestOptions = { host: hostname, port: request.port, method: request.method, path, headers: request.headers, agent };
      if (request.username != null || request.password != null) options.auth = `${request.username ?? ""}:${request.password ?? ""}`;
      options.headers = (options.auth === undefined ? headerList(request, body, secure) : undefined) ?? headerObject(request, body);
      let incoming: IncomingMessage | undefined;
      const req = (secure ? this.#https! : this.#http!).request(options, (res: IncomingMessage) => {
        incoming = res;
        resolve({ response: { statusCode: res.statusCode ?? -1, reason: res.statusMessage, headers: flatHeaders(res.headers), body: res } as HttpResponse });
      });
      // a connection that fails after part of the response head came (a status line, a few headers) is not a
      // failure "before any response": the agent ran. The error says how many bytes came, so it is not retried.
      let readBefore: number | undefined;
      // given a connection right after its last response ended (whichever way the pool handed it over)
      let quickReuse = false;
      req.once("socket", (socket: Socket & { [FREED_AT]?: number }) => {
        readBefore = socket.bytesRead;
        if (socket.connecting) this.#whileConnecting(req, request, socket, secure);
        else if (socket[FREED_AT] !== undefined) quickReuse = Date.now() - socket[FREED_AT] < QUICK_REUSE_MS;
      });
      const fail = (e: Error & { responseBytes?: number }) => {
        const read = readBefore === undefined ? 0 : (req.socket?.bytesRead ?? readBefore) - readBefore;
        if (read > 0) e.responseBytes = read;
        reject(e);
      };
      req.on("error", (e: Error & { responseBytes?: number; code?: string }) => {
        // after the head: the body's own failure (a malformed chunk: HPE_INVALID_CHUNK_SIZE), which the body would
        // otherwise report as a bare "aborted" connection
        if (incoming) return void incoming.destroy(e);
        fail(e);
        // a kept-alive connection the server closed as this request went out on it: its next ones are not reused
        // for a while (this request may have reached it, so it fails as it is, per the retry rules)
        if (quickReuse && !abortSignal?.aborted && e.responseBytes === undefined && (e.code === "ECONNRESET" || e.code === "EPIPE")) this.#closedUnderRequest(req as Sent);
      });
      // closed with neither a response nor an error (a 101 Switching Protocols this request did not ask for: Node
      // destroys the socket without a word): the call failed, it does not wait out its timeout (settled calls ignore this)
      req.once("close", () => {
        if (!incoming) fail(Object.assign(new Error("The connection closed without a response (the server switched protocols or dropped it)"), { code: "ECONNRESET" }));
      });
      if (abortSignal) {
        const onAbort = () => {
          req.destroy();
          reject(abortError(abortSignal));
        };
        if (typeof abortSignal.addEventListener === "function") {
          abortSignal.addEventListener("abort", onAbort, { once: true });
          req.once("close", () => (abortSignal as AbortSignal).removeEventListener("abort", onAbort));
        } else abortSignal.onabort = onAbort;
      }
      (req as Sent)[SENT] = request;
      // the pool warning, when the pool is capped
      if (agent.maxSockets !== Infinity) this.#warnIfSaturated(agent, agent.getName(options));
      try {
        if (body != null && typeof (body as { pipe?: unknown }).pipe === "function") (body as { pipe(to: ClientRequest): unknown }).pipe(req);
        else req.end(body == null || (body as Uint8Array | string).length === 0 ? undefined : (body as Uint8Array | string));
      } catch (e) {
        // an unsendable body fails this call and frees its socket
        req.destroy(e as Error);
        reject(e);
      }
    });
  }

  /** Whether `request` (the object given to `handle`) waits in the pool, never given a socket. */
  waitingForSocket(request: HttpRequest): boolean {
    for (const agent of [this.#httpAgent, this.#httpsAgent]) {
      if (agent === undefined) continue;
      for (const queue of Object.values(agent.requests) as (Sent[] | undefined)[]) {
        for (const req of queue ?? []) if (req[SENT] === request) return true;
      }
    }
    return false;
  }

  /** Part of smithy's `HttpHandler`; this handler has no settings to change after construction. */
  updateHttpClientConfig(): void {}

  /** Part of smithy's `HttpHandler`: the settings this handler was created with. */
  httpHandlerConfigs(): NodeHandlerOptions {
    return { ...this.#options };
  }

  destroy(): void {
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
  }

  /** Loads a protocol's module and makes its keep-alive agent, on the first request of that protocol. */
  #agentOf(secure: boolean): HttpAgent | HttpsAgent {
    // the most recently used socket is taken first (as Node's own global agent does), so the others idle out
    const agentOptions = { keepAlive: true, maxSockets: this.#options.maxSockets ?? Infinity, scheduling: "lifo" as const };
    if (secure) {
      const https = (this.#https = this.#modules.https);
      return (this.#httpsAgent = pooled(new https.Agent(agentOptions), this.#mayReuse));
    }
    const http = (this.#http = this.#modules.http);
    return (this.#httpAgent = pooled(new http.Agent(agentOptions), this.#mayReuse));
  }

  #closedUnderRequest(req: Sent): void {
    const name = req[POOL];
    // (within a window already: nothing new; past it, a new one)
    if (name === undefined || !this.#mayReuse(name)) return;
    this.#noReuseUntil.set(name, Date.now() + NO_REUSE_MS);
    this.#options.logger?.warn?.(
      `agentcore: ${req[SENT]?.hostname} closed a kept-alive connection as a request went out on it (no Connection: close); its connections are not reused for ${NO_REUSE_MS / 1000} s`,
    );
  }

  /**
   * A new socket, until it is connected: for https that is when its TLS handshake is done, which the connect
   * timeout covers too (RETRIES.md; it stopped at the TCP connect, so a stalled handshake waited out the headers'
   * timeout as a RequestTimeoutError, not retried), and `connecting` says so meanwhile.
   */
  #whileConnecting(req: ClientRequest, request: HttpRequest, socket: Socket, secure: boolean): void {
    const { connectionTimeout } = this.#options;
    this.#connecting.add(request);
    const timer =
      connectionTimeout === undefined || connectionTimeout >= LONGEST_CONNECT_TIMEOUT
        ? undefined
        : setTimeout(() => {
            req.destroy(Object.assign(new Error(`Socket timed out without establishing a connection within ${connectionTimeout} ms`), { name: "TimeoutError" }));
          }, connectionTimeout);
    const connected = () => {
      clearTimeout(timer);
      this.#connecting.delete(request);
    };
    socket.once(secure ? "secureConnect" : "connect", connected);
    req.once("close", connected);
  }

  /** Whether `request` (the object given to `handle`) has a socket that is still connecting: nothing was sent. */
  connecting(request: HttpRequest): boolean {
    return this.#connecting.has(request);
  }

  /** Warns (to the logger, at most every 15 s) when requests to one host queue behind its full pool: twice as many as sockets. */
  #warnIfSaturated(agent: HttpAgent | HttpsAgent, name: string): void {
    const sockets = agent.sockets[name]?.length ?? 0;
    const waiting = agent.requests[name]?.length ?? 0;
    if (sockets < agent.maxSockets || waiting < 2 * agent.maxSockets) return;
    const now = Date.now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#warnedAt = now;
    this.#options.logger?.warn?.(
      `agentcore: socket usage at capacity=${sockets} and ${waiting} additional requests are enqueued; raise maxSockets, or close streams you no longer read`,
    );
  }
}

/** The `HttpRequest` a `ClientRequest` sends (headers given as a list cannot be read back with `getHeader`). */
const SENT = Symbol("agentcore.sent");
/** The agent's name for the pool a `ClientRequest` takes its socket from (host, port and TLS options). */
const POOL = Symbol("agentcore.pool");
type Sent = ClientRequest & { [SENT]?: HttpRequest; [POOL]?: string };
/** Whether a pool's connections may be kept and reused now (its name, or how to compute it). */
type MayReuse = (pool: string | (() => string)) => boolean;
/** When a pooled socket's last response ended (the agent's 'free'). */
const FREED_AT = Symbol("agentcore.freedAt");

/** Methods for which Node writes no content-length of its own (`useChunkedEncodingByDefault` false). */
const BODILESS = new Set(["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

/**
 * The request's headers as the flat `[name, value, ...]` list `node:http` also takes, with the `Host` and
 * `Content-Length` Node would add itself, so Node writes the header block once instead of storing each header
 * through `setHeader` (about 5 µs of a small call). Undefined, for Node's own handling, when the request sets a
 * `Host` other than its own host (over https Node takes the TLS server name and the pool key from it, which only
 * a stored header gives; an empty one is replaced) and when two names differ only in case (then `setHeader`'s
 * case-insensitive merging decides which spelling is sent).
 */
function headerList(request: HttpRequest, body: unknown, secure: boolean): string[] | undefined {
  const headers = request.headers;
  const list: string[] = [];
  const names: string[] = [];
  let sized = false;
  let hostGiven = false;
  // own names only, as Node's object path reads them
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const lower = name.toLowerCase();
    if (names.includes(lower)) return undefined;
    names.push(lower);
    if (lower === "host") {
      // the request's own host (a signed request names it): the list sends it as given. Another host, an empty
      // or an IPv6 one goes through Node, which takes the TLS server name and the pool key from that header
      const value = headers[name];
      if (typeof value !== "string" || value.startsWith("[") || value.split(":")[0].toLowerCase() !== request.hostname.toLowerCase()) return undefined;
      hostGiven = true;
    } else if (lower === "content-length" || lower === "transfer-encoding") sized = true;
    list.push(name, headers[name]);
  }
  if (!hostGiven) {
    // as Node writes it: brackets around an IPv6 address, the port unless it is the protocol's default
    let host = request.hostname.includes(":") && !request.hostname.startsWith("[") ? `[${request.hostname}]` : request.hostname;
    if (request.port && Number(request.port) !== (secure ? 443 : 80)) host += `:${request.port}`;
    list.push("Host", host);
  }
  if (sized) return list;
  const length = bodyLength(request.method, body);
  if (length === null) return undefined; // Node's end() reports it
  if (length !== undefined) list.push("Content-Length", length);
  return list;
}

/**
 * The `Content-Length` to send: a stream is sent chunked, as Node sends it (undefined); bytes or a string with
 * their length, as Node's end() sets it. Node writes no length for an empty body of a method without a default
 * body (it upper-cases the method first), nor for a non-empty one, which would leave the body unframed: that one
 * gets its length here. Null for a body Node cannot send.
 */
function bodyLength(method: string | undefined, body: unknown): string | undefined | null {
  const bodiless = BODILESS.has((method || "GET").toUpperCase());
  if (body == null) return bodiless ? undefined : "0";
  if (typeof body === "string") return !bodiless || body.length > 0 ? String(Buffer.byteLength(body)) : undefined;
  if (ArrayBuffer.isView(body)) return !bodiless || body.byteLength > 0 ? String(body.byteLength) : undefined;
  return typeof (body as { pipe?: unknown }).pipe === "function" ? undefined : null;
}

/** The headers as an object for Node's own handling, with the length a bodiless method's body needs to be framed. */
function headerObject(request: HttpRequest, body: unknown): HttpRequest["headers"] {
  const headers = request.headers;
  if (!BODILESS.has((request.method || "GET").toUpperCase())) return headers;
  const length = bodyLength(request.method, body);
  if (length === undefined || length === null || Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name))) return headers;
  return { ...headers, "Content-Length": length };
}

type FreeSocket = { destroyed: boolean; readableEnded: boolean; writable: boolean; destroy(): void };

/**
 * A pooled socket the server closed while the process could not run its timers (a serverless function frozen
 * between invocations: at the thaw its FIN is read just before the next invocation arrives) stays in the agent's
 * free list until its 'close', a later loop turn, and Node hands it to the next request: "socket hang up" although
 * nothing was sent, and a command (never retried on a reset) failed. Such sockets are taken out of the free list
 * before each request. (A FIN not read yet, behind a blocked event loop, cannot be seen: that request fails as a
 * reset, retried as RETRIES.md says.)
 */
function withoutStaleSockets<A extends HttpAgent | HttpsAgent>(agent: A, mayReuse: MayReuse): A {
  const pool = agent as unknown as { freeSockets: Record<string, FreeSocket[] | undefined>; addRequest(req: unknown, options: RequestOptions, ...rest: unknown[]): void };
  const addRequest = pool.addRequest;
  pool.addRequest = function (req, options, ...rest) {
    const name = agent.getName(options);
    (req as Sent)[POOL] = name;
    const free = pool.freeSockets[name];
    // (a pool not to be reused: its free sockets go too)
    const reuse = free === undefined || free.length === 0 || mayReuse(name);
    for (let i = (free?.length ?? 0) - 1; i >= 0; i--) {
      const socket = free![i];
      if (!reuse || socket.destroyed || socket.readableEnded || !socket.writable) {
        free!.splice(i, 1);
        socket.destroy();
      }
    }
    return addRequest.call(this, req, options, ...rest);
  };
  // first of the agent's 'free' listeners: a socket freed while its pool is not to be reused is closed before the
  // agent hands it to a queued request (that hand-over, with maxSockets, asks neither keepSocketAlive nor
  // addRequest; the agent then opens a new socket for the request); every other one is stamped for quickReuse
  agent.prependListener("free", (socket: Socket & { [FREED_AT]?: number }, options: RequestOptions) => {
    // (a new socket the agent makes for a queued request comes through here too, unused: it is what replaces one)
    if (socket.bytesRead === 0) return;
    if (!mayReuse(() => agent.getName(options))) socket.destroy();
    else socket[FREED_AT] = Date.now();
  });
  return agent;
}

type PooledSocket = Socket & { _httpMessage?: { res?: { headers: Record<string, string | string[] | undefined> } } & Partial<Sent> };

/**
 * An idle pooled socket is closed after 5 s, or 1 s before the server's `Keep-Alive: timeout` (as Node's own global
 * agent does). Without that, idle sockets stayed open until the server closed them: 256 after a burst, one per
 * client dropped without destroy() (a load balancer keeps them for minutes), and a socket the server closes as it
 * is reused is the keep-alive reset race. The timer runs only while the socket is free (set by keepSocketAlive,
 * cleared by reuseSocket, the Agent's methods meant for this): the agent's own `timeout` option would keep it armed
 * through every request, refreshed on each read and write, which cost small calls ~5%.
 */
function idleTimeouts<A extends HttpAgent | HttpsAgent>(agent: A, mayReuse: MayReuse): A {
  // (Node's keepSocketAlive returns whether the socket may be kept; its declared type says void)
  const keepSocketAlive = agent.keepSocketAlive as unknown as (this: A, socket: PooledSocket) => boolean;
  const reuseSocket = agent.reuseSocket;
  (agent as { keepSocketAlive: unknown }).keepSocketAlive = function (this: A, socket: PooledSocket): boolean {
    if (!keepSocketAlive.call(this, socket)) return false;
    const name = (socket._httpMessage as Sent | undefined)?.[POOL];
    if (name !== undefined && !mayReuse(name)) return false;
    const hint = socket._httpMessage?.res?.headers["keep-alive"];
    const seconds = typeof hint === "string" ? /^\s*timeout=(\d+)/i.exec(hint)?.[1] : undefined;
    const serverMs = seconds === undefined ? Infinity : Number(seconds) * 1000 - 1000;
    if (serverMs <= 0) return false;
    socket.setTimeout(Math.min(IDLE_SOCKET_MS, serverMs));
    return true;
  };
  agent.reuseSocket = function (socket: PooledSocket, req: ClientRequest): void {
    socket.setTimeout(0);
    reuseSocket.call(this, socket, req);
  };
  return agent;
}

/**
 * The default handler's keep-alive agent: idle sockets time out, half-closed ones are never handed out, and none
 * of a pool `mayReuse` refuses is kept or reused.
 */
function pooled<A extends HttpAgent | HttpsAgent>(agent: A, mayReuse: MayReuse): A {
  return withoutStaleSockets(idleTimeouts(agent, mayReuse), mayReuse);
}

function abortError(signal: AbortLike): unknown {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error(reason === undefined ? "Request aborted" : String(reason)), { name: "AbortError" });
}

/** Response headers as one string each (repeated ones joined with ","), lower-case names. */
function flatHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  // Node joins every repeated header but set-cookie: without one, its object is already flat
  if (headers["set-cookie"] === undefined) return headers as Record<string, string>;
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) out[name] = typeof value === "string" ? value : value.join(",");
  }
  return out;
}

function queryString(query: HttpRequest["query"] | undefined): string {
  if (!query) return "";
  let out = "";
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (Array.isArray(value)) for (const v of value) out += `${out ? "&" : ""}${escape(key)}=${escape(v)}`;
    else out += `${out ? "&" : ""}${escape(key)}${value || typeof value === "string" ? `=${escape(value)}` : ""}`;
  }
  return out;
}

const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
