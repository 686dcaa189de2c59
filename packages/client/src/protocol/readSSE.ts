import type { HttpResponse } from "@smithy/protocol-http";
import { invokeEvents } from "../commands/invokeSerde";
import type { RuntimeResponseHeaders } from "../commands/serde";
import type { RuntimeContext } from "../types";
import { followSignal } from "./abort";
import { openBody, readUpTo } from "./body";
import { callerAbortError, errorFromResponse } from "./errors";
import { DEFAULT_LIMITS } from "./limits";
import type { SseEvent } from "./sse";
import { RuntimeStream } from "./stream";

/** Options of `readSSE`. */
export interface ReadSSEOptions {
  /** Largest event, in bytes (default 16 MiB); past it a `ResponseLimitExceededError`. */
  maxEventBytes?: number | undefined;
  /** Milliseconds of silence allowed between chunks (default none); a proxy's heartbeats count as data. */
  idleTimeout?: number | undefined;
  /** Cancels the body and ends the stream with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** Longest error body read from a failed response, for its message. */
const ERROR_BODY_BYTES = 64 * 1024;

function headersOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => (out[key] = value));
  return out;
}

/**
 * Reads an SSE body — a `Response` from your own server (e.g. one that sends `stream.toSSEResponse()`), or its
 * bytes — as the same `RuntimeStream<SseEvent>` InvokeStreamCommand gives: an `event: error` is raised as an
 * AgentRuntimeError named by its `error_type`, a body that ends inside an event as `TruncatedStreamError`, an
 * event past `maxEventBytes` as `ResponseLimitExceededError`. A `Response` with an error status raises the typed
 * error its body describes. For the browser side of a proxy; works in Node too.
 */
export function readSSE(source: Response | ReadableStream<Uint8Array>, options: ReadSSEOptions = {}): RuntimeStream<SseEvent> {
  const isResponse = typeof (source as Response).status === "number" && typeof (source as Response).headers === "object" && !("getReader" in source);
  const response = isResponse ? (source as Response) : undefined;
  const bodySource = response ? response.body : (source as ReadableStream<Uint8Array>);
  // the listener on the caller's signal goes when the body is done, so a long-lived signal collects none
  // (the same typed errors as a send: AbortError, or DeadlineExceededError for AbortSignal.timeout())
  const { abort, detach } = options.signal ? followSignal(options.signal, callerAbortError) : ({} as Partial<ReturnType<typeof followSignal>>);
  const body = openBody(bodySource, { abort, idleTimeout: options.idleTimeout, onClose: detach });
  const statusCode = response?.status ?? 200;
  // no session here (the caller fetched the body): errors carry no sessionId, as streamFailure skips an undefined one
  const head = { statusCode, contentType: "text/event-stream", $metadata: { httpStatusCode: statusCode } } as RuntimeResponseHeaders;
  const requestId = response?.headers.get("x-amzn-requestid") ?? undefined;
  if (requestId) head.$metadata.requestId = requestId;
  const context = { limits: { ...DEFAULT_LIMITS, maxEventBytes: options.maxEventBytes ?? DEFAULT_LIMITS.maxEventBytes } } as RuntimeContext;

  async function* events(): AsyncGenerator<SseEvent, void, undefined> {
    if (response && !response.ok) {
      // a longer body is cut, not dropped: its first 64 KiB still name the error
      const bytes = await readUpTo(body, ERROR_BODY_BYTES);
      const raw = { statusCode, reason: response.statusText, headers: headersOf(response), body: bytes } as unknown as HttpResponse;
      throw errorFromResponse(raw, bytes, { httpStatusCode: statusCode, requestId });
    }
    yield* invokeEvents(body, context, head);
  }
  return new RuntimeStream(events, (reason) => body.cancel(reason));
}
