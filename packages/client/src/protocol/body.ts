import { concatBytes, utf8Bytes } from "./bytes";
import { clientError, ClientErrorNames, type AgentRuntimeError } from "./errors";
import type { Abort } from "./abort";
import { Watchdog } from "./timers";

/** A response body read chunk by chunk, with an idle timeout between chunks and cancellation. */
export interface BodyReader {
  /** The next chunk, or undefined at the end of the body. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading and releases the connection; safe to call more than once. */
  cancel(reason?: unknown): Promise<void>;
  /**
   * A chunk that has already arrived, without waiting: the chunk, `null` at the end of the body, or undefined
   * when nothing is ready (then `read()` waits, and reports a failure). Optional: readers from elsewhere may lack it.
   */
  take?(): Uint8Array | null | undefined;
}

export interface BodyOptions {
  /** Aborts the read in progress (user abort, deadline); its reason is what the read throws. */
  abort?: Abort;
  /** The attempt's timer (already used for the wait for headers), reused for the idle timeout. */
  watchdog?: Watchdog;
  /** Milliseconds of silence allowed between chunks; undefined or Infinity for none. */
  idleTimeout?: number;
  /** Called once when the body is finished, failed or cancelled. */
  onClose?: () => void;
}

type Source = {
  next(): Promise<Uint8Array | undefined>;
  cancel(): Promise<void> | void;
  /** What has arrived already: a chunk, null at the end, undefined when nothing is ready or the source failed. */
  take?(): Uint8Array | null | undefined;
};

/** A Node stream is paused (backpressure) once this many bytes wait unread; a small body arrives whole. */
const QUEUE_BYTES = 64 * 1024;

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return utf8Bytes(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw clientError(ClientErrorNames.response, `Unsupported response body chunk of type ${typeof value}`);
}

function sourceOf(body: unknown): Source {
  if (body == null) return { next: async () => undefined, cancel: () => undefined };
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer) {
    let chunk: Uint8Array | undefined = toBytes(body);
    const take = () => {
      const out = chunk;
      chunk = undefined;
      return out ?? null;
    };
    return {
      next: async () => take() ?? undefined,
      cancel: () => {
        chunk = undefined;
      },
      take,
    };
  }
  const web = body as ReadableStream<Uint8Array>;
  if (typeof web.getReader === "function") {
    const reader = web.getReader();
    return {
      next: async () => {
        const { done, value } = await reader.read();
        return done ? undefined : toBytes(value);
      },
      cancel: async () => {
        await reader.cancel().catch(() => undefined);
      },
    };
  }
  const node = body as NodeReadable;
  if (typeof node.on === "function" && typeof node.pause === "function" && typeof node.resume === "function") return nodeSource(node);
  const iterable = body as AsyncIterable<unknown> & { destroy?: (e?: Error) => void };
  if (typeof iterable[Symbol.asyncIterator] === "function") {
    const iterator = iterable[Symbol.asyncIterator]();
    return {
      next: async () => {
        const { done, value } = await iterator.next();
        return done ? undefined : toBytes(value);
      },
      cancel: async () => {
        // destroying the Node stream frees the socket at once; return() alone waits for pending reads
        iterable.destroy?.();
        await iterator.return?.().catch(() => undefined);
      },
    };
  }
  throw clientError(ClientErrorNames.response, "Unsupported response body type");
}

