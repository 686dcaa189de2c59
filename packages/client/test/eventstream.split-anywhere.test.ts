import fc from "fast-check";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { commandEventOf, EventStreamDecoder, type CommandEvent } from "../src/protocol/eventStream";
import { AgentRuntimeError } from "../src/protocol/errors";
import { cutAt, eventStreamCases, splits } from "./helpers/fixtures";

/** Decodes pieces as the commands do: events until the first error, then the error. */
function decode(pieces: Uint8Array[]): { events: CommandEvent[]; error?: AgentRuntimeError } {
  const decoder = new EventStreamDecoder();
  const events: CommandEvent[] = [];
  try {
    for (const piece of pieces) {
      for (const message of decoder.push(piece)) {
        const event = commandEventOf(message);
        if (event) events.push(event);
      }
    }
    decoder.finish();
  } catch (e) {
    return { events, error: e as AgentRuntimeError };
  }
  return { events };
}

describe("event-stream fixtures decode identically however the bytes are cut", () => {
  for (const c of eventStreamCases) {
    test(c.name, () => {
      const bytes = Uint8Array.from(Buffer.from(c.stream, "hex"));
      for (const { label, pieces } of splits(bytes)) {
        const { events, error } = decode(pieces);
        expect({ label, events }).toEqual({ label, events: c.events });
        if (c.error?.name) {
          expect(error?.name).toBe(c.error.name);
          expect(error?.message).toBe(c.error.message);
          expect(AgentRuntimeError.isInstance(error)).toBe(true);
        } else if (c.error?.framing) {
          expect(error?.name).toBe("EventStreamFramingError");
        } else {
          // truncated (no contentStop) is judged by the commands, not the frame decoder
          expect(error).toBeUndefined();
        }
      }
    });
  }
});

describe("property: random frame sequences reassemble under random splits", () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frame = (payload: unknown, wrapped: boolean) =>
    codec.encode({
      headers: {
        ":message-type": { type: "string", value: "event" },
        ":event-type": { type: "string", value: "chunk" },
        ":content-type": { type: "string", value: "application/json" },
      },
      body: fromUtf8(JSON.stringify(wrapped ? { chunk: payload } : payload)),
    });
  const deltaArb = fc.record({ stdout: fc.option(fc.string({ unit: "grapheme" }), { nil: undefined }), stderr: fc.option(fc.string({ unit: "grapheme" }), { nil: undefined }) });

  test("events survive any cut", () => {
    fc.assert(
      fc.property(fc.array(deltaArb, { maxLength: 8 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 20 }), (deltas, wrapped, cuts) => {
        const expected: CommandEvent[] = [
          { contentStart: {} },
          ...deltas.map((d) => ({ contentDelta: JSON.parse(JSON.stringify(d)) })),
          { contentStop: { exitCode: 0, status: "COMPLETED" } },
        ];
        const frames = expected.map((e) => frame(e, wrapped));
        const bytes = Uint8Array.from(Buffer.concat(frames));
        const pieces = cutAt(bytes, cuts);
        const { events, error } = decode(pieces);
        expect(error).toBeUndefined();
        expect(events).toEqual(expected);
      }),
      { numRuns: 200, seed: 7_654_321 }, // fixed seed: every run checks the same cases
    );
  });

  test("a corrupted prelude length is reported at once, not waited for", () => {
    const bytes = Uint8Array.from(frame({ contentStart: {} }, false));
    bytes[2] ^= 0xff;
    const decoder = new EventStreamDecoder();
    expect(() => decoder.push(bytes.subarray(0, 12))).toThrow(expect.objectContaining({ name: "EventStreamFramingError" }));
  });
});
