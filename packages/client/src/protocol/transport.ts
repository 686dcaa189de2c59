import type { HttpHandler, HttpRequest, HttpResponse } from "@smithy/protocol-http";
import { decideRetryable } from "../middleware/retry";
import type { RuntimeContext } from "../types";
import { openBody, type BodyReader } from "./body";
import { mergeHeaderCase } from "./headerCase";
import { AgentRuntimeError, clientError, ClientErrorNames } from "./errors";
import { Watchdog } from "./timers";
import { Abort } from "./abort";

/** A response whose body the transport opened: read it chunk by chunk, under the call's idle timeout and abort. */
export type RuntimeResponse = HttpResponse & {
  /** The body, read chunk by chunk. */
  body: BodyReader;
};

/** What the retry middleware hands down so the transport can count the requests a call really sent. */
export interface SentCounter {
  count: number;
}

/** The default Node handler can say whether a request still waits in its pool for a socket. */
type PoolAware = HttpHandler & { waitingForSocket?(request: HttpRequest): boolean; connecting?(request: HttpRequest): boolean; takesLightAbort?: boolean };

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
  } else if (err?.name === "TimeoutError" && (code === undefined || typeof code === "number" || /requestTimeout/.test(err.message ?? ""))) {
    // a handler's own timeout (FetchHttpHandler's or NodeHttpHandler's requestTimeout, its socket timeout, a
    // DOMException from AbortSignal.timeout()): the request may have gone out and reached the agent
    error = clientError(ClientErrorNames.requestTimeout, `No response within the HTTP handler's own timeout: ${err.message ?? String(e)}`, { cause: e });
  } else if (typeof (e as { responseBytes?: unknown })?.responseBytes === "number") {
    // the default Node handler saw part of the response head before the connection failed: the request reached
    // the agent, so this is no failure before a response, and not retried where that could run it twice
    error = clientError(
      ClientErrorNames.network,
      `The connection failed after ${(e as { responseBytes: number }).responseBytes} bytes of the response head: ${err.message}; the request reached the agent`,
      { cause: e, fields: { code } },
    );
  } else if (code === undefined) {
    // a failure that names no cause: fetch's bare TypeError (browsers, Deno: a network failure or, in a page, a
    // response the browser blocked by CORS), Cloudflare Workers' plain Error("Network connection lost."), a
    // handler's own Error. The agent may have run: no beforeResponse, so never retried where that could run it twice
    const cors = typeof (globalThis as { document?: unknown }).document === "object" ? ", or a response the browser blocked (CORS: no Access-Control-Allow-Origin)" : "";
    error = clientError(ClientErrorNames.network, `The request failed (${err.message ?? String(e)}): a network error${cors}; it may have reached the agent`, { cause: e });
  } else {
    error = clientError(ClientErrorNames.network, `The request failed before a response arrived: ${err?.message ?? String(e)}`, {
      cause: e,
      fields: { code, beforeResponse: true },
    });
  }
  return decideRetryable(error, context);
}

/** Cancels the body of a response that arrived after its attempt was aborted (a handler that ignored the abort). */
function cancelLateBody(result: unknown): void {
  try {
    void openBody((result as { response?: HttpResponse } | undefined)?.response?.body).cancel().catch(() => undefined);
  } catch {
    // a body of no kind the SDK reads: nothing it could cancel
  }
}

/**
 * One attempt, the last handler of the stack: hands the request to the HTTP handler, waits for the response
 * headers under `requestTimeout` (else the idle timeout), and returns the response with its body opened as a
 * reader under the idle timeout and the call's abort signal.
 */
export async function transport(request: HttpRequest, context: RuntimeContext, sent?: SentCounter): Promise<{ response: RuntimeResponse }> {
  const call = context.abort;
  if (call.aborted) throw call.reason;
  let handler = context.requestHandler() as PoolAware | Promise<PoolAware>;
  if (handler instanceof Promise) {
    // the default Node handler is loaded on the first send
    handler = await handler;
    if (call.aborted) throw call.reason;
  }
  const http = handler;
  mergeHeaderCase(request.headers);
  if (sent) sent.count++;
  // this attempt's abort: the call's (caller, deadline, destroy()) or its own timeouts; it ends with the body
  const attempt = new Abort();
  context.attempt = attempt;
  const unfollow = attempt.follow(call);
  // one timer for the attempt: the wait for headers, then each wait for a body chunk (idleTimeout)
  const watchdog = new Watchdog();
  // without a requestTimeout the idle timeout also bounds the wait for headers (as the Python SDK's read
  // timeout does), so a half-open connection cannot hang a call forever
  const headersWithin = context.requestTimeout ?? context.idleTimeout;
  if (headersWithin !== undefined) {
    const ms = headersWithin;
    const option = context.requestTimeout === undefined ? "idleTimeout" : "requestTimeout";
    watchdog.arm(ms, () => {
      // a request the connection pool never gave a socket was never sent: say so, it is not a slow server
      const queued = http.waitingForSocket?.(request) === true;
      // nor was one whose connection never got made (no connectionTimeout: SYNs dropped, a TLS handshake stalled)
      if (!queued && http.connecting?.(request) === true) {
        const message = `No connection to ${request.hostname} within ${ms} ms (${option}; set connectionTimeout to bound the connect alone): the request was never sent`;
        return attempt.abort(decideRetryable(clientError(ClientErrorNames.connectionTimeout, message, { fields: { code: "ETIMEDOUT", beforeResponse: true } }), context));
      }
      const message = queued
        ? `The request waited ${ms} ms (${option}) for a free connection and was never sent: all maxSockets connections to ${request.hostname} are in use (raise maxSockets, or close streams you no longer read)`
        : `No response headers within ${ms} ms (${option})`;
      attempt.abort(decideRetryable(clientError(ClientErrorNames.requestTimeout, message, { fields: queued ? { neverSent: true } : undefined }), context));
    });
  }
  try {
    // settles on the handler's answer or on our own abort, whichever comes first; a rejection after our own
    // abort is superseded by the abort's typed reason. Our default Node handler takes the light abort state;
    // any other handler (fetch, a user's) gets a real AbortSignal.
    // (ours rejects at once on abort itself, so it needs no race)
    const { response } =
      http.takesLightAbort === true
        ? ((await http.handle(request, { abortSignal: attempt as any })) as { response: HttpResponse })
        : await new Promise<{ response: HttpResponse }>((resolve, reject) => {
            const stop = attempt.listen(() => reject(attempt.reason));
            http.handle(request, { abortSignal: attempt.signal as any }).then(
              (result) => {
                stop();
                // a handler that ignored the abort answers after the call gave up on it: nobody will read that
                // body, so it is cancelled here (its connection freed) rather than left open
                if (attempt.aborted) cancelLateBody(result);
                else resolve(result as { response: HttpResponse });
              },
              (e) => {
                stop();
                reject(e);
              },
            );
          });
    watchdog.disarm();
    response.body = openBody(response.body, { abort: attempt, idleTimeout: context.idleTimeout, watchdog, onClose: unfollow });
    return { response: response as RuntimeResponse };
  } catch (e) {
    watchdog.close();
    unfollow();
    if (attempt.aborted) throw attempt.reason;
    const error = transportError(e, context);
    // a handler that failed on its own (its own timeout) may have left its request running: the attempt's signal
    // ends it, so its connection is freed rather than held by a response nobody reads
    attempt.abort(error);
    throw error;
  }
}
