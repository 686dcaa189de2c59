import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { Operation, RuntimeContext } from "../Command";
import { DEFAULT_MAX_ATTEMPTS, type RuntimeClientConfig } from "../config";
import { AgentRuntimeError, ClientErrorNames, headerValue } from "../protocol/errors";
import { startTimer } from "../protocol/timers";
import { uuidv4 } from "../protocol/uuid";

/** The kinds of failure a retry decision distinguishes. */
export type RetryClass =
  | "throttling" // 429 ThrottlingException
  | "conflict" // 409 RetryableConflictException
  | "unavailable" // 503
  | "gateway" // 502, 504
  | "serverError" // 500 InternalServerException
  | "coldStart" // 424 RuntimeClientError
  | "connectionRefused" // never connected: ECONNREFUSED, DNS failure, connection timeout
  | "connection" // connected, failed before any response byte: ECONNRESET, EPIPE, ETIMEDOUT
  | "requestTimeout"; // no response headers within requestTimeout

export type RetryClassSwitches = Partial<Record<RetryClass, boolean>>;

/**
 * Turn classes of retry on or off: `{ serverError: true }` for every operation, or
 * `{ invoke: { gateway: false } }` for one. Unset classes keep the operation's default.
 */
export type RetryOptions = RetryClassSwitches & Partial<Record<Operation, RetryClassSwitches>>;

/**
 * Defaults per operation. Stop is idempotent, so everything transient is retried. Invoke and commands retry
 * what the service rejected before the agent could act, plus (invoke) gateway and connection failures
 * before any response byte. Commands never retry anything after which the shell command may have started.
 */
export const DEFAULT_RETRY: Record<Operation, Record<RetryClass, boolean>> = {
  stop: { throttling: true, conflict: true, unavailable: true, gateway: true, serverError: true, coldStart: true, connectionRefused: true, connection: true, requestTimeout: true },
  invoke: { throttling: true, conflict: true, unavailable: true, gateway: true, serverError: false, coldStart: false, connectionRefused: true, connection: true, requestTimeout: false },
  commands: { throttling: true, conflict: true, unavailable: true, gateway: false, serverError: false, coldStart: false, connectionRefused: true, connection: false, requestTimeout: false },
};

const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** The retry class of an error, or undefined for errors that are never retried. */
export function retryClassOf(error: unknown): RetryClass | undefined {
  if (!AgentRuntimeError.isInstance(error)) return undefined;
  const e = error as AgentRuntimeError;
  switch (e.name) {
    case ClientErrorNames.connectionTimeout:
      return "connectionRefused";
    case ClientErrorNames.requestTimeout:
      // queued for a socket and never sent: as safe to repeat as a refused connection
      return e.neverSent === true ? "connectionRefused" : "requestTimeout";
    case ClientErrorNames.network: {
      if (e.beforeResponse !== true) return undefined;
      if (NEVER_CONNECTED.has(e.code as string)) return "connectionRefused";
      return e.retryable ? "connection" : undefined;
    }
  }
  // in-band errors (an SSE error event, an event-stream exception) have no status: the agent already ran
  if (e.statusCode === undefined) return undefined;
  if (e.name === "ThrottlingException") return "throttling";
  if (e.name === "RetryableConflictException") return "conflict";
  switch (e.statusCode) {
    case 429:
      return "throttling";
    case 503:
      return "unavailable";
    case 502:
    case 504:
      return "gateway";
    case 500:
      return "serverError";
    case 424:
      return "coldStart";
  }
  return undefined;
}

/** Whether `cls` is retried for `operation` under `options` (per-operation switch, then global, then default). */
export function isRetryEnabled(cls: RetryClass, operation: Operation, options: RetryOptions = {}): boolean {
  return options[operation]?.[cls] ?? options[cls] ?? DEFAULT_RETRY[operation][cls];
}

/**
 * Milliseconds in `retry-after-ms`, else seconds or an HTTP date in `Retry-After`. Undefined when absent,
 * unreadable, zero, negative or in the past: the normal backoff applies then, never a zero-delay storm.
 */
export function retryAfterMs(error: AgentRuntimeError, now: number = Date.now()): number | undefined {
  const headers = error.$response?.headers;
  if (!headers) return undefined;
  const positive = (ms: number) => (Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : undefined);
  const ms = headerValue(headers, "retry-after-ms")?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) {
    const value = positive(Number(ms));
    if (value !== undefined) return value;
  }
  const after = headerValue(headers, "retry-after")?.trim();
  if (!after) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return positive(Number(after) * 1000);
  // an HTTP date has a weekday or month name; a bare "-5" or "1e3" is malformed, not a date
  if (!/[a-z]{3}/i.test(after)) return undefined;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : positive(date - now);
}

