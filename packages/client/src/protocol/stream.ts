import { clientError, ClientErrorNames } from "./errors";
import type { SseEvent } from "./sse";
import { DEFAULT_HEARTBEAT_MS, encodeSseError, encodeSseEvent, heartbeatText, SSE_RESPONSE_HEADERS, type SSEStreamOptions } from "./sseEncode";

/**
 * A response stream: iterate once with `for await`; `break` (or `cancel()`) cancels the HTTP body and frees
 * the socket. `toReadableStream()` bridges to Web Streams; on a stream of `SseEvent`s (InvokeStreamCommand),
 * `toSSEStream()` and `toSSEResponse()` give the bytes a server sends on to a browser.
 */
export class RuntimeStream<T> implements AsyncIterable<T> {
  // ordinary (TypeScript-private) fields, not `#` ones: a middleware may wrap an output's stream in a Proxy
  private used = false;
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];
  private readonly errorMaps: ((e: unknown) => unknown)[] = [];

  constructor(
    private readonly produce: () => AsyncGenerator<T, void, undefined>,
    private readonly release: (reason?: unknown) => Promise<void>,
  ) {
    // a stream dropped without being read to its end or cancelled frees its connection when it is collected
    abandoned?.register(this, { release, closeHandlers: this.closeHandlers }, this);
  }

  /**
   * `for await` over the items; a stream can be iterated once (a second time throws `StreamAlreadyConsumedError`), and
   * leaving the loop early cancels the HTTP body.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.used) {
      throw clientError(ClientErrorNames.streamConsumed, "This stream was already iterated or cancelled; a response stream can be read once");
    }
    this.used = true;
    const generator = this.produce();
    const done = () => this.markClosed();
    return {
      next: async () => {
        try {
          const result = await generator.next();
          if (result.done) done();
          return result;
        } catch (e) {
          done();
          throw this.mapped(e);
        }
      },
      return: async () => {
        try {
          // release first: a read pending inside the generator settles at once, so its return() is not stuck behind it
          await this.release();
          await generator.return(undefined).catch(() => undefined);
        } finally {
          done();
        }
        return { done: true, value: undefined };
      },
    };
  }

  /** Stops reading and releases the connection without iterating. */
  async cancel(reason?: unknown): Promise<void> {
    this.used = true;
    try {
      await this.release(clientError(ClientErrorNames.aborted, "The stream was cancelled", { cause: reason }));
    } finally {
      this.markClosed();
    }
  }

  /** A Web `ReadableStream` of the same items; cancelling it cancels the HTTP body. */
  toReadableStream(): ReadableStream<T> {
    const iterator = this[Symbol.asyncIterator]();
    return new ReadableStream<T>({
      async pull(controller) {
        try {
          const { done, value } = await iterator.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (e) {
          controller.error(e);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    });
  }

  /**
   * For a stream of `SseEvent`s (InvokeStreamCommand, readSSE): the events re-encoded as SSE bytes, to send on
   * to a browser. An error the stream raises (the agent's, or any other failure) is sent as `event: error` with
   * `{"error","error_type","message"}`, then the stream ends; `readSSE` raises it again on the other side.
   * A `: heartbeat` comment goes out after `heartbeatMs` (default 15000) without an event, so proxies keep the
   * connection open. Cancelling the returned stream (the browser went away) cancels the HTTP body.
   */
  toSSEStream(this: RuntimeStream<SseEvent>, options: SSEStreamOptions = {}): ReadableStream<Uint8Array> {
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (!(typeof heartbeatMs === "number" && heartbeatMs > 0)) {
      throw clientError(ClientErrorNames.invalidParameter, "heartbeatMs must be a positive number of milliseconds, or Infinity for none", { fields: { field: "heartbeatMs" } });
    }
    const iterator = this[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let over = false;
    // whether a pull waits for the agent's next event: only then is there silence for a heartbeat to fill
    let waiting = false;
    let arm = () => undefined as void;
    const disarm = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const stop = () => {
      over = true;
      disarm();
    };
    return new ReadableStream<Uint8Array>({
      start(controller) {
        // armed while a pull waits, re-armed after each heartbeat: the timer never outlives the wait, so a
        // stream nobody reads holds no timer (and can be collected, which frees its connection)
        arm = () => {
          disarm();
          if (over || !waiting || !(heartbeatMs < 2 ** 31)) return;
          timer = setTimeout(() => {
            timer = undefined;
            if (over || !waiting) return;
            // a reader that is behind has data to read already; only an idle one needs the comment
            if ((controller.desiredSize ?? 1) > 0) controller.enqueue(encoder.encode(heartbeatText()));
            arm();
          }, heartbeatMs);
          // a heartbeat alone never keeps a Node process alive
          (timer as { unref?: () => void }).unref?.();
        };
      },
      async pull(controller) {
        waiting = true;
        arm();
        try {
          const { done, value } = await iterator.next();
          waiting = false;
          disarm();
          if (over) return;
          if (done) {
            stop();
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(encodeSseEvent(value)));
        } catch (e) {
          waiting = false;
          disarm();
          if (over) return;
          stop();
          controller.enqueue(encoder.encode(encodeSseError(e)));
          controller.close();
        }
      },
      async cancel() {
        stop();
        await iterator.return?.();
      },
    });
  }

  /**
   * `toSSEStream(options)` as a `Response` with `content-type: text/event-stream; charset=utf-8`,
   * `cache-control: no-cache` and `x-accel-buffering: no`; `init`'s status and headers are merged over them.
   */
  toSSEResponse(this: RuntimeStream<SseEvent>, init: ResponseInit = {}, options: SSEStreamOptions = {}): Response {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(SSE_RESPONSE_HEADERS)) if (!headers.has(name)) headers.set(name, value);
    return new Response(this.toSSEStream(options), { ...init, headers });
  }

  /**
   * Passes every error the stream raises through `fn` before the reader sees it (the bearer middleware removes
   * the call's tokens this way, since a stream fails after the middleware returned).
   */
  mapErrors(fn: (e: unknown) => unknown): void {
    this.errorMaps.push(fn);
  }

  private mapped(e: unknown): unknown {
    let out = e;
    for (const fn of this.errorMaps) out = fn(out);
    return out;
  }

  /** Runs `fn` once the stream is over: ended, failed or cancelled. */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    abandoned?.unregister(this);
    const failed = runAll(this.closeHandlers.splice(0));
    if (failed) throw failed.error;
  }
}

/** Runs every handler, even after one throws; returns the first failure. */
function runAll(handlers: (() => void)[]): { error: unknown } | undefined {
  let failed: { error: unknown } | undefined;
  for (const fn of handlers) {
    try {
      fn();
    } catch (error) {
      failed ??= { error };
    }
  }
  return failed;
}

/**
 * What an abandoned stream leaves to clean up: its body (the connection) and its close handlers (the call's
 * deadline timer, abort listeners and place among the client's live calls). Neither refers to the stream, so
 * holding them does not keep it alive.
 */
interface Abandoned {
  release(reason?: unknown): Promise<void>;
  closeHandlers: (() => void)[];
}

// A stream with a read pending is reachable from its socket and never collected; one nobody can read any more
// is, and then its connection would otherwise stay open until the server gave up or the call's deadline.
const abandoned =
  typeof FinalizationRegistry === "function"
    ? /* @__PURE__ */ new FinalizationRegistry<Abandoned>((left) => {
        try {
          left.release(clientError(ClientErrorNames.aborted, "The stream was dropped without being read to its end or cancelled")).catch(() => undefined);
        } catch {
          // a release that throws at once has nothing left to free
        }
        // nobody could catch a throw here: every handler runs, and a failing one is dropped
        runAll(left.closeHandlers.splice(0));
      })
    : undefined;
