import fc from "fast-check";
import { SseDecoder, type SseEvent } from "../src/protocol/sse";
import { sseErrorPayload } from "../src/protocol/sse";
import { cutAt, sseCases, splits } from "./helpers/fixtures";

/** Decodes pieces as the streaming command does: events until an in-band error, which stops the stream. */
function decode(pieces: Uint8Array[]): { events: SseEvent[]; error?: { errorType?: string; message: string } } {
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  for (const piece of pieces) {
    for (const event of decoder.push(piece)) {
      const error = sseErrorPayload(event);
      if (error) return { events, error };
      events.push(event);
    }
  }
  for (const event of decoder.finish().events) {
    const error = sseErrorPayload(event);
    if (error) return { events, error };
    events.push(event);
  }
  return { events };
}

const strip = (e: SseEvent) => {
  const { text: _text, ...rest } = e;
  return rest;
};

describe("SSE fixtures decode identically however the bytes are cut", () => {
  for (const c of sseCases) {
    test(c.name, () => {
      const bytes = new TextEncoder().encode(c.body);
      for (const { label, pieces } of splits(bytes)) {
        const { events, error } = decode(pieces);
        expect({ label, events: events.map(strip) }).toEqual({ label, events: c.events });
        expect(events.map((e) => e.text)).toEqual(c.texts);
        if (c.text !== undefined) expect(events.map((e) => e.text).join("")).toBe(c.text);
        if (c.error) expect(error).toMatchObject({ errorType: c.error.errorType, message: c.error.message });
        else expect(error).toBeUndefined();
      }
    });
  }
});

describe("SSE decoder edge cases of the WHATWG algorithm", () => {
  const run = (body: string) => decode([new TextEncoder().encode(body)]).events;
  test("a field without a colon is a field with an empty value", () => {
    expect(run("data\n\n")).toEqual([{ data: "", text: "" }]);
  });
  test("only one leading space is stripped from a value", () => {
    expect(run("data:  two\n\n")[0].data).toBe(" two");
  });
  test("an event with no data is not dispatched, and its type does not leak into the next", () => {
    expect(run("event: a\n\ndata: x\n\n")).toEqual([{ data: "x", text: "x" }]);
  });
  test("id is per event, not carried over", () => {
    expect(run("id: 1\ndata: a\n\ndata: b\n\n")).toEqual([{ data: "a", id: "1", text: "a" }, { data: "b", text: "b" }]);
  });
  test("a BOM only at the very start is stripped; a later U+FEFF stays", () => {
    expect(run("\uFEFFdata: a\n\ndata: \uFEFFb\n\n").map((e) => e.data)).toEqual(["a", "\uFEFFb"]);
  });
  test.each([
    ["data: a\n\ndata: b", true],
    ["data: a\n\ndata: b\n", true],
    ["data: a\n\ndata: b\r", true],
    ["data: a\n\n", false],
    ["data: a\r\r", false],
    ["data: a\n\n: trailing comment", false],
  ])("finish() on %p drops an unterminated final event and says so: %p", (body, dropped) => {
    const decoder = new SseDecoder();
    const events = [...decoder.push(new TextEncoder().encode(body))];
    const end = decoder.finish();
    events.push(...end.events);
    expect(events.map((e) => e.data)).toEqual(["a"]);
    expect(end.dropped.length > 0).toBe(dropped);
  });
  test("a multi-megabyte event split into 64 KiB reads", () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const bytes = new TextEncoder().encode(`data: "${big}"\n\n`);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 65536) pieces.push(bytes.subarray(i, i + 65536));
    const { events } = decode(pieces);
    expect(events).toHaveLength(1);
    expect(events[0].text.length).toBe(big.length);
  });
});

describe("property: random event sequences decode the same under random splits", () => {
  const fieldValue = fc.string({ unit: fc.oneof(fc.constantFrom("a", "é", "☃", "😀", " ", ":", "\"", "{", "\\"), fc.string({ unit: "grapheme", maxLength: 1 })) }).map((s) => s.replace(/[\r\n\0]/g, ""));
  const eventArb = fc.record({
    data: fc.array(fieldValue, { minLength: 1, maxLength: 3 }),
    event: fc.option(fieldValue.filter((s) => s.length > 0), { nil: undefined }),
    id: fc.option(fieldValue, { nil: undefined }),
    comment: fc.boolean(),
  });
  const eol = fc.constantFrom("\n", "\r", "\r\n");

  test("events survive any cut and any line ending", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 6 }), eol, fc.array(fc.nat(), { maxLength: 12 }), (events, nl, cuts) => {
        let body = "";
        for (const e of events) {
          if (e.comment) body += `: heartbeat${nl}`;
          if (e.event !== undefined) body += `event: ${e.event}${nl}`;
          if (e.id !== undefined) body += `id: ${e.id}${nl}`;
          for (const line of e.data) body += `data: ${line}${nl}`;
          body += nl;
        }
        const bytes = new TextEncoder().encode(body);
        const pieces = cutAt(bytes, cuts);
        const whole = decode([bytes]).events;
        const cut = decode(pieces).events;
        expect(cut).toEqual(whole);
        expect(whole.map((e) => e.data)).toEqual(events.map((e) => e.data.join("\n")));
        expect(whole.map((e) => e.event)).toEqual(events.map((e) => e.event || undefined));
      }),
      { numRuns: 300, seed: 1_234_567 }, // fixed seed: every run checks the same cases
    );
  });
});
