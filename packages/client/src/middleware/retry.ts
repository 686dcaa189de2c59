import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import { OPERATIONS } from "../operations";
import { AgentRuntimeError, ClientErrorNames, headerValue, type NetworkError, type RequestTimeoutError } from "../protocol/errors";
import { withFields } from "../protocol/objects";
import { checkInteger, startTimer } from "../protocol/timers";
import { uuidv4 } from "../protocol/uuid";
import type { Operation, RetryClass, RetryOptions, RetryStrategy, RuntimeContext } from "../types";

export type { RetryClass, RetryClassSwitches, RetryOptions, RetryStrategy } from "../types";

/** Each operation's default retry classes (the `retry` column of the operations table). */
export const DEFAULT_RETRY: Record<Operation, Record<RetryClass, boolean>> = {
  invoke: OPERATIONS.invoke.retry,
  commands: OPERATIONS.commands.retry,
  stop: OPERATIONS.stop.retry,
};

/** Errno codes of a connection that was never made: safe to repeat for every operation. */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** Errno codes of a connection that failed before any response byte. */
const CONNECTION_FAILED = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET"]);
/** Status codes that decide the class when the error's name does not. */
/** The most attempts a call may make (`maxAttempts`, a strategy's own): more is a retry storm, not resilience. */
export const MAX_ATTEMPTS = 100;

const STATUS_CLASSES: Record<number, RetryClass> = { 429: "throttling", 503: "unavailable", 502: "gateway", 504: "gateway", 500: "serverError", 424: "coldStart" };

/**
 * The one classifier: the retry class of an error, or undefined for errors that are never retried. Whether a
 * class is retried is the operation's table entry (or the caller's `retry` switches); `error.retryable` is
 * that same decision.
 */
export function retryClassOf(error: unknown): RetryClass | undefined {
  if (!AgentRuntimeError.isInstance(error)) return undefined;
  const e = error as AgentRuntimeError;
  switch (e.name) {
    case ClientErrorNames.connectionTimeout:
      return "connectionRefused";
    case ClientErrorNames.requestTimeout:
      // queued for a socket and never sent: as safe to repeat as a refused connection
      return (e as RequestTimeoutError).neverSent === true ? "connectionRefused" : "requestTimeout";
    case ClientErrorNames.network: {
      // a failure that names no cause (no errno code: fetch's bare TypeError, Workers' "Network connection lost."),
      // after which the agent may have run (transportError does not mark it beforeResponse); and a connection that failed
      // partway through the response head (the default Node handler counts its bytes): the request reached it
      if ((e as NetworkError).beforeResponse !== true) {
        const cause = e.cause as { name?: unknown; responseBytes?: unknown } | undefined;
        return (e as NetworkError).code === undefined || typeof cause?.responseBytes === "number" ? "unknownOutcome" : undefined;
      }
      const code = (e as NetworkError).code;
      return code === undefined ? undefined : NEVER_CONNECTED.has(code) ? "connectionRefused" : CONNECTION_FAILED.has(code) ? "connection" : undefined;
    }
  }
  // in-band errors (an SSE error event, an event-stream exception) have no status or the stream's 2xx one: the
  // agent already ran, whatever their name says
  if (e.statusCode === undefined || e.statusCode < 300) return undefined;
  if (e.name === "ThrottlingException") return "throttling";
  if (e.name === "RetryableConflictException") return "conflict";
  return STATUS_CLASSES[e.statusCode];
}

/**
 * Sets `error.retryable` to the retry decision for this call's operation: the standard strategy's own (the
 * same function its retryDelay asks), or for a custom strategy the class table with the client's `retry`
 * switches (a custom strategy's retryDelay is only asked when an attempt really failed).
 */
export function decideRetryable<E extends AgentRuntimeError>(error: E, context: Pick<RuntimeContext, "config" | "operation">): E {
  const strategy = context.config.retryStrategy as RetryStrategy & { retryable?(e: AgentRuntimeError, op: Operation): boolean };
  if (strategy.retryable) error.retryable = strategy.retryable(error, context.operation);
  else {
    const cls = retryClassOf(error);
    error.retryable = cls !== undefined && isRetryEnabled(cls, context.operation, context.config.retry);
  }
  return error;
}

