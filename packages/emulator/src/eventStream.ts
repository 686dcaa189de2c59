import { EventStreamCodec, type MessageHeaders } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

/** Service limit on one event's payload (PROTOCOL.md, AWS event stream). */
export const MAX_EVENT_PAYLOAD = 64 * 1024;

let codec: EventStreamCodec | undefined;
// Created on first use: no work at import time.
const getCodec = () => (codec ??= new EventStreamCodec(toUtf8, fromUtf8));

const str = (value: string) => ({ type: "string" as const, value });

export type CommandChunk =
  | { contentStart: Record<string, never> }
  | { contentDelta: { stdout?: string; stderr?: string } }
  | { contentStop: { exitCode: number; status: "COMPLETED" | "TIMED_OUT" } };

function encode(headers: MessageHeaders, body: Uint8Array): Uint8Array {
  return getCodec().encode({ headers, body });
}

/** An `event`/`chunk` frame whose payload is the bare chunk object, the form the official SDKs read. */
export function chunkFrame(chunk: CommandChunk): Uint8Array {
  return encode(
    { ":message-type": str("event"), ":event-type": str("chunk"), ":content-type": str("application/json") },
    fromUtf8(JSON.stringify(chunk)),
  );
}

/** A modeled error mid-stream, e.g. type `throttlingException`. */
export function exceptionFrame(type: string, message: string): Uint8Array {
  return encode(
    { ":message-type": str("exception"), ":exception-type": str(type), ":content-type": str("application/json") },
    fromUtf8(JSON.stringify({ message })),
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

/**
 * Splits output text into pieces whose `contentDelta` payload stays within 64 KB. Pieces end on whole code
 * points, so no character is cut; JSON escaping (up to 6 bytes per UTF-16 unit) is measured, not guessed.
 */
export function deltaFrames(stream: "stdout" | "stderr", text: string): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + MAX_EVENT_PAYLOAD);
    for (;;) {
      // Never end between the halves of a surrogate pair.
      const code = text.charCodeAt(end - 1);
      if (end < text.length && end - start > 1 && code >= 0xd800 && code <= 0xdbff) end--;
      const payload = fromUtf8(JSON.stringify({ contentDelta: { [stream]: text.slice(start, end) } }));
      if (payload.byteLength <= MAX_EVENT_PAYLOAD) {
        frames.push(
          encode({ ":message-type": str("event"), ":event-type": str("chunk"), ":content-type": str("application/json") }, payload),
        );
        break;
      }
      // Shrink in proportion to the overshoot, with a margin so this converges in a step or two.
      end = start + Math.max(1, Math.floor(((end - start) * (MAX_EVENT_PAYLOAD - 64)) / payload.byteLength));
    }
    start = end;
  }
  return frames;
}
