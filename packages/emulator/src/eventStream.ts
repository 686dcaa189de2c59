import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { modeledFields } from "./errors";

/** Service limit on one event's payload (PROTOCOL.md, AWS event stream). */
export const MAX_EVENT_PAYLOAD = 64 * 1024;

let codec: EventStreamCodec | undefined;
// Created on first use: no work at import time.
const getCodec = () => (codec ??= new EventStreamCodec(toUtf8, fromUtf8));

const str = (value: string) => ({ type: "string" as const, value });

const CHUNK_HEADERS = (): MessageHeaders => ({
  ":message-type": str("event"),
  ":event-type": str("chunk"),
  ":content-type": str("application/json"),
});

export type CommandChunk =
  | { contentStart: Record<string, never> }
  | { contentDelta: { stdout?: string; stderr?: string } }
  | { contentStop: { exitCode: number; status: "COMPLETED" | "TIMED_OUT" } };

function encode(headers: MessageHeaders, body: Uint8Array): Uint8Array {
  return getCodec().encode({ headers, body });
}

/** An `event`/`chunk` frame whose payload is the bare chunk object, the form the official SDKs read. */
export function chunkFrame(chunk: CommandChunk): Uint8Array {
  return encode(CHUNK_HEADERS(), fromUtf8(JSON.stringify(chunk)));
}

/** A modeled error mid-stream, e.g. type `throttlingException`; a validation exception has its required `reason`. */
export function exceptionFrame(type: string, message: string): Uint8Array {
  return encode(
    { ":message-type": str("exception"), ":exception-type": str(type), ":content-type": str("application/json") },
    fromUtf8(JSON.stringify({ message, ...modeledFields(type) })),
  );
}

export function errorFrame(code: string, message: string): Uint8Array {
  return encode({ ":message-type": str("error"), ":error-code": str(code), ":error-message": str(message) }, new Uint8Array(0));
}

/** A copy of the frame with one bit of its message CRC flipped. */
export function corruptCrc(frame: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(frame);
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

let deltaOverhead: number | undefined;

/** Bytes of the `contentDelta` frame carrying `text`, computed without encoding it. */
export function deltaFrameSize(stream: "stdout" | "stderr", text: string): number {
  // Prelude, headers and CRC are the same for every chunk frame; only the JSON payload varies.
  deltaOverhead ??= encode(CHUNK_HEADERS(), new Uint8Array(0)).byteLength;
  return deltaOverhead + Buffer.byteLength(JSON.stringify({ contentDelta: { [stream]: text } }));
}

/**
 * The longest prefix of `text` whose `contentDelta` frame fits in `budget` bytes, ending on a whole code point
 * (so on a UTF-8 character boundary); "" when not even one character fits.
 */
export function prefixWithin(stream: "stdout" | "stderr", text: string, budget: number): string {
  // Measure whole code points only: a lone high surrogate is escaped to 6 bytes, more than the 4 of its pair,
  // so sizes grow with the prefix only when pairs are kept whole.
  const boundary = (end: number) => {
    const code = text.charCodeAt(end - 1);
    return end < text.length && code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
  };
  const fits = (end: number) => deltaFrameSize(stream, text.slice(0, boundary(end))) <= budget;
  if (!fits(0)) return "";
  let lo = 0;
  let hi = text.length;
  // Binary search for the longest prefix that fits.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, boundary(lo));
}

/**
 * Splits output text into pieces whose `contentDelta` payload stays within 64 KB. Pieces end on whole code
 * points, so no character is cut; JSON escaping (up to 6 bytes per UTF-16 unit) is measured, not guessed.
 */
export function deltaFrames(stream: "stdout" | "stderr", text: string): Uint8Array[] {
  return deltaPieces(stream, text).map((piece) => piece.frame);
}

/** As deltaFrames, with the text each frame carries. */
export function deltaPieces(stream: "stdout" | "stderr", text: string): { text: string; frame: Uint8Array }[] {
  const frames: { text: string; frame: Uint8Array }[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + MAX_EVENT_PAYLOAD);
    for (;;) {
      // Never end between the halves of a surrogate pair.
      const code = text.charCodeAt(end - 1);
      if (end < text.length && end - start > 1 && code >= 0xd800 && code <= 0xdbff) end--;
      const piece = text.slice(start, end);
      const payload = fromUtf8(JSON.stringify({ contentDelta: { [stream]: piece } }));
      if (payload.byteLength <= MAX_EVENT_PAYLOAD) {
        frames.push({ text: piece, frame: encode(CHUNK_HEADERS(), payload) });
        break;
      }
      // Shrink in proportion to the overshoot, with a margin so this converges in a step or two.
      end = start + Math.max(1, Math.floor(((end - start) * (MAX_EVENT_PAYLOAD - 64)) / payload.byteLength));
    }
    start = end;
  }
  return frames;
}
