import type { HttpHandler } from "@smithy/protocol-http";
import type { RetryOptions, RetryStrategy } from "./middleware/retry";

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
  /** Milliseconds to establish a connection (Node default handler only). */
  connectionTimeout?: number;
  /** Milliseconds until response headers, per attempt. */
  requestTimeout?: number;
  /** Milliseconds of silence allowed between body chunks (default 300000; commands: their timeout + 30 s). */
  idleTimeout?: number;
  /** Milliseconds for a whole call, retries and streamed body included. */
  deadline?: number;
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
}

export const DEFAULT_IDLE_TIMEOUT = 300_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const SDK_VERSION = "0.1.0";
