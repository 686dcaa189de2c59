import type { HttpHandler } from "@smithy/protocol-http";
import type { RetryOptions, RetryStrategy } from "./middleware/retry";
import { DEFAULT_LIMITS, type ResponseLimits } from "./protocol/limits";
import { checkDuration, checkInteger } from "./protocol/timers";

/** A bearer-token source: memoised by the client, asked again with `forceRefresh` after a 401. */
export type TokenProvider = (options: { forceRefresh: boolean }) => Promise<string | { token: string; expiresAt?: Date }>;

/** Console- and pino-compatible. */
export interface Logger {
  debug?: (...args: any[]) => void;
  info?: (...args: any[]) => void;
  warn?: (...args: any[]) => void;
  error?: (...args: any[]) => void;
}

export interface RuntimeClientConfig {
  /** Default bearer credential; a command's `bearerToken` overrides it for that call. */
  token?: string | TokenProvider;
  /** Only needed when a command names a runtime id + accountId instead of an ARN. */
  region?: string;
  /** Custom base URL (emulator, proxy, VPC endpoint); plain http only for loopback hosts. */
  endpoint?: string;
  useFipsEndpoint?: boolean;
  useDualstackEndpoint?: boolean;
  /** An @smithy/protocol-http handler; default (Node: NodeHttpHandler, browsers: FetchHttpHandler) created on the first send. */
  requestHandler?: HttpHandler;
  /** Total attempts including the first (default 3). */
  maxAttempts?: number;
  /** Which failures are retried, on top of each operation's safe defaults. */
  retry?: RetryOptions;
  /** Replaces the built-in retry decisions and backoff. */
  retryStrategy?: RetryStrategy;
  /**
   * Connections the default Node handler opens per host (default Infinity: every open stream holds one, so a
   * proxy streaming to many users needs no tuning). A request that waits past its timeout for a free socket
   * fails with a RequestTimeoutError that says so.
   */
  maxSockets?: number;
  /** Milliseconds to establish a connection (Node default handler only). Timeouts take any positive number, or Infinity for none. */
  connectionTimeout?: number;
  /** Milliseconds until response headers, per attempt. */
  requestTimeout?: number;
  /** Milliseconds of silence allowed between body chunks (default 300000; commands: their timeout + 30 s). */
  idleTimeout?: number;
  /** Milliseconds for a whole call, retries and streamed body included. */
  deadline?: number;
  /** Largest SSE event or event-stream frame, in bytes (default 16 MiB). */
  maxEventBytes?: number;
  /** Largest body a call buffers whole (blocking invoke, blocking command output), in bytes (default 100 MiB). */
  maxResponseBytes?: number;
  logger?: Logger;
  /** Log request and response payloads (off by default; tokens are redacted either way). */
  logPayloads?: boolean;
  userAgentAppId?: string;
}

export interface SendOptions {
  abortSignal?: AbortSignal;
  requestTimeout?: number;
  idleTimeout?: number;
  deadline?: number;
  maxEventBytes?: number;
  maxResponseBytes?: number;
}

export const DEFAULT_IDLE_TIMEOUT = 300_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
/** More attempts than this is a retry storm, not resilience. */
export const MAX_ATTEMPTS_CAP = 100;

/** Checks the options a call's timers and limits read; a bad value is an InvalidParameterError before anything is sent. */
export function checkCallOptions(options: SendOptions | RuntimeClientConfig): void {
  checkDuration("requestTimeout", options.requestTimeout);
  checkDuration("idleTimeout", options.idleTimeout);
  checkDuration("deadline", options.deadline);
  checkInteger("maxEventBytes", options.maxEventBytes, 1, Number.MAX_SAFE_INTEGER);
  checkInteger("maxResponseBytes", options.maxResponseBytes, 1, Number.MAX_SAFE_INTEGER);
}

/** Validates a client config once, in the constructor. */
export function checkClientConfig(config: RuntimeClientConfig): void {
  checkCallOptions(config);
  checkDuration("connectionTimeout", config.connectionTimeout);
  checkInteger("maxAttempts", config.maxAttempts, 1, MAX_ATTEMPTS_CAP);
  if (config.maxSockets !== Infinity) checkInteger("maxSockets", config.maxSockets, 1, Number.MAX_SAFE_INTEGER);
}

/** The call's limits: per call, else the client's, else the defaults. */
export function resolveLimits(config: RuntimeClientConfig, options: SendOptions): ResponseLimits {
  return {
    maxEventBytes: options.maxEventBytes ?? config.maxEventBytes ?? DEFAULT_LIMITS.maxEventBytes,
    maxResponseBytes: options.maxResponseBytes ?? config.maxResponseBytes ?? DEFAULT_LIMITS.maxResponseBytes,
  };
}
export { SDK_VERSION } from "./version";
