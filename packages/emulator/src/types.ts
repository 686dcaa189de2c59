/** Shared types: a leaf module, importing nothing from the emulator, so no module cycles run through it. */

/** The HTTP operations and the two WebSocket endpoints (`/ws`, `/ws/shells`). */
export type Operation = "invocations" | "commands" | "stopruntimesession" | "ws" | "shells";

/**
 * A failure the emulator can inject: an error response (`throttle`, `500`, `error`, …) or a broken body or
 * connection (`reset`, `drop`, `stall`, `drip`, `corrupt-crc`, `exception`, `error-frame`, `close`).
 */
export type FaultMode =
  | "throttle"
  | "conflict"
  | "coldstart"
  | "500"
  | "500-html"
  | "502-html"
  | "503"
  | "504"
  | "error"
  | "reset"
  | "drop"
  | "stall"
  | "drip"
  | "corrupt-crc"
  | "exception"
  | "error-frame"
  | "close";

/** One fault to inject: its mode, which requests it hits and the mode's parameters (README: Fault injection). */
export interface FaultSpec {
  /** What goes wrong. */
  mode: FaultMode;
  /** Apply to the first N matching requests only (default: every matching request). */
  times?: number;
  /** Only requests for this operation match (default: all three). */
  op?: Operation;
  /** throttle, 503: value of the Retry-After header, in seconds. */
  retryAfter?: number;
  /** coldstart: wait before answering (default 50); drip: pause between pieces (default 1). */
  delayMs?: number;
  /**
   * drop, stall, exception, error-frame, corrupt-crc: events (SSE events, frames, body pieces) sent intact first
   * (default 1); WebSocket drop and close: messages the server sends first (0: right after the upgrade).
   */
  afterEvents?: number;
  /** error: HTTP status (default 500). */
  status?: number;
  /** error: error name for x-amzn-ErrorType; exception: `:exception-type` (commands) or `error_type` (SSE). */
  type?: string;
  /** close (WebSocket): the close code sent (default 1011), e.g. 1008, 1009, 1011. */
  closeCode?: number;
  /** error-frame: `:error-code`. */
  code?: string;
  /** error, exception, error-frame: the message. */
  message?: string;
}

/** Options of `Emulator.issueToken`. */
export interface IssueTokenOptions {
  /**
   * Lifetime in seconds (default 3600): a finite number, else issueToken rejects with a RangeError; 0 or less gives
   * an already expired token, for tests. Ignored when the claims carry `exp`.
   */
  expiresIn?: number;
}

/** What an agent handler gets beside the payload. */
export interface AgentContext {
  /** The runtime session of the invocation. */
  sessionId: string;
  /** The request id the emulator sent back in `x-amzn-RequestId`. */
  requestId: string;
  /** Request headers, lower-cased names; Authorization and the emulator's fault header are left out. */
  headers: Record<string, string>;
  /** The raw request body. */
  body: Uint8Array;
  /** Aborts when the client goes away, the session is stopped or the emulator closes. */
  signal: AbortSignal;
}

/**
 * A user agent: a plain value (or a promise of one) is answered as JSON; an async iterable as SSE, one
 * JSON-encoded value per event; a fetch `Response` is streamed through with its content type.
 */
export type AgentHandler = (payload: unknown, context: AgentContext) => unknown;

/** A message on a WebSocket: a text frame's string or a binary frame's bytes. */
export type WebSocketMessage = { type: "text"; data: string } | { type: "binary"; data: Uint8Array };

/**
 * The connection a `websocket(connection, ctx)` handler gets for `/runtimes/{arn}/ws`. Iterate it for the
 * client's messages (the iteration ends when the connection closes); `send` a string as a text frame or bytes as
 * a binary frame. When the handler returns, the connection is closed with 1000; when it throws, with 1011.
 */
