// Types shared by the client, the commands and the middleware. A leaf: it imports types only, so no module
// that needs them has to import another module's code (and no import cycle can start here).
import type { HttpHandler } from "@smithy/protocol-http";
import type { HandlerExecutionContext } from "@smithy/types";
import type { AgentRuntimeError, ResponseMetadata } from "./protocol/errors";
import type { Abort } from "./protocol/abort";
import type { ResponseLimits } from "./protocol/limits";

/** The data-plane operation a command calls: invoke (`/invocations`), commands (`/commands`) or stop (`/stopruntimesession`). */
export type Operation = "invoke" | "commands" | "stop";

/** A bearer-token source: memoised by the client, asked again with `forceRefresh` after a 401. */
export type TokenProvider = (options: { forceRefresh: boolean }) => Promise<string | { token: string; expiresAt?: Date }>;

/** Console- and pino-compatible. */
export interface Logger {
  /** A line per attempt sent (with payloads when `logPayloads` is set). */
  debug?: ((...args: any[]) => void) | undefined;
  /** A line per response, retry and token refresh. */
  info?: ((...args: any[]) => void) | undefined;
  /** Retryable failures and insecure settings (`allowInsecureHttp`). */
  warn?: ((...args: any[]) => void) | undefined;
  /** Failures that end the call; also where info and warn lines go when those levels are missing. */
  error?: ((...args: any[]) => void) | undefined;
}

/** The kinds of failure a retry decision distinguishes. */
export type RetryClass =
  | "throttling" // 429 ThrottlingException
  | "conflict" // 409 RetryableConflictException
  | "unavailable" // 503
  | "gateway" // 502, 504
  | "serverError" // 500 InternalServerException
  | "coldStart" // 424 RuntimeClientError
  | "connectionRefused" // never connected: ECONNREFUSED, DNS failure, connection timeout, never given a socket
  | "connection" // connected, failed before any response byte: ECONNRESET, EPIPE, ETIMEDOUT
  | "requestTimeout" // no response headers within requestTimeout
  | "unknownOutcome"; // failed with no sign of whether it reached the service: fetch's bare TypeError (a network error, or a response the browser blocked)

/** On/off per retry class; a class left out keeps its default. */
export type RetryClassSwitches = Partial<Record<RetryClass, boolean>>;

/**
 * Turn classes of retry on or off: `{ serverError: true }` for every operation, or
 * `{ invoke: { gateway: false } }` for one. Unset classes keep the operation's default.
 */
export type RetryOptions = RetryClassSwitches & Partial<Record<Operation, RetryClassSwitches>>;

