import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { Operation, RuntimeContext } from "../Command";
import { DEFAULT_MAX_ATTEMPTS, type RuntimeClientConfig } from "../config";
import { AgentRuntimeError, ClientErrorNames, headerValue } from "../protocol/errors";
import { uuidv4 } from "../protocol/uuid";

/** The kinds of failure a retry decision distinguishes. */
export type RetryClass =
  | "throttling" // 429 ThrottlingException
  | "conflict" // 409 RetryableConflictException
  | "unavailable" // 503
  | "gateway" // 502, 504
  | "serverError" // 500 InternalServerException
  | "coldStart" // 424 RuntimeClientError
  | "connectionRefused" // never connected: ECONNREFUSED, connection timeout
  | "connection" // connected, failed before any response byte: ECONNRESET, EPIPE, ETIMEDOUT
  | "requestTimeout"; // no response headers within requestTimeout

/** Turn classes of retry on or off for every operation; unset classes keep the operation's default. */
export type RetryOptions = Partial<Record<RetryClass, boolean>>;

/**
 * Defaults per operation. Stop is idempotent, so everything transient is retried. Invoke and commands retry
 * only what the service rejected before the agent could act, plus (invoke) gateway and connection failures
 * before any response byte. Commands never retry anything after which the shell command may have started.
 */
export const DEFAULT_RETRY: Record<Operation, Record<RetryClass, boolean>> = {
  stop: { throttling: true, conflict: true, unavailable: true, gateway: true, serverError: true, coldStart: true, connectionRefused: true, connection: true, requestTimeout: true },
  invoke: { throttling: true, conflict: true, unavailable: true, gateway: true, serverError: false, coldStart: false, connectionRefused: true, connection: true, requestTimeout: false },
  commands: { throttling: true, conflict: true, unavailable: true, gateway: false, serverError: false, coldStart: false, connectionRefused: true, connection: false, requestTimeout: false },
};

export function retryClassOf(error: unknown): RetryClass | undefined {
  if (!AgentRuntimeError.isInstance(error)) return undefined;
  const e = error as AgentRuntimeError;
  switch (e.name) {
    case "ThrottlingException":
      return "throttling";
    case "RetryableConflictException":
      return "conflict";
    case ClientErrorNames.connectionTimeout:
      return "connectionRefused";
    case ClientErrorNames.requestTimeout:
      return "requestTimeout";
    case ClientErrorNames.network: {
      if (e.beforeResponse !== true) return undefined;
      if (e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "EAI_AGAIN" || e.code === "EHOSTUNREACH" || e.code === "ENETUNREACH") return "connectionRefused";
      return e.retryable ? "connection" : undefined;
    }
  }
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

/** Seconds or an HTTP date in `Retry-After`, or milliseconds in `retry-after-ms`. */
export function retryAfterMs(error: AgentRuntimeError, now: number = Date.now()): number | undefined {
  const headers = error.$response?.headers;
  if (!headers) return undefined;
  const ms = headerValue(headers, "retry-after-ms");
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const after = headerValue(headers, "retry-after");
  if (after === undefined) return undefined;
  if (/^\d+$/.test(after.trim())) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
  /** Backoff base in ms (default 100; throttling and conflicts 500). */
  baseDelay?: number;
  /** Upper bound of any wait, Retry-After included (default 20000). */
  maxDelay?: number;
  /** Random source for full jitter (default Math.random). */
  random?: () => number;
  now?: () => number;
}

/** Exponential backoff with full jitter; a `Retry-After` from the server replaces the jitter, capped at maxDelay. */
export function standardRetryStrategy(options: StandardRetryOptions = {}): RetryStrategy {
  const { maxAttempts = DEFAULT_MAX_ATTEMPTS, retry = {}, baseDelay = 100, maxDelay = 20_000, random = Math.random, now = Date.now } = options;
  return {
    maxAttempts,
    retryDelay(error, attempt, operation) {
      const cls = retryClassOf(error);
      if (!cls) return undefined;
      if (!(retry[cls] ?? DEFAULT_RETRY[operation][cls])) return undefined;
      const after = retryAfterMs(error, now());
      if (after !== undefined) return Math.min(after, maxDelay);
      const base = cls === "throttling" || cls === "conflict" ? Math.max(baseDelay, 500) : baseDelay;
      return Math.floor(random() * Math.min(maxDelay, base * 2 ** (attempt - 1)));
    },
  };
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export const retryMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "retryMiddleware",
  priority: "high",
  override: true,
};

/** Re-sends failed attempts the strategy allows, never once a body has reached the caller or the call was aborted. */
export function retryMiddleware(config: RuntimeClientConfig): FinalizeRequestMiddleware<any, any> {
  let strategy: RetryStrategy | undefined;
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    strategy ??= config.retryStrategy ?? standardRetryStrategy({ maxAttempts: config.maxAttempts, retry: config.retry });
    const max = Math.max(1, Math.floor(strategy.maxAttempts));
    const sleep = strategy.sleep ?? abortableSleep;
    const invocationId = uuidv4();
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      const request = HttpRequest.clone(args.request as HttpRequest);
      request.headers["amz-sdk-invocation-id"] = invocationId;
      request.headers["amz-sdk-request"] = `attempt=${attempt}; max=${max}`;
      try {
        const result = await next({ ...args, request });
        const output = result.output as { $metadata?: Record<string, unknown> };
        if (output?.$metadata) Object.assign(output.$metadata, { attempts: attempt, totalRetryDelay });
        return result;
      } catch (e) {
        if (!AgentRuntimeError.isInstance(e)) throw e;
        const error = e as AgentRuntimeError;
        error.$metadata = { ...error.$metadata, attempts: attempt, totalRetryDelay };
        if (attempt >= max || context.streamed || context.signal.aborted) throw error;
        const delay = strategy.retryDelay(error, attempt, context.operation);
        if (delay === undefined) throw error;
        context.logger?.info?.(`agentcore: ${context.commandName} attempt ${attempt} failed with ${error.name}; retrying in ${delay} ms`);
        await sleep(Math.max(0, delay), context.signal);
        totalRetryDelay += delay;
      }
    }
  };
}

