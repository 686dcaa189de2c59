import type { Message, MessageHeaders, MessageHeaderValue } from "@smithy/types";
import { nativeCrc32 } from "../runtime/runtimeConfig";
import { clientError, ClientErrorNames, inBandError, type AgentRuntimeError } from "./errors";
import { DEFAULT_MAX_EVENT_BYTES, limitExceeded } from "./limits";

/** How a command ended: `COMPLETED` (whatever its exit code), or `TIMED_OUT` when it outlived its `timeout`. */
export type CommandStatus = "COMPLETED" | "TIMED_OUT";

/**
 * One event of a command stream. Each member names the other keys as `?: never`, so `event.contentDelta?.stdout`
 * and `if (event.contentStop)` narrow without a cast (test a member by its value, as `"key" in event` does not
 * narrow optional keys).
 */
export type CommandEvent =
  | { contentStart: Record<string, never>; contentDelta?: never; contentStop?: never }
  | { contentDelta: { stdout?: string; stderr?: string }; contentStart?: never; contentStop?: never }
  | { contentStop: { exitCode: number; status: CommandStatus }; contentStart?: never; contentDelta?: never };

const PRELUDE = 12;
const MIN_FRAME = 16;

let crcTable: Uint32Array | undefined;
function crc32Js(bytes: Uint8Array, from: number, to: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = from; i < to; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of bytes[from, to): Node's native zlib.crc32 where there is one, else a table in JavaScript. */
let crc32: (bytes: Uint8Array, from: number, to: number) => number = (bytes, from, to) => {
  const native = nativeCrc32();
  crc32 = native ? (b, f, t) => native(b.subarray(f, t)) : crc32Js;
  return crc32(bytes, from, to);
};

const utf8Decoder = /* @__PURE__ */ new TextDecoder("utf-8", { ignoreBOM: true });
/** Header names and short string values recur in every frame (`:message-type`, `event`, `chunk`, …). */
const recent: { bytes: Uint8Array; text: string }[] = [];

/** Decodes header text; a short string seen before is found by its bytes instead of being built again. */
function text(bytes: Uint8Array, from: number, to: number): string {
  const length = to - from;
  if (length > 32) return utf8Decoder.decode(bytes.subarray(from, to));
  search: for (const entry of recent) {
    const known = entry.bytes;
    if (known.length !== length) continue;
    for (let i = 0; i < length; i++) if (known[i] !== bytes[from + i]) continue search;
    return entry.text;
  }
  const value = utf8Decoder.decode(bytes.subarray(from, to));
  if (recent.length >= 16) recent.shift();
  recent.push({ bytes: bytes.slice(from, to), text: value });
  return value;
}

/** An int64 header value, shaped like @smithy's Int64 (`bytes`, `valueOf()`, `toString()`). */
class Int64Value {
  constructor(readonly bytes: Uint8Array) {}
  valueOf(): number {
    return Number(new DataView(this.bytes.buffer, this.bytes.byteOffset, 8).getBigInt64(0, false));
  }
  toString(): string {
    return String(this.valueOf());
  }
}

/** Bytes a header value of each type tag occupies after the tag; -1: a u16 length prefix, then that many. */
const VALUE_SIZE: readonly number[] = [0, 0, 1, 2, 4, 8, -1, -1, 8, 16];

/**
 * Decodes the header section bytes[from, from + length). Every name, length field and value is checked
 * against the section, never against the buffer: a lying length must not be served from the payload or the
 * next frame's bytes. Returns the headers, or why the section is malformed.
 */
function decodeHeaders(bytes: Uint8Array, from: number, length: number): MessageHeaders | string {
  const headers: MessageHeaders = {};
  const end = from + length;
  let at = from;
  while (at < end) {
    const nameLength = bytes[at];
    if (at + 1 + nameLength + 1 > end) return `header name (${nameLength} bytes) or its type runs past the ${length}-byte header section`;
    const name = text(bytes, at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = bytes[at++];
    let size = VALUE_SIZE[type];
    if (size === undefined) return `unknown header value type ${type}`;
    if (size < 0) {
      if (at + 2 > end) return `header value length runs past the ${length}-byte header section`;
      size = (bytes[at] << 8) | bytes[at + 1];
      at += 2;
    }
    if (at + size > end) return `header value (${size} bytes) runs past the ${length}-byte header section`;
    headers[name] = headerValue(bytes, type, at, size);
    at += size;
  }
  return headers;
}

function headerValue(bytes: Uint8Array, type: number, at: number, size: number): MessageHeaderValue {
  const view = () => new DataView(bytes.buffer, bytes.byteOffset + at, size);
  switch (type) {
    case 0:
    case 1:
      return { type: "boolean", value: type === 0 };
    case 2:
      return { type: "byte", value: view().getInt8(0) };
    case 3:
      return { type: "short", value: view().getInt16(0, false) };
    case 4:
      return { type: "integer", value: view().getInt32(0, false) };
    case 5:
      return { type: "long", value: new Int64Value(bytes.slice(at, at + 8)) as never };
    case 6:
      return { type: "binary", value: bytes.slice(at, at + size) };
    case 7:
      return { type: "string", value: text(bytes, at, at + size) };
    case 8:
      return { type: "timestamp", value: new Date(Number(view().getBigInt64(0, false))) };
    default: {
      const hex = Array.from(bytes.subarray(at, at + 16), (b) => b.toString(16).padStart(2, "0")).join("");
      return { type: "uuid", value: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
    }
  }
}

function framingError(message: string): AgentRuntimeError {
  return clientError(ClientErrorNames.framing, `Invalid event stream: ${message}`);
}

/** Options of `EventStreamDecoder`. */
export interface EventStreamDecoderOptions {
  /** Largest frame, in bytes (default 16 MiB, far above the service's 64 KB events); a larger one is refused before it is buffered. */
  maxEventBytes?: number | undefined;
}

/**
 * Reassembles `application/vnd.amazon.eventstream` frames from arbitrarily cut reads and decodes them in place:
 * both CRCs checked (native zlib.crc32 in Node), headers parsed within their section, the payload a view.
 * The tests hold it to @smithy/eventstream-codec's decoding, frame for frame.
 */
export class EventStreamDecoder {
  readonly #maxEventBytes: number;

  constructor(options: EventStreamDecoderOptions = {}) {
    this.#maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  /** Bytes of the stream consumed so far, for error messages. */
  #offset = 0;
  #failed: AgentRuntimeError | undefined;

  /**
   * Feeds bytes; returns the frames they complete (views into internal memory, valid until the next push).
   * Throws `EventStreamFramingError` or `ResponseLimitExceededError` on a bad frame; when the same bytes completed
   * frames first, those are returned and the error is held in `failure`.
   */
  push(chunk: Uint8Array): Message[] {
    if (this.#failed) throw this.#failed;
    const messages: Message[] = [];
    try {
      return this.#pushInner(chunk, messages);
    } catch (e) {
      // frames decoded before the bad one are still delivered; the error waits in `failure` (and is thrown by
      // every later call either way)
      this.#failed = e as AgentRuntimeError;
      if (!messages.length) throw e;
      return messages;
    }
  }

  #pushInner(chunk: Uint8Array, messages: Message[]): Message[] {
    if (this.#end === this.#start) {
      // fast path: whole frames straight from the chunk, copying only a trailing partial frame
      const used = this.#drain(chunk, 0, chunk.length, messages);
      if (used < chunk.length) this.#append(chunk.subarray(used));
      return messages;
    }
    this.#append(chunk);
    this.#start = this.#drain(this.#buf, this.#start, this.#end, messages);
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return messages;
  }

  /**
   * The error `push` held back so that the frames before it could be returned, else undefined; every later
   * `push` or `finish` throws it. Check it once a push's frames are handled: more bytes may never come.
   */
  get failure(): AgentRuntimeError | undefined {
    return this.#failed;
  }

  /** End of body: leftover bytes mean the stream was cut inside a frame. */
  finish(): void {
    if (this.#failed) throw this.#failed;
    const left = this.#end - this.#start;
    if (left > 0) {
      throw framingError(`the response ended in the middle of a frame (${left} bytes of an incomplete frame at byte ${this.#offset})`);
    }
  }

  /** Decodes every complete frame in bytes[from, to); returns the index after the last one. */
  #drain(bytes: Uint8Array, from: number, to: number, out: Message[]): number {
    let at = from;
    while (to - at >= PRELUDE) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, PRELUDE);
      const total = view.getUint32(0, false);
      const headersLength = view.getUint32(4, false);
      if (crc32(bytes, at, at + 8) !== view.getUint32(8, false)) {
        throw framingError(`prelude checksum mismatch at byte ${this.#offset}`);
      }
      if (total > this.#maxEventBytes) throw limitExceeded("maxEventBytes", this.#maxEventBytes, `An event-stream frame (${total} bytes, at byte ${this.#offset})`);
      if (total < MIN_FRAME || headersLength > total - MIN_FRAME) {
        throw framingError(`impossible frame length ${total} (headers ${headersLength}) at byte ${this.#offset}`);
      }
      if (to - at < total) break;
      const end = at + total;
      if (crc32(bytes, at, end - 4) !== ((bytes[end - 4] << 24) | (bytes[end - 3] << 16) | (bytes[end - 2] << 8) | bytes[end - 1]) >>> 0) {
        throw framingError(`message checksum mismatch (frame at byte ${this.#offset})`);
      }
      const headers = decodeHeaders(bytes, at + PRELUDE, headersLength);
      if (typeof headers === "string") throw framingError(`${headers} (frame at byte ${this.#offset})`);
      out.push({ headers, body: bytes.subarray(at + PRELUDE + headersLength, end - 4) });
      at += total;
      this.#offset += total;
    }
    return at;
  }

  #append(chunk: Uint8Array): void {
    const live = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buf.length) {
      if (live + chunk.length <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(Math.max(live + chunk.length, this.#buf.length * 2, 4096));
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}

function headerString(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  if (!header) return undefined;
  return typeof header.value === "string" ? header.value : String(header.value);
}

/** `throttlingException` → `ThrottlingException`. */
function exceptionName(type: string | undefined): string | undefined {
  if (!type) return undefined;
  return type.charAt(0).toUpperCase() + type.slice(1);
}

let utf8: TextDecoder | undefined;
function payloadText(message: Message): string {
  utf8 ??= new TextDecoder("utf-8", { fatal: false });
  return utf8.decode(message.body);
}

/**
 * Turns one decoded frame into a command event: undefined for frames to skip (unknown event types), a thrown
 * typed error for exception and error frames.
 */
export function commandEventOf(message: Message): CommandEvent | undefined {
  const type = headerString(message, ":message-type") ?? "event";
  if (type === "exception") {
    const name = exceptionName(headerString(message, ":exception-type"));
    let text = payloadText(message);
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      text = String(body.message ?? body.Message ?? text);
    } catch {
      // a non-JSON exception payload is its own message
    }
    throw inBandError(name, text || `${name ?? "Unknown"} exception in the command stream`, { errorType: name });
  }
  if (type === "error") {
    const code = headerString(message, ":error-code") ?? "AgentRuntimeError";
    const text = headerString(message, ":error-message") ?? (payloadText(message) || "The command stream reported an error");
    throw inBandError(code, text, { errorType: code });
  }
  // as the AWS SDK's unmarshaller: a message of another type may carry output this client would silently lose
  if (type !== "event") throw clientError(ClientErrorNames.response, `A command stream message has an unknown :message-type ${JSON.stringify(type.slice(0, 64))}`);
  const eventType = headerString(message, ":event-type");
  if (eventType !== undefined && eventType !== "chunk") return undefined;
  let body: unknown;
  try {
    body = JSON.parse(payloadText(message));
  } catch {
    throw clientError(ClientErrorNames.response, "A command stream chunk is not valid JSON");
  }
  if (body && typeof body === "object" && "chunk" in body && typeof (body as { chunk: unknown }).chunk === "object") {
    body = (body as { chunk: unknown }).chunk;
  }
  if (!body || typeof body !== "object") throw clientError(ClientErrorNames.response, "A command stream chunk is not a JSON object");
  const record = body as Record<string, Record<string, unknown> | undefined>;
  if (record.contentStart) return { contentStart: {} };
  const delta = record.contentDelta;
  if (delta) {
    const out: { stdout?: string; stderr?: string } = {};
    for (const stream of ["stdout", "stderr"] as const) {
      const text = delta[stream];
      if (typeof text === "string") out[stream] = text;
      // output that is not text would be dropped without a word
      else if (text != null) throw clientError(ClientErrorNames.response, `A contentDelta's ${stream} is not a string`);
    }
    return { contentDelta: out };
  }
  const stop = record.contentStop;
  if (stop) {
    const exitCode = stop.exitCode;
    const status = stop.status;
    if (typeof exitCode !== "number" || !Number.isInteger(exitCode) || typeof status !== "string") {
      throw clientError(ClientErrorNames.response, "contentStop is missing its exitCode or status");
    }
    return { contentStop: { exitCode, status: status as CommandStatus } };
  }
  // a chunk member this version does not know: skipped like an unknown event type
  return undefined;
}