type NodeReadable = {
  on(event: string, fn: (...args: any[]) => void): unknown;
  removeListener(event: string, fn: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy(error?: Error): unknown;
};

/**
 * A Node stream (the response of node:http) read through its events: one chunk is handed over per read and
 * the stream is paused while more than QUEUE_BYTES wait unread (backpressure). Cheaper per chunk than its
 * async iterator.
 */
function nodeSource(stream: NodeReadable): Source {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let paused = false;
  let ended = false;
  let error: unknown;
  let waiting: { resolve(chunk: Uint8Array | undefined): void; reject(e: unknown): void } | undefined;
  const settle = (fn: (w: NonNullable<typeof waiting>) => void) => {
    const w = waiting;
    waiting = undefined;
    if (w) fn(w);
  };
  const onData = (chunk: unknown) => {
    const bytes = toBytes(chunk);
    if (waiting) settle((w) => w.resolve(bytes));
    else {
      queue.push(bytes);
      queued += bytes.length;
      if (queued > QUEUE_BYTES && !paused) {
        paused = true;
        stream.pause();
      }
    }
  };
  const shift = () => {
    const chunk = queue.shift()!;
    queued -= chunk.length;
    if (paused && queued <= QUEUE_BYTES / 2) {
      paused = false;
      stream.resume();
    }
    return chunk;
  };
  const onEnd = () => {
    ended = true;
    settle((w) => w.resolve(undefined));
  };
  const onError = (e: unknown) => {
    // a body that ended is complete: a late error (a stream destroyed afterwards) changes nothing
    if (ended) return;
    error ??= e;
    settle((w) => w.reject(error));
  };
  // a connection cut before the body ended: the stream closes without 'end' (and may not emit 'error')
  const onClose = () => {
    if (!ended) onError(Object.assign(new Error("the connection closed before the response body ended"), { code: "ECONNRESET" }));
  };
  stream.on("data", onData);
  stream.on("end", onEnd);
  stream.on("error", onError);
  stream.on("close", onClose);
  const detach = () => {
    stream.removeListener("data", onData);
    stream.removeListener("end", onEnd);
    stream.removeListener("close", onClose);
  };
  return {
    next() {
      if (queue.length > 0) return Promise.resolve(shift());
      if (error !== undefined) return Promise.reject(error);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    take() {
      if (queue.length > 0) return shift();
      return ended && error === undefined ? null : undefined;
    },
    cancel() {
      detach();
      queue.length = 0;
      queued = 0;
      // destroying the stream frees the socket at once; 'error' stays handled so a late one is not thrown
      stream.destroy();
    },
  };
}

function networkError(cause: unknown): AgentRuntimeError {
  if (cause && typeof cause === "object" && (cause as { name?: string }).name && "$fault" in cause) return cause as AgentRuntimeError;
  const message = (cause as Error)?.message ?? String(cause);
  return clientError(ClientErrorNames.network, `The response body failed while streaming: ${message}`, {
    cause,
    fields: { code: (cause as { code?: string })?.code },
  });
}

export function openBody(body: unknown, options: BodyOptions = {}): BodyReader {
  const { abort, idleTimeout, onClose } = options;
  const source = sourceOf(body);
  const watchdog = options.watchdog ?? (idleTimeout !== undefined ? new Watchdog() : undefined);
  let closed = false;
  let failure: unknown;
  let rejectPending: ((e: unknown) => void) | undefined;
  let unlisten: (() => void) | undefined;

  const close = async (reason?: unknown) => {
    if (closed) return;
    closed = true;
    if (reason !== undefined) failure = reason;
    // a read waiting for data settles now, not when the next chunk or the idle timer comes
    rejectPending?.(reason ?? clientError(ClientErrorNames.aborted, "The response body was cancelled"));
    unlisten?.();
    watchdog?.close();
    try {
      await source.cancel();
    } finally {
      onClose?.();
    }
  };
  if (abort) {
    unlisten = abort.listen(() => {
      const reason = abort.reason;
      rejectPending?.(reason);
      void close(reason);
    });
  }

  const finish = () => {
    if (closed) return;
    closed = true;
    unlisten?.();
    watchdog?.close();
    onClose?.();
  };
  const onIdle = () => {
    const error = clientError(ClientErrorNames.idleTimeout, `No data received for ${idleTimeout} ms (idleTimeout)`, { retryable: false });
    rejectPending?.(error);
    void close(error);
  };

  return {
    async read() {
      if (closed) {
        if (failure !== undefined) throw failure;
        return undefined;
      }
      if (abort?.aborted) {
        await close(abort.reason);
        throw abort.reason;
      }
      try {
        const chunk = await new Promise<Uint8Array | undefined>((resolve, reject) => {
          rejectPending = reject;
          if (idleTimeout !== undefined) watchdog!.arm(idleTimeout, onIdle);
          source.next().then(resolve, (e) => reject(networkError(e)));
        });
        if (chunk === undefined) finish();
        return chunk;
      } catch (e) {
        await close(e);
        throw failure ?? e;
      } finally {
        rejectPending = undefined;
        watchdog?.disarm();
      }
    },
    cancel: (reason?: unknown) => close(reason),
    take: source.take
      ? () => {
          if (closed || abort?.aborted) return undefined;
          const ready = source.take!();
          if (ready === null) finish();
          return ready;
        }
      : undefined,
  };
}

/** Reads a whole body into one buffer; past `limit` bytes it cancels the body and throws `tooLarge(limit)`. */
export async function readAll(reader: BodyReader, limit = Infinity, tooLarge?: (limit: number) => AgentRuntimeError): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    // what has arrived already is taken at once; only a wait for more data costs a promise
    const ready = reader.take?.();
    const chunk = ready === undefined ? await reader.read() : ready ?? undefined;
    if (chunk === undefined) break;
    total += chunk.length;
    if (total > limit) {
      const error = tooLarge?.(limit) ?? clientError(ClientErrorNames.response, `The response body is larger than ${limit} bytes`);
      await reader.cancel(error);
      throw error;
    }
    parts.push(chunk);
  }
  return concatBytes(parts);
}
