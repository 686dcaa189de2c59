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
  /**
   * Why the body was closed early (abort, deadline, idle timeout, a network error, `cancel(reason)`); undefined
   * while it is open and after it ended. A reader that yields what one chunk held checks it between items.
   */
  readonly failure?: unknown | undefined;
}

export interface BodyOptions {
  /** Aborts the read in progress (user abort, deadline); its reason is what the read throws. */
  abort?: Abort | undefined;
  /** The attempt's timer (already used for the wait for headers), reused for the idle timeout. */
  watchdog?: Watchdog | undefined;
  /** Milliseconds of silence allowed between chunks; undefined or Infinity for none. */
  idleTimeout?: number | undefined;
  /** Called once when the body is finished, failed or cancelled. */
  onClose?: (() => void) | undefined;
}

type Source = {
  next(): Promise<Uint8Array | undefined>;
  cancel(): Promise<void> | void;
  /** What has arrived already: a chunk, null at the end, undefined when nothing is ready or the source failed. */
  take?(): Uint8Array | null | undefined;
};

/** A Node stream is paused (backpressure) once this many bytes wait unread; a small body arrives whole. */
const QUEUE_BYTES = 64 * 1024;
/**
 * What a queued chunk costs beyond its bytes (a Buffer object, its slot in the queue): a body sent in tiny chunks
 * (16-byte HTTP chunks, a byte at a time) is held back by its chunk count, not let in at ~200 bytes a byte.
 */
const CHUNK_COST = 256;

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
  if (typeof node.on === "function" && typeof node.pause === "function" && typeof node.resume === "function") return new NodeSource(node);
  // a reader: a middleware's own `{ read, cancel }` (around the transport's, say: read() gives a chunk or undefined
  // at the end), or a ReadableStream's reader (read() gives { done, value })
  const reader = body as { read?: () => unknown; cancel?: (reason?: unknown) => unknown };
  if (typeof reader.read === "function" && typeof reader.cancel === "function") {
    return {
      next: async () => {
        const got = (await reader.read!()) as { done?: boolean; value?: unknown } | Uint8Array | undefined | null;
        if (got === undefined || got === null) return undefined;
        if (!(got instanceof Uint8Array) && typeof got === "object" && "done" in got) return got.done ? undefined : toBytes(got.value);
        return toBytes(got);
      },
      cancel: async () => {
        await Promise.resolve()
          .then(() => reader.cancel!())
          .catch(() => undefined);
      },
    };
  }
  // a Blob: what FetchHttpHandler gives for a response without a body stream (a 204, a Response(null))
  if (typeof (body as Blob).stream === "function" && typeof (body as Blob).size === "number") return sourceOf((body as Blob).stream());
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
 * async iterator; a class, so a call's reader is one object with four listeners, not a dozen closures.
 */
class NodeSource implements Source {
  readonly #stream: NodeReadable;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: unknown = undefined;
  // the read waiting for data, if any
  #resolve: ((chunk: Uint8Array | undefined) => void) | undefined = undefined;
  #reject: ((e: unknown) => void) | undefined = undefined;