/** Whether `cls` is retried for `operation` under `options` (per-operation switch, then global, then default). */
export function isRetryEnabled(cls: RetryClass, operation: Operation, options: RetryOptions = {}): boolean {
  return options[operation]?.[cls] ?? options[cls] ?? OPERATIONS[operation].retry[cls];
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

/** Options of `standardRetryStrategy`. */
export interface StandardRetryOptions {
  /** Total attempts including the first (default 3). */
  maxAttempts?: number | undefined;
  /** Retry classes switched on or off, on top of each operation's defaults. */
  retry?: RetryOptions | undefined;
  /** Backoff base in ms (default 100; throttling and conflicts at least 500). */
  baseDelay?: number | undefined;
  /** Upper bound of any wait, Retry-After included (default 20000). */
  maxDelay?: number | undefined;
  /** Random source for full jitter, in [0, 1) (default Math.random). */
  random?: (() => number) | undefined;
  /** Clock for Retry-After HTTP dates (default Date.now). */
  now?: (() => number) | undefined;
  /** Replaces the abortable timer between attempts (tests). */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

/** Exponential backoff with full jitter; a `Retry-After` from the server replaces the jitter, capped at maxDelay. */
export function standardRetryStrategy(options: StandardRetryOptions = {}): RetryStrategy & { retryable(error: AgentRuntimeError, operation: Operation): boolean } {
  const { maxAttempts = 3, retry = {}, baseDelay = 100, maxDelay = 20_000, random = Math.random, now = Date.now, sleep } = options;
  checkInteger("maxAttempts", maxAttempts, 1, MAX_ATTEMPTS);
  const retryable = (error: AgentRuntimeError, operation: Operation) => {
    const cls = retryClassOf(error);
    return cls !== undefined && isRetryEnabled(cls, operation, retry);
  };
  return {
    maxAttempts,
    sleep,
    retryable,
    retryDelay(error, attempt, operation) {
      const cls = retryClassOf(error);
      if (!cls || !retryable(error, operation)) return undefined;
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

/**
 * Where `retryMiddleware` sits: finalizeRequest, high priority, outside auth and logging so each attempt passes
 * through them again.
 */
export const retryMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "retryMiddleware",
  // the AWS SDK's tag: `middlewareStack.removeByTag("RETRY")` turns retries off, as it does there
  tags: ["RETRY"],
  priority: "high",
  override: true,
};

/** `amz-sdk-request` of a first attempt, made once per `maxAttempts`. */
const FIRST_ATTEMPT: Record<number, string> = {};
const firstAttempt = (max: number) => (FIRST_ATTEMPT[max] ??= `attempt=1; max=${max}`);

/** Errors raised after a 2xx response arrived: the agent may be acting on the call, so they are never retried. */
const accepted = new WeakSet<object>();

/** Marks an error raised while reading or decoding a 2xx response. */
export function markAccepted(error: unknown): void {
  if (error !== null && typeof error === "object") accepted.add(error);
}

/**
 * Re-sends failed attempts the strategy allows; never one raised after a 2xx response (the agent may be
 * acting on it), nor after an abort or deadline. Outermost in finalizeRequest, so bearer auth signs every
 * attempt afresh. The `config` argument is ignored: the strategy is the client's resolved one.
 */
export function retryMiddleware(_config?: unknown): FinalizeRequestMiddleware<any, any> {
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    const strategy = context.config.retryStrategy;
    const max = context.config.maxAttempts;
    const sleep = strategy.sleep ?? abortableSleep;
    const invocationId = uuidv4();
    // counted by the transport: a 401 refresh sends twice in one attempt
    const sent = { count: 0 };
    let totalRetryDelay = 0;
    // $metadata.attempts: requests handed to the HTTP handler (a 401 refresh sends two in one attempt; an attempt
    // refused on the way, by an http endpoint or a token provider that threw, none). A middleware that drops
    // args.sent leaves the transport counting on the context instead; each request counts in one of the two
    const requests = () => sent.count + (context.sent?.count ?? 0);
    for (let attempt = 1; ; attempt++) {
      // (aborted before this attempt began: the attempts made so far)
      if (context.abort.aborted) throw withMetadata(context.abort.reason, requests(), totalRetryDelay);
      // a fresh request per attempt (later middleware may change it); headers and query copied, not deep-cloned
      const original = args.request as HttpRequest;
      const request = new HttpRequest(original);
      request.query = { ...original.query };
      request.headers = withFields(original.headers, {
        "amz-sdk-invocation-id": invocationId,
        "amz-sdk-request": attempt === 1 ? firstAttempt(max) : `attempt=${attempt}; max=${max}`,
      });
      try {
        const result = await next(withFields(args, { request, sent }) as typeof args);
        const $metadata = (result.output as { $metadata?: Record<string, unknown> } | undefined)?.$metadata;
        if ($metadata) {
          // (at least 1: a middleware may answer without sending)
          $metadata.attempts = Math.max(1, requests());
          $metadata.totalRetryDelay = totalRetryDelay;
        }
        return result;
      } catch (e) {
        // an abort or deadline wins over whatever the interrupted attempt produced
        if (context.abort.aborted) throw withMetadata(context.abort.reason, requests(), totalRetryDelay);
        if (!AgentRuntimeError.isInstance(e)) throw e;
        const error = withMetadata(e, requests(), totalRetryDelay) as AgentRuntimeError;
        if (attempt >= max || accepted.has(e)) throw error;
        const delay = strategy.retryDelay(error, attempt, context.operation);
        // undefined, NaN or Infinity (a wait that never ends, and would hold no timer): the strategy gives up
        if (!(typeof delay === "number" && delay < Infinity)) throw error;
        const wait = Math.max(0, Math.round(delay));
        context.logger?.info?.(`agentcore: ${context.commandName} attempt ${attempt} failed with ${error.name}; retrying in ${wait} ms`);
        const slept = totalRetryDelay;
        await sleep(wait, context.signal).catch((reason) => {
          throw withMetadata(reason, requests(), slept);
        });
        totalRetryDelay += wait;
      }
    }
  };
}

/** Sets the call's attempts (requests really sent, a 401 refresh included) and total backoff on an SDK error. */
function withMetadata(error: unknown, requests: number, totalRetryDelay: number): unknown {
  if (AgentRuntimeError.isInstance(error)) {
    const e = error as AgentRuntimeError;
    e.$metadata = { ...e.$metadata, attempts: requests, totalRetryDelay };
  }
  return error;
}
