import fc from "fast-check";
import { EventStreamCodec, Int64 } from "@smithy/eventstream-codec";
import type { Message, MessageHeaderValue } from "@smithy/types";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { EventStreamDecoder } from "../src/protocol/eventStream";
import { cutAt } from "./helpers/fixtures";

/** The client decodes frames itself; @smithy/eventstream-codec is the independent reference it must match. */
const codec = new EventStreamCodec(toUtf8, fromUtf8);

const name = fc.string({ minLength: 1, maxLength: 20, unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz:-_é😀".split("")) }).filter((s) => new TextEncoder().encode(s).length < 256);
const header: fc.Arbitrary<MessageHeaderValue> = fc.oneof(
  fc.boolean().map((value) => ({ type: "boolean" as const, value })),
  fc.integer({ min: -128, max: 127 }).map((value) => ({ type: "byte" as const, value })),
  fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: "short" as const, value })),
  fc.integer().map((value) => ({ type: "integer" as const, value })),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((value) => ({ type: "long" as const, value: Int64.fromNumber(value) })),
  fc.uint8Array({ maxLength: 40 }).map((value) => ({ type: "binary" as const, value })),
  fc.string({ maxLength: 60 }).map((value) => ({ type: "string" as const, value })),
  fc.integer({ min: 0, max: 2 ** 40 }).map((ms) => ({ type: "timestamp" as const, value: new Date(ms) })),
  fc.uuid().map((value) => ({ type: "uuid" as const, value })),
);
const message: fc.Arbitrary<Message> = fc.record({
  headers: fc.dictionary(name, header, { maxKeys: 6 }),
  body: fc.uint8Array({ maxLength: 200 }),
});

/** Header values compared by what they mean: Int64 and our int64 by number, dates by time, bytes by content. */
function normal(m: Message) {
  const headers: Record<string, unknown> = {};
  for (const [k, h] of Object.entries(m.headers)) {
    const v = h.value as unknown;
    headers[k] = { type: h.type, value: h.type === "long" ? Number((v as { valueOf(): number }).valueOf()) : v instanceof Date ? v.getTime() : v instanceof Uint8Array ? [...v] : v };
  }
  return { headers, body: [...m.body] };
}

test("property: every frame decodes as @smithy/eventstream-codec decodes it, however the bytes are cut", () => {
  fc.assert(
    fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
      const frames = messages.map((m) => codec.encode(m));
      const expected = frames.map((f) => normal(codec.decode(f)));
      const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const f of frames) {
        all.set(f, at);
        at += f.length;
      }
      const decoder = new EventStreamDecoder();
      const got: unknown[] = [];
      // frames are views valid until the next push: normalise them at once
      for (const piece of cutAt(all, cuts)) for (const m of decoder.push(piece)) got.push(normal(m));
      decoder.finish();
      expect(got).toEqual(expected);
    }),
    { numRuns: 300, seed: 8_675_309 },
  );
});

test("a flipped payload byte is a message checksum mismatch, a flipped prelude byte a prelude mismatch", () => {
  const frame = codec.encode({ headers: { ":message-type": { type: "string", value: "event" } }, body: new TextEncoder().encode('{"contentStart":{}}') });
  const payload = frame.slice();
  payload[payload.length - 6] ^= 1;
  expect(() => new EventStreamDecoder().push(payload)).toThrow(/message checksum mismatch/);
  const prelude = frame.slice();
  prelude[2] ^= 1;
  expect(() => new EventStreamDecoder().push(prelude)).toThrow(expect.objectContaining({ name: "EventStreamFramingError" }));
});
