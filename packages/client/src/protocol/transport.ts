import type { HttpHandler, HttpRequest, HttpResponse } from "@smithy/protocol-http";
import { decideRetryable } from "../middleware/retry";
import type { RuntimeContext } from "../types";
import { openBody, type BodyReader } from "./body";
import { AgentRuntimeError, clientError, ClientErrorNames } from "./errors";
import { startTimer } from "./timers";

/** A response whose body the transport opened: read it chunk by chunk, under the call's idle timeout and abort. */
export type RuntimeResponse = HttpResponse & { body: BodyReader };

/** What the retry middleware hands down so the transport can count the requests a call really sent. */
export interface SentCounter {
  count: number;
}

/** The default Node handler can say whether a request still waits in its pool for a socket. */
type PoolAware = HttpHandler & { waitingForSocket?(request: HttpRequest): boolean };

/**
 * Maps what an HTTP handler throws before a response into a typed error (NetworkError or
 * ConnectionTimeoutError, with the errno `code` and `beforeResponse`), retry-classified by the one classifier.
 */
function transportError(e: unknown, context: RuntimeContext): AgentRuntimeError {
  if (AgentRuntimeError.isInstance(e)) return e;
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  let error: AgentRuntimeError;
  // @smithy/node-http-handler's connectionTimeout: a TimeoutError without an errno code ("did not establish a connection")
  if (err?.name === "TimeoutError" && code === undefined && /connect/i.test(err.message ?? "")) {
    const limit = context.config.connectionTimeout;
    error = clientError(ClientErrorNames.connectionTimeout, `Could not connect${limit ? ` within ${limit} ms` : " in time"} (connectionTimeout)`, {
      cause: e,
      fields: { code: "ETIMEDOUT", beforeResponse: true },
    });
  } else {
    error = clientError(ClientErrorNames.network, `The request failed before a response arrived: ${err?.message ?? String(e)}`, {
      cause: e,
      fields: { code, beforeResponse: true },
    });
  }
  return decideRetryable(error, context);
}

/**
 * One attempt, the last handler of the stack: hands the request to the HTTP handler, waits for the response
 * headers under `requestTimeout` (else the idle timeout), and returns the response with its body opened as a
 * reader under the idle timeout and the call's abort signal.
 */
export async function transport(request: HttpRequest, context: RuntimeContext, sent?: SentCounter): Promise<{ response: RuntimeResponse }> {
  const callSignal = context.signal;
  if (callSignal.aborted) throw callSignal.reason;
  let handler = context.requestHandler() as PoolAware | Promise<PoolAware>;
  if (handler instanceof Promise) {
    // the default Node handler is loaded on the first send
    handler = await handler;
    if (callSignal.aborted) throw callSignal.reason;
  }
  const http = handler;
  if (sent) sent.count++;
  const attempt = new AbortController();
  const onCallAbort = () => attempt.abort(callSignal.reason);
  callSignal.addEventListener("abort", onCallAbort, { once: true });
  const detach = () => callSignal.removeEventListener("abort", onCallAbort);
  let stopTimer: (() => void) | undefined;
  // without a requestTimeout the idle timeout also bounds the wait for headers (as the Python SDK's read
  // timeout does), so a half-open connection cannot hang a call forever
  const headersWithin = context.requestTimeout ?? context.idleTimeout;
  if (headersWithin !== undefined) {
    const ms = headersWithin;
    const option = context.requestTimeout === undefined ? "idleTimeout" : "requestTimeout";
    stopTimer = startTimer(ms, () => {
      // a request the connection pool never gave a socket was never sent: say so, it is not a slow server
      const queued = http.waitingForSocket?.(request) === true;
      const message = queued
        ? `The request waited ${ms} ms (${option}) for a free connection and was never sent: all maxSockets connections to ${request.hostname} are in use (raise maxSockets, or close streams you no longer read)`
        : `No response headers within ${ms} ms (${option})`;
      attempt.abort(decideRetryable(clientError(ClientErrorNames.requestTimeout, message, { fields: queued ? { neverSent: true } : undefined }), context));
    });
  }
  try {
    // settles on the handler's answer or on our own abort, whichever comes first; a rejection after our own
    // abort is superseded by the abort's typed reason
    const { response } = await new Promise<{ response: HttpResponse }>((resolve, reject) => {
      const onAbort = () => reject(attempt.signal.reason);
      attempt.signal.addEventListener("abort", onAbort, { once: true });
      http.handle(request, { abortSignal: attempt.signal as any }).then(
        (result) => {
          attempt.signal.removeEventListener("abort", onAbort);
          resolve(result as { response: HttpResponse });
        },
        (e) => {
          attempt.signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
    stopTimer?.();
    response.body = openBody(response.body, { signal: attempt.signal, idleTimeout: context.idleTimeout, onClose: detach });
    return { response: response as RuntimeResponse };
  } catch (e) {
    stopTimer?.();
    detach();
    if (attempt.signal.aborted) throw attempt.signal.reason;
    throw transportError(e, context);
  }
}