export interface RetryStrategy {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  /** Milliseconds to wait before attempt `attempt + 1`, or undefined to give up and throw `error`. */
  retryDelay(error: AgentRuntimeError, attempt: number, operation: Operation): number | undefined;
  /** Waits; rejects with the signal's reason when it aborts. Replaceable in tests. */
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

export interface StandardRetryOptions {
  maxAttempts?: number;
  retry?: RetryOptions;
  /** Backoff base in ms (default 100; throttling and conflicts at least 500). */
  baseDelay?: number;
  /** Upper bound of any wait, Retry-After included (default 20000). */
  maxDelay?: number;
  /** Random source for full jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Clock for Retry-After HTTP dates (default Date.now). */
  now?: () => number;
  /** Replaces the abortable timer between attempts (tests). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Exponential backoff with full jitter; a `Retry-After` from the server replaces the jitter, capped at maxDelay. */
export function standardRetryStrategy(options: StandardRetryOptions = {}): RetryStrategy {
  const { maxAttempts = DEFAULT_MAX_ATTEMPTS, retry = {}, baseDelay = 100, maxDelay = 20_000, random = Math.random, now = Date.now, sleep } = options;
  return {
    maxAttempts,
    sleep,
    retryDelay(error, attempt, operation) {
      const cls = retryClassOf(error);
      if (!cls || !isRetryEnabled(cls, operation, retry)) return undefined;
      const after = retryAfterMs(error, now());
      if (after !== undefined) return Math.min(after, maxDelay);
      const base = cls === "throttling" || cls === "conflict" ? Math.max(baseDelay, 500) : baseDelay;
      return Math.floor(random() * Math.min(maxDelay, base * 2 ** (attempt - 1)));
    },
  };
}

/** A timer that rejects with the signal's reason on abort and leaves no listener or timer behind either way. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      stop();
      reject(signal.reason);
    };
    const stop = startTimer(ms, () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export const retryMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "retryMiddleware",
  priority: "high",
  override: true,
};

/**
 * Re-sends failed attempts the strategy allows; never once a 2xx response arrived (the agent may be acting on
 * it, and a stream may be in the caller's hands) nor after an abort or deadline. Outermost in finalizeRequest,
 * so bearer auth signs every attempt afresh.
 */
export function retryMiddleware(config: RuntimeClientConfig): FinalizeRequestMiddleware<any, any> {
  let strategy: RetryStrategy | undefined;
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    strategy ??= config.retryStrategy ?? standardRetryStrategy({ maxAttempts: config.maxAttempts, retry: config.retry });
    const max = Math.max(1, Math.floor(strategy.maxAttempts) || 1);
    const sleep = strategy.sleep ?? abortableSleep;
    const invocationId = uuidv4();
    let totalRetryDelay = 0;
    const metadata = (attempt: number) => ({ attempts: Math.max(attempt, context.requests ?? 0), totalRetryDelay });
    for (let attempt = 1; ; attempt++) {
      if (context.signal.aborted) throw withMetadata(context.signal.reason, metadata(attempt));
      const request = HttpRequest.clone(args.request as HttpRequest);
      request.headers["amz-sdk-invocation-id"] = invocationId;
      request.headers["amz-sdk-request"] = `attempt=${attempt}; max=${max}`;
      try {
        const result = await next({ ...args, request });
        const output = result.output as { $metadata?: Record<string, unknown> };
        if (output?.$metadata) Object.assign(output.$metadata, metadata(attempt));
        return result;
      } catch (e) {
        // an error body that nobody read must not pin the connection
        if (!context.streamed) await context.body?.cancel().catch(() => undefined);
        // an abort or deadline wins over whatever the interrupted attempt produced
        if (context.signal.aborted) throw withMetadata(context.signal.reason, metadata(attempt));
        if (!AgentRuntimeError.isInstance(e)) throw e;
        const error = withMetadata(e, metadata(attempt)) as AgentRuntimeError;
        if (attempt >= max || context.streamed || context.accepted) throw error;
        const delay = strategy.retryDelay(error, attempt, context.operation);
        if (delay === undefined || Number.isNaN(delay)) throw error;
        const wait = Math.max(0, Math.round(delay));
        context.logger?.info?.(`agentcore: ${context.commandName} attempt ${attempt} failed with ${error.name}; retrying in ${wait} ms`);
        await sleep(wait, context.signal).catch((reason) => {
          throw withMetadata(reason, metadata(attempt));
        });
        totalRetryDelay += wait;
      }
    }
  };
}

function withMetadata(error: unknown, metadata: { attempts: number; totalRetryDelay: number }): unknown {
  if (AgentRuntimeError.isInstance(error)) {
    const e = error as AgentRuntimeError;
    e.$metadata = { ...e.$metadata, ...metadata };
  }
  return error;
}