  readonly #onData = (chunk: unknown): void => {
    const bytes = toBytes(chunk);
    const resolve = this.#resolve;
    if (resolve) {
      this.#resolve = this.#reject = undefined;
      resolve(bytes);
      return;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length + CHUNK_COST;
    if (this.#queued > QUEUE_BYTES && !this.#paused) {
      this.#paused = true;
      this.#stream.pause();
    }
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    const resolve = this.#resolve;
    this.#resolve = this.#reject = undefined;
    resolve?.(undefined);
  };
  readonly #onError = (e: unknown): void => {
    // a body that ended is complete: a late error (a stream destroyed afterwards) changes nothing
    if (this.#ended) return;
    this.#error ??= e;
    const reject = this.#reject;
    this.#resolve = this.#reject = undefined;
    reject?.(this.#error);
  };
  // a connection cut before the body ended: the stream closes without 'end' (and may not emit 'error')
  readonly #onClose = (): void => {
    if (!this.#ended) this.#onError(closedEarly());
  };

  constructor(stream: NodeReadable) {
    this.#stream = stream;
    stream.on("data", this.#onData);
    stream.on("end", this.#onEnd);
    stream.on("error", this.#onError);
    stream.on("close", this.#onClose);
    // destroyed before this reader existed (a malformed body right behind the head): its events are gone
    const state = stream as { destroyed?: boolean; readableEnded?: boolean; errored?: unknown };
    if (state.destroyed === true && state.readableEnded !== true) this.#onError(state.errored ?? closedEarly());
  }

  next(): Promise<Uint8Array | undefined> {
    if (this.#queue.length > 0) return Promise.resolve(this.#shift());
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  take(): Uint8Array | null | undefined {
    if (this.#queue.length > 0) return this.#shift();
    return this.#ended && this.#error === undefined ? null : undefined;
  }

  cancel(): void {
    const stream = this.#stream;
    stream.removeListener("data", this.#onData);
    stream.removeListener("end", this.#onEnd);
    stream.removeListener("close", this.#onClose);
    this.#queue.length = 0;
    this.#queued = 0;
    // destroying the stream frees the socket at once; 'error' stays handled so a late one is not thrown
    stream.destroy();
  }

  #shift(): Uint8Array {
    const chunk = this.#queue.shift()!;
    this.#queued -= chunk.length + CHUNK_COST;
    if (this.#paused && this.#queued <= QUEUE_BYTES / 2) {
      this.#paused = false;
      this.#stream.resume();
    }
    return chunk;
  }
}

const closedEarly = () => Object.assign(new Error("the connection closed before the response body ended"), { code: "ECONNRESET" });

function networkError(cause: unknown): AgentRuntimeError {
  if (cause && typeof cause === "object" && (cause as { name?: string }).name && "$fault" in cause) return cause as AgentRuntimeError;
  const message = (cause as Error)?.message ?? String(cause);
  return clientError(ClientErrorNames.network, `The response body failed while streaming: ${message}`, {
    cause,
    fields: { code: (cause as { code?: string })?.code },
  });
}

export function openBody(body: unknown, options: BodyOptions = {}): BodyReader {
  return new Body(sourceOf(body), options);
}

/**
 * Whether `body` is a reader made by openBody: the deserializers read nothing else. Anything else (a middleware's
 * own reader among them) is wrapped by openBody first, so the call's abort, deadline and idle timeout apply to it.
 * (Not a test of methods: a Node Readable has a `take()` of its own, which returns a stream.)
 */
export function isBodyReader(body: unknown): body is BodyReader {
  return body instanceof Body;
}

/** A response body: the source's chunks, with the idle timeout between them, abort and cancellation. */
class Body implements BodyReader {
  readonly #source: Source;
  readonly #abort: Abort | undefined;
  readonly #idleTimeout: number | undefined;
  readonly #watchdog: Watchdog | undefined;
  readonly #onClose: (() => void) | undefined;
  #closed = false;
  #failure: unknown = undefined;
  // the read in progress, if any: settled by the source (#onChunk, #onSourceError) or by #rejectRead (abort,
  // idle timeout, cancel; these also close the body, so a source's late answer finds no read and is dropped)
  #resolvePending: ((chunk: Uint8Array | undefined) => void) | undefined = undefined;
  #rejectPending: ((e: unknown) => void) | undefined = undefined;
  // the source's answers, made once per body rather than per read
  readonly #onChunk = (chunk: Uint8Array | undefined): void => {
    const resolve = this.#resolvePending;
    if (resolve === undefined) return;
    this.#resolvePending = this.#rejectPending = undefined;
    this.#watchdog?.disarm();
    if (chunk === undefined) this.#finish();
    resolve(chunk);
  };
  readonly #onSourceError = (e: unknown): void => {
    const reject = this.#rejectPending;
    if (reject === undefined) return;
    this.#resolvePending = this.#rejectPending = undefined;
    const error = networkError(e);
    // the read fails once the body is closed (its connection released)
    const fail = () => reject(this.#failure ?? error);
    this.#close(error).then(fail, fail);
  };
  #unlisten: (() => void) | undefined = undefined;
  readonly #onIdle: (() => void) | undefined;

  constructor(source: Source, { abort, idleTimeout, watchdog, onClose }: BodyOptions) {
    this.#source = source;
    this.#abort = abort;
    this.#idleTimeout = idleTimeout;
    this.#watchdog = watchdog ?? (idleTimeout !== undefined ? new Watchdog() : undefined);
    this.#onClose = onClose;
    this.#onIdle =
      idleTimeout === undefined
        ? undefined
        : () => {
            const error = clientError(ClientErrorNames.idleTimeout, `No data received for ${idleTimeout} ms (idleTimeout)`, { retryable: false });
            this.#rejectRead(error);
            void this.#close(error);
          };
    if (abort) {
      this.#unlisten = abort.listen(() => {
        const reason = abort.reason;
        this.#rejectRead(reason);
        void this.#close(reason);
      });
    }
  }

  read(): Promise<Uint8Array | undefined> {
    if (this.#closed) return this.#failure !== undefined ? Promise.reject(this.#failure) : Promise.resolve(undefined);
    const abort = this.#abort;
    if (abort?.aborted) {
      const reason = abort.reason;
      const fail = () => Promise.reject(reason);
      return this.#close(reason).then(fail, fail);
    }
    return new Promise((resolve, reject) => {
      this.#resolvePending = resolve;
      this.#rejectPending = reject;
      if (this.#onIdle !== undefined) this.#watchdog!.arm(this.#idleTimeout!, this.#onIdle);
      this.#source.next().then(this.#onChunk, this.#onSourceError);
    });
  }

  cancel(reason?: unknown): Promise<void> {
    return this.#close(reason);
  }

  get failure(): unknown {
    return this.#failure;
  }

  take(): Uint8Array | null | undefined {
    const source = this.#source;
    if (source.take === undefined || this.#closed || this.#abort?.aborted) return undefined;
    const ready = source.take();
    if (ready === null) this.#finish();
    return ready;
  }

  async #close(reason?: unknown): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (reason !== undefined) this.#failure = reason;
    // a read waiting for data settles now, not when the next chunk or the idle timer comes
    this.#rejectRead(reason ?? clientError(ClientErrorNames.aborted, "The response body was cancelled"));
    this.#unlisten?.();
    this.#watchdog?.close();
    try {
      await this.#source.cancel();
    } finally {
      this.#onClose?.();
    }
  }

  #rejectRead(error: unknown): void {
    const reject = this.#rejectPending;
    this.#resolvePending = this.#rejectPending = undefined;
    reject?.(error);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten?.();
    this.#watchdog?.close();
    this.#onClose?.();
  }
}

/** Reads a whole body into one buffer; past `limit` bytes it cancels the body and throws `tooLarge(limit)`. */
export async function readAll(reader: BodyReader, limit = Infinity, tooLarge?: (limit: number) => AgentRuntimeError): Promise<Uint8Array> {
  const parts = new Parts();
  for (;;) {
    // what has arrived already is taken at once; only a wait for more data costs a promise
    const ready = reader.take?.();
    const chunk = ready === undefined ? await reader.read() : ready ?? undefined;
    if (chunk === undefined) break;
    if (parts.length + chunk.length > limit) {
      const error = tooLarge?.(limit) ?? clientError(ClientErrorNames.response, `The response body is larger than ${limit} bytes`);
      await reader.cancel(error);
      throw error;
    }
    parts.add(chunk);
  }
  return parts.bytes();
}

/** How far past its limit an error body is read to end a word the limit cuts (as `clipText` does for text). */
const WORD_SLACK = 4096;

/** A byte of a word: anything but ASCII whitespace and control bytes (as `clipText` reads a word in text). */
function isWordByte(b: number): boolean {
  return b > 0x20 && b !== 0x7f;
}

/**
 * The first `limit` bytes of an error body (the rest is cancelled, not read): an error body over the limit is cut,
 * not dropped, and one that fails midway keeps what came. A cut inside a word is moved to the word's end (at most
 * 4 KiB further), so a token the server echoed there stays whole for redaction to find: a token cut in two no
 * longer matches itself, and its first part would be kept. An unreadable body yields what was read.
 */
export async function readUpTo(body: BodyReader, limit: number): Promise<Uint8Array> {
  const parts = new Parts();
  const most = limit + WORD_SLACK;
  // the last byte kept, across chunks: whether the limit falls inside a word or just after one
  let last = 0x20;
  try {
    for (let chunk = await body.read(); chunk !== undefined; chunk = await body.read()) {
      if (parts.length + chunk.length < limit) {
        parts.add(chunk);
        if (chunk.length) last = chunk[chunk.length - 1]!;
        continue;
      }
      let end = Math.max(0, limit - parts.length);
      const before = end > 0 ? chunk[end - 1]! : last;
      // inside a word: on to its end (a limit just after a word, or at a word's start, cuts there)
      if (isWordByte(before)) {
        const stop = Math.min(chunk.length, most - parts.length);
        while (end < stop && isWordByte(chunk[end]!)) end++;
      }
      parts.add(end === chunk.length ? chunk : chunk.subarray(0, end));
      if (end > 0) last = chunk[end - 1]!;
      // (a chunk that ended inside the word: the word goes on in the next one)
      if (end < chunk.length || parts.length >= most) {
        await body.cancel();
        break;
      }
    }
  } catch {
    // what was read is kept
  }
  return parts.bytes();
}

/**
 * Chunks kept to be joined once: small ones are joined 256 at a time as they come, so a body of a million tiny
 * chunks holds its bytes and a few thousand arrays, not a million objects many times its size.
 */
export class Parts {
  /** Bytes added so far. */
  length = 0;
  readonly #parts: Uint8Array[] = [];
  #small: Uint8Array[] = [];

  add(chunk: Uint8Array): void {
    this.length += chunk.length;
    if (chunk.length >= 1024) {
      this.#join();
      this.#parts.push(chunk);
      return;
    }
    if (this.#small.push(chunk) === 256) this.#join();
  }

  bytes(): Uint8Array {
    this.#join();
    return concatBytes(this.#parts);
  }

  #join(): void {
    if (this.#small.length === 0) return;
    this.#parts.push(concatBytes(this.#small));
    this.#small = [];
  }
}
