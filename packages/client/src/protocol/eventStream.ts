import { EventStreamCodec } from "@smithy/eventstream-codec";
import type { Message } from "@smithy/types";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { clientError, ClientErrorNames, inBandError, type AgentRuntimeError } from "./errors";
import { DEFAULT_MAX_EVENT_BYTES, limitExceeded } from "./limits";

export type CommandStatus = "COMPLETED" | "TIMED_OUT";

export type CommandEvent =
  | { contentStart: Record<string, never> }
  | { contentDelta: { stdout?: string; stderr?: string } }
  | { contentStop: { exitCode: number; status: CommandStatus } };

const PRELUDE = 12;
const MIN_FRAME = 16;

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, from: number, to: number): number {
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

/** Bytes a header value of each type tag occupies after the tag; -1: a u16 length prefix, then that many. */
const VALUE_SIZE: readonly number[] = [0, 0, 1, 2, 4, 8, -1, -1, 8, 16];

/**
 * Walks the header section bytes[from, from + length) and returns why it is malformed (a name, a length
 * field or a value that runs past the section, an unknown type tag), or undefined when every header fits.
 */
function headerOverrun(bytes: Uint8Array, from: number, length: number): string | undefined {
  const end = from + length;
  let at = from;
  while (at < end) {
    const nameLength = bytes[at];
    if (at + 1 + nameLength + 1 > end) return `header name (${nameLength} bytes) or its type runs past the ${length}-byte header section`;
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
    at += size;
  }
  return undefined;
}

function framingError(message: string): AgentRuntimeError {
  return clientError(ClientErrorNames.framing, `Invalid event stream: ${message}`);
}

export interface EventStreamDecoderOptions {
  /** Largest frame, in bytes (default 16 MiB, far above the service's 64 KB events); a larger one is refused before it is buffered. */
  maxEventBytes?: number;
}

/**
 * Reassembles `application/vnd.amazon.eventstream` frames from arbitrarily cut reads and decodes them with
 * @smithy/eventstream-codec (which checks both CRCs and parses the headers).
 */
export class EventStreamDecoder {
  private readonly maxEventBytes: number;

  constructor(options: EventStreamDecoderOptions = {}) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  private codec: EventStreamCodec | undefined;
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** Bytes of the stream consumed so far, for error messages. */
  private offset = 0;
  private failed: AgentRuntimeError | undefined;

  /** Feeds bytes; returns the frames they complete (views into internal memory, valid until the next push). */
  push(chunk: Uint8Array): Message[] {
    if (this.failed) throw this.failed;
    const messages: Message[] = [];
    try {
      return this.pushInner(chunk, messages);
    } catch (e) {
      // frames decoded before the bad one are still delivered; the error comes on the next call
      if (!messages.length) throw e;
      this.failed = e as AgentRuntimeError;
      return messages;
    }
  }

  private pushInner(chunk: Uint8Array, messages: Message[]): Message[] {
    if (this.end === this.start) {
      // fast path: whole frames straight from the chunk, copying only a trailing partial frame
      const used = this.drain(chunk, 0, chunk.length, messages);
      if (used < chunk.length) this.append(chunk.subarray(used));
      return messages;
    }
    this.append(chunk);
    this.start = this.drain(this.buf, this.start, this.end, messages);
    if (this.start === this.end) this.start = this.end = 0;
    return messages;
  }

  /** End of body: leftover bytes mean the stream was cut inside a frame. */
  finish(): void {
    if (this.failed) throw this.failed;
    const left = this.end - this.start;
    if (left > 0) {
      throw framingError(`the response ended in the middle of a frame (${left} bytes of an incomplete frame at byte ${this.offset})`);
    }
  }

  /** Decodes every complete frame in bytes[from, to); returns the index after the last one. */
  private drain(bytes: Uint8Array, from: number, to: number, out: Message[]): number {
    let at = from;
    while (to - at >= PRELUDE) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, PRELUDE);
      const total = view.getUint32(0, false);
      const headersLength = view.getUint32(4, false);
      if (crc32(bytes, at, at + 8) !== view.getUint32(8, false)) {
        throw framingError(`prelude checksum mismatch at byte ${this.offset}`);
      }
      if (total > this.maxEventBytes) throw limitExceeded("maxEventBytes", this.maxEventBytes, `An event-stream frame (${total} bytes, at byte ${this.offset})`);
      if (total < MIN_FRAME || headersLength > total - MIN_FRAME) {
        throw framingError(`impossible frame length ${total} (headers ${headersLength}) at byte ${this.offset}`);
      }
      if (to - at < total) break;
      // the codec reads header names and values from the underlying buffer without bounding them by the
      // header section, so a lying length would be served from the payload or the next frame's bytes
      const bad = headerOverrun(bytes, at + PRELUDE, headersLength);
      if (bad) {
        const crcOk = crc32(bytes, at, at + total - 4) === new DataView(bytes.buffer, bytes.byteOffset + at + total - 4, 4).getUint32(0, false);
        throw framingError(`${crcOk ? bad : "message checksum mismatch"} (frame at byte ${this.offset})`);
      }
      this.codec ??= new EventStreamCodec(toUtf8, fromUtf8);
      try {
        out.push(this.codec.decode(bytes.subarray(at, at + total)));
      } catch (e) {
        throw framingError(`${(e as Error).message} (frame at byte ${this.offset})`);
      }
      at += total;
      this.offset += total;
    }
    return at;
  }

  private append(chunk: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (live + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(live + chunk.length, this.buf.length * 2, 4096));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
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
  if (type !== "event") return undefined;
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
    if (typeof delta.stdout === "string") out.stdout = delta.stdout;
    if (typeof delta.stderr === "string") out.stderr = delta.stderr;
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
