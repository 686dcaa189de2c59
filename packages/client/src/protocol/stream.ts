import { clientError, ClientErrorNames } from "./errors";

/**
 * A response stream: iterate once with `for await`; `break` (or `cancel()`) cancels the HTTP body and frees
 * the socket. `toReadableStream()` bridges to Web Streams.
 */
export class RuntimeStream<T> implements AsyncIterable<T> {
  private used = false;
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];
  #errorMaps: ((e: unknown) => unknown)[] = [];

  constructor(
    private readonly produce: () => AsyncGenerator<T, void, undefined>,
    private readonly release: (reason?: unknown) => Promise<void>,
  ) {}

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
          throw this.#mapped(e);
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
   * Passes every error the stream raises through `fn` before the reader sees it (the bearer middleware removes
   * the call's tokens this way, since a stream fails after the middleware returned).
   */
  mapErrors(fn: (e: unknown) => unknown): void {
    this.#errorMaps.push(fn);
  }

  #mapped(e: unknown): unknown {
    let out = e;
    for (const fn of this.#errorMaps) out = fn(out);
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
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