export interface WebSocketConnection extends AsyncIterable<WebSocketMessage> {
  /** The runtime session of the connection. */
  readonly sessionId: string;
  /** The subprotocol selected (`base64UrlBearerAuthorization` for subprotocol auth), or "". */
  readonly protocol: string;
  /** Sends one message; resolves once it is written to the socket (at once when the connection is closed). */
  send(data: string | Uint8Array): Promise<void>;
  /** Starts the closing handshake (default 1000). */
  close(code?: number, reason?: string): void;
  /** Aborts when the connection closes, whoever closed it. */
  readonly signal: AbortSignal;
  /** Resolves once closed, with the close code and reason (1006 when the socket was cut without a close frame). */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** What a WebSocket handler gets beside the connection. */
export interface WebSocketContext {
  /** The runtime session of the connection. */
  sessionId: string;
  /** The request id of the upgrade. */
  requestId: string;
  /**
   * The upgrade request's headers, lower-cased, Authorization and the subprotocol token left out;
   * `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*` query parameters appear as headers (as the platform forwards them).
   */
  headers: Record<string, string>;
  /** Aborts when the connection closes. */
  signal: AbortSignal;
}

/** A user agent's WebSocket handler (`/ws`); the default echoes text as `{"echo": text}` and bytes as bytes. */
export type WebSocketHandler = (connection: WebSocketConnection, context: WebSocketContext) => unknown;

/** How the emulator authenticates requests: JWT checks, or SigV4 with test credentials. */
export interface AuthOptions {
  /** Expected `iss` (default: the emulator's url, which issueToken uses). */
  issuer?: string;
  /**
   * Verify tokens whose `kid` is not the emulator's own against this JWKS (an http or https URL). It is fetched
   * within 5 s and 1 MiB, again for an unknown `kid` at most once per 30 s; while it cannot be fetched such
   * tokens get 500 InternalServerException, and a failed fetch is retried 2 s later at the earliest.
   */
  jwksUrl?: string;
  /** Allowed `client_id` claims, a non-empty list. Default ["agentcore-emulator"] unless allowedAudience is given. */
  allowedClients?: string[];
  /** Allowed `aud` values (any match passes), a non-empty list. Not checked when absent. */
  allowedAudience?: string[];
  /**
   * `"jwt"` (default): the runtime takes OAuth/JWT bearer tokens. `"sigv4"`: it takes AWS SigV4 (IAM) instead,
   * checked against `credentials`; a bearer token then gets 403 "Authorization method mismatch", as from the service.
   */
  mode?: "jwt" | "sigv4";
  /** SigV4 test credentials accepted (default: one generated pair, reported as `Emulator.credentials`). */
  credentials?: SigV4TestCredentials | SigV4TestCredentials[];
}

/** A test key pair the emulator accepts in SigV4 mode. */
export interface SigV4TestCredentials {
  /** The access key id clients sign with. */
  accessKeyId: string;
  /** The secret key clients sign with. */
  secretAccessKey: string;
  /** When set, requests must carry this session token. */
  sessionToken?: string;
}

/** Where the emulator writes its log: a function called per line, or a stream such as `process.stderr`. */
export type LogSink = ((line: string) => void) | { write(chunk: string): unknown };

/** Options of `startEmulator`; every one has a default. */
export interface EmulatorOptions {
  /**
   * Address or host name to bind (default 127.0.0.1, loopback only). An IP address (IPv6 with or without
   * brackets) or a host name; "" and anything else is a RangeError.
   */
  host?: string;
  /** Port, a whole number 0–65535 (default 0: a free port). */
  port?: number;
  /** The runtime's region (default `us-east-1`). */
  region?: string;
  /** The runtime's 12-digit account id (default `123456789012`). */
  accountId?: string;
  /** The runtime's id (default `emulator_agent-abcdefghij`). */
  runtimeId?: string;
  /**
   * Run commands for real with bash in a per-session directory (default false: scripted runner). The folders are
   * working directories, not isolation: commands run as the emulator's user. Refused on a non-loopback address
   * unless `allowRemoteExec` is set.
   */
  exec?: boolean;
  /** Allow `exec` on an address other than loopback (default false: startEmulator rejects with a RangeError). */
  allowRemoteExec?: boolean;
  /**
   * exec: names of the emulator's environment variables passed to commands beyond the default allow-list
   * (PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TERM, TZ, TMPDIR). Default [].
   */
  passEnv?: string[];
  /**
   * Browser origins whose pages may call the emulator: origins (`"http://localhost:3000"`), `"loopback"` (every
   * origin on localhost, 127.0.0.0/8 or [::1], any port or scheme), `"null"`, or `"*"` (any). Default
   * ["loopback"]. A request carrying another Origin is refused with 403.
   */
  allowedOrigins?: string[];
  /** Answer Chrome's private-network preflight with `Access-Control-Allow-Private-Network: true` (default false). */
  allowPrivateNetwork?: boolean;
  /**
   * Extra names accepted in the Host header (DNS-rebinding guard). Always accepted: the bound address, the
   * `host` option, `localhost` on a loopback or wildcard address, any IP address on a wildcard address.
   */
  allowedHosts?: string[];
  /** Most live sessions at once (default 1000); a request that would create one more gets 402 ServiceQuotaExceededException. */
  maxSessions?: number;
  /**
   * Most request bodies held in memory at once (default 32); one more request gets 429 ThrottlingException with
   * Retry-After: 1. An invocation holds its body until it ends (the agent gets it), commands and stop until parsed.
   */
  maxConcurrentBodies?: number;
  /** A handler function or a path to a module exporting one (default export or `handler`). */
  agent?: AgentHandler | string;
  /**
   * The `/ws` handler (default: echo). An agent module (`agent: "path"`) may export one as `websocket`; this
   * option wins over it.
   */
  websocket?: WebSocketHandler;
  /** WebSocket: largest message accepted, in bytes (default 65536, the service's 64 KB); past it the server closes with 1009. */
  wsMaxFrameBytes?: number;
  /** WebSocket: most messages a client may send per second (default 250); past it the server closes with 1008. */
  wsMaxFramesPerSecond?: number;
  /** WebSocket: longest connection, in seconds (default 3600, the service's 60 minutes); then the server closes with 1008. */
  wsMaxConnectionSeconds?: number;
  /** Shells per session, attached or detached (default 10); one more upgrade gets 424 RuntimeClientError. */
  maxShellsPerSession?: number;
  /** Shell output kept for replay on reconnect, in bytes (default 262144, the service's 256 KB). */
  shellReplayBytes?: number;
  /** Proxy invocations to an agent container implementing `POST /invocations`. */
  upstream?: string;
  /** JWT or SigV4 authentication (default: JWTs the emulator issues). */
  auth?: AuthOptions;
  /**
   * A second runtime, taking SigV4 (checked against `auth.credentials`), next to the main one (JWT unless
   * `auth.mode` is "sigv4"): one emulator with one runtime of each kind. Its ARN is `Emulator.sigv4RuntimeArn`.
   */
  sigv4RuntimeId?: string;
  /**
   * Seconds a request body may go without data before the request is answered 408 and its connection closed
   * (default 30; > 0, fractions allowed; Infinity, or about 24.8 days and more, for none): a stalled upload gives
   * its body slot back.
   */
  bodyIdleTimeoutSeconds?: number;
  /** Seconds a session may sit with no request in progress before it ends (default 900; > 0 and at most 28800). */
  sessionIdleTimeoutSeconds?: number;
  /** Seconds after which a session ends however busy (default 28800, the service's maximum). */
  sessionMaxLifetimeSeconds?: number;
  /** Faults applied to matching requests (default none); the fault header adds per-request ones. */
  faults?: FaultSpec[];
  /** Receives one line per request, and one per failed JWKS fetch (no trailing newline for functions). Default: no logging. */
  log?: LogSink;
  /** Invocation payload limit in bytes (default 100,000,000). */
  maxPayloadBytes?: number;
  /**
   * Limit on a command's response body in bytes, as sent: event-stream frames with their JSON-escaped output
   * (up to 6 bytes per output byte) and the start and stop frames (default 100,000,000, the service's 100 MB per
   * response; at least 1024). Output that would pass it is cut on a character boundary and the command killed.
   */
  maxCommandOutputBytes?: number;
  /** Keep every request in `requests` (default true; the bin turns it off so a long run does not grow). */
  recordRequests?: boolean;
  /**
   * exec: where the emulator makes its private folder (mode 0700) holding the per-session working directories
   * (each 0700), default os.tmpdir(). Removed on close.
   */
  workDir?: string;
}

/** One request as the emulator saw it, in `Emulator.requests`. */
export interface RecordedRequest {
  /** The HTTP method. */
  method: string;
  /** The request target's path, still percent-encoded. */
  path: string;
  /** The query parameters, decoded. */
  query: Record<string, string>;
  /** The operation the route matched (`preflight` for CORS, `ping` and `metadata` for the helper routes). */
  op: Operation | "preflight" | "ping" | "metadata" | "unknown";
  /** Request headers as received (lower-cased names). */
  headers: Record<string, string>;
  /** HTTP status sent; 0 when the connection was cut before a status line. */
  status: number;
  /** The request id sent back in `x-amzn-RequestId`. */
  requestId: string;
  /** The session the request named or was given, if any. */
  sessionId?: string;
  /** The fault injected into this request, if any. */
  fault?: FaultMode;
}

/** A running emulator, as `startEmulator` resolves it. */
export interface Emulator {
  /** The URL of the address actually bound, with the actual port. */
  url: string;
  /** The main runtime's ARN, built from `region`, `accountId` and `runtimeId`. */
  runtimeArn: string;
  /** The main runtime's id. */
  runtimeId: string;
  /** The runtime's region. */
  region: string;
  /** The runtime's account id. */
  accountId: string;
  /** The `iss` the emulator expects and issues. */
  issuer: string;
  /** The emulator's JWKS (`<url>/.well-known/jwks.json`), for verifiers of the tokens it issues. */
  jwksUrl: string;
  /** A signed RS256 access token the emulator accepts; `claims` override the defaults (`undefined` drops one). */
  issueToken(claims?: Record<string, unknown>, opts?: IssueTokenOptions): Promise<string>;
  /** How the main runtime authenticates: "jwt" (default) or "sigv4". */
  authMode: "jwt" | "sigv4";
  /** SigV4 in use (auth.mode "sigv4" or sigv4RuntimeId): the first accepted test credentials. */
  credentials?: SigV4TestCredentials;
  /** With `sigv4RuntimeId`: the second runtime, which takes SigV4. */
  sigv4RuntimeArn?: string;
  /** With `sigv4RuntimeId`: the second runtime's id. */
  sigv4RuntimeId?: string;
  /** Replaces the configured faults (and their `times` counters). */
  setFaults(faults: FaultSpec[]): void;
  /** Ids of the live sessions. */
  sessionIds(): string[];
  /** Every request so far, oldest first (empty when `recordRequests` is false). */
  requests: RecordedRequest[];
  /** Ends every socket, stream, child process, timer and session folder; idempotent; waits at most 2 s for handlers. */
  close(): Promise<void>;
}