/** Decides whether and when a failed attempt is tried again (the standard one, or your own via `retryStrategy`). */
export interface RetryStrategy {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  /** Milliseconds to wait before attempt `attempt + 1`, or undefined to give up and throw `error`. */
  retryDelay(error: AgentRuntimeError, attempt: number, operation: Operation): number | undefined;
  /** Waits; rejects with the signal's reason when it aborts. Replaceable in tests. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

/** What `new RuntimeClient(config)` takes; every field is optional and the constructor performs no I/O. */
export interface RuntimeClientConfig {
  /** Default bearer credential; a command's `bearerToken` overrides it for that call. */
  token?: string | TokenProvider | undefined;
  /** Only needed when a command names a runtime id + accountId instead of an ARN. */
  region?: string | undefined;
  /** Custom base URL (emulator, proxy, VPC endpoint); plain http only for loopback hosts (see allowInsecureHttp). */
  endpoint?: string | undefined;
  /**
   * Allow a plain `http:` endpoint on a host other than loopback (e.g. an emulator in another container); the
   * bearer token then crosses the network unencrypted. Default false. The client logs a warning (logger.warn) once.
   */
  allowInsecureHttp?: boolean | undefined;
  /** Use the FIPS endpoint (`bedrock-agentcore-fips`); not with a custom `endpoint`. */
  useFipsEndpoint?: boolean | undefined;
  /** Use the dual-stack (IPv4 and IPv6) endpoint; not with a custom `endpoint`. */
  useDualstackEndpoint?: boolean | undefined;
  /** An @smithy/protocol-http handler; default (Node: NodeHttpHandler, browsers: FetchHttpHandler) created on the first send. */
  requestHandler?: HttpHandler | undefined;
  /** Total attempts including the first (default 3). */
  maxAttempts?: number | undefined;
  /** Which failures are retried, on top of each operation's safe defaults. */
  retry?: RetryOptions | undefined;
  /** Replaces the built-in retry decisions and backoff. */
  retryStrategy?: RetryStrategy | undefined;
  /**
   * Connections the default Node handler opens per host (default Infinity: every open stream holds one, so a
   * proxy streaming to many users needs no tuning). A request that waits past its timeout for a free socket
   * fails with a RequestTimeoutError that says so.
   */
  maxSockets?: number | undefined;
  /** Milliseconds to establish a connection (Node default handler only). Timeouts take any positive number, or Infinity for none. */
  connectionTimeout?: number | undefined;
  /** Milliseconds until response headers, per attempt. */
  requestTimeout?: number | undefined;
  /** Milliseconds of silence allowed between body chunks (default 300000; commands: their timeout + 30 s). */
  idleTimeout?: number | undefined;
  /** Milliseconds for a whole call, retries and streamed body included. */
  deadline?: number | undefined;
  /** Largest SSE event or event-stream frame, in bytes (default 16 MiB). */
  maxEventBytes?: number | undefined;
  /** Largest body a call buffers whole (blocking invoke, blocking command output), in bytes (default 100 MiB). */
  maxResponseBytes?: number | undefined;
  /** Where the client logs: console- or pino-compatible; tokens are always redacted. Default: no logging. */
  logger?: Logger | undefined;
  /** Log request and response payloads (off by default; tokens are redacted either way). */
  logPayloads?: boolean | undefined;
  /** Your application's id, appended to the `x-amz-user-agent` header as `app/<id>`. */
  userAgentAppId?: string | undefined;
}

/** Per-call options for `client.send(command, options)`; each overrides the client's setting for this call. */
export interface SendOptions {
  /** Aborts the call (and its stream); the error is an `AbortError`, or `DeadlineExceededError` for a timed-out signal. */
  abortSignal?: AbortSignal | undefined;
  /** Milliseconds until response headers, per attempt. */
  requestTimeout?: number | undefined;
  /** Milliseconds of silence allowed between body chunks. */
  idleTimeout?: number | undefined;
  /** Milliseconds for the whole call, retries and streamed body included. */
  deadline?: number | undefined;
  /** Largest SSE event or event-stream frame, in bytes. */
  maxEventBytes?: number | undefined;
  /** Largest body the call buffers whole, in bytes. */
  maxResponseBytes?: number | undefined;
}

/**
 * The client's configuration after the constructor resolved it once: validated, defaults filled in, the
 * endpoint override read. The token and the HTTP handler are not in it (nothing printable may reach them).
 */
export interface ResolvedConfig extends Readonly<Omit<RuntimeClientConfig, "token" | "requestHandler" | "maxAttempts" | "retryStrategy">> {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  /** The strategy every retry decision goes through (the standard one unless `retryStrategy` was given). */
  readonly retryStrategy: RetryStrategy;
  /** The buffer limits, defaults filled in. */
  readonly limits: ResponseLimits;
}

/**
 * `context.logger`: every level callable, as the AWS SDK's `Logger` promises middleware. The client's logger
 * when it has all four levels; missing ones go where the logger middleware sends them (`info` and `warn` to
 * `error`, `debug` nowhere); without a logger, one that does nothing.
 */
export interface ContextLogger {
  /** Detail for debugging. */
  debug: (...args: any[]) => void;
  /** Normal operation. */
  info: (...args: any[]) => void;
  /** Something that may need attention. */
  warn: (...args: any[]) => void;
  /** A failure. */
  error: (...args: any[]) => void;
}

/** What serializers, deserializers and middleware know about the call in flight. */
export interface RuntimeContext extends HandlerExecutionContext {
  /** The command's class name, e.g. `InvokeCommand`. */
  commandName: string;
  /** The operation the command calls. */
  operation: Operation;
  /** The command being sent (its `serialize` and `deserialize` run inside the stack). */
  command: { serialize(input: any, context: RuntimeContext): Promise<unknown>; deserialize(response: any, context: RuntimeContext): Promise<unknown> };
  /** The client's resolved configuration. */
  config: ResolvedConfig;
  /**
   * The client's logger (missing levels filled in), or one that does nothing when none is configured (as the AWS
   * SDK's NoOpLogger), so a middleware can call `context.logger.debug(…)` either way.
   */
  logger: ContextLogger;
  /**
   * Aborted by the caller's signal, the call's deadline or `destroy()`; its reason is a typed AgentRuntimeError.
   * A middleware may put its own signal in its place (e.g. `AbortSignal.any([context.signal, mine])`): when that
   * one aborts, the call aborts with its reason.
   */
  signal: AbortSignal;
  /**
   * The call's abort state that `signal` mirrors, without the cost of an `AbortSignal` (made only when read).
   * @internal
   */
  abort: Abort;
  /**
   * Requests sent when no retry middleware counts them (one removed from the stack), for `$metadata.attempts`.
   * @internal
   */
  sent?: { count: number } | undefined;
  /**
   * The abort of the call's last attempt (its response body follows it), ended when the call fails.
   * @internal
   */
  attempt?: Abort | undefined;
  /** This call's timeouts (ms) and buffer limits: per-call options over the client's over each operation's defaults. */
  requestTimeout?: number | undefined;
  /** This call's idle timeout (ms). */
  idleTimeout?: number | undefined;
  /** This call's buffer limits. */
  limits: ResponseLimits;
  /** The session id the request carries (set by the command's serializer; the output's fallback sessionId). */
  sessionId?: string | undefined;
  /** The HTTP handler, created on first use. */
  requestHandler(): HttpHandler | Promise<HttpHandler>;
}

/** Anything that carries `$metadata`: every command output. */
export interface MetadataBearer {
  /** HTTP status, request id, attempts and total retry delay of the call. */
  $metadata: ResponseMetadata;
}
