import fc from "fast-check";
import { createParser } from "eventsource-parser";
import { SseDecoder, type SseEvent } from "../src/protocol/sse";
import { sseErrorPayload } from "../src/protocol/sse";
import { cutAt, sseCases, splits } from "./helpers/fixtures";

/** Decodes pieces as the streaming command does: events until an in-band error, which stops the stream. */
function decode(pieces: Uint8Array[]): { events: SseEvent[]; error?: { errorType?: string; message: string }; partial?: string } {
  const decoder = new SseDecoder();
  const events: SseEvent[] = [];
  for (const piece of pieces) {
    for (const event of decoder.push(piece)) {
      const error = sseErrorPayload(event);
      if (error) return { events, error };
      events.push(event);
    }
  }
  const end = decoder.finish();
  for (const event of end.events) {
    const error = sseErrorPayload(event);
    if (error) return { events, error };
    events.push(event);
  }
  return end.truncated ? { events, partial: end.partial } : { events };
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
        const { events, error, partial } = decode(pieces);
        expect({ label, partial }).toEqual({ label, partial: c.truncated?.partial });
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
    expect(end.truncated).toBe(dropped);
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

describe("property: the decoder agrees with eventsource-parser (an independent implementation) on arbitrary bodies", () => {
  // bodies built from the characters that matter to the algorithm, with every line ending and stray CRs
  const piece = fc.constantFrom("data", "data:", "data: ", "event:", "event: e", "id:", "id: 7", "retry: 5", ":", ": c", "x", "é", "😀", "\n", "\r", "\r\n", "\n\n", " ", "\uFEFF", "\u0000");
  test("same events for any body and any cut", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
        const body = parts.join("") + "\n\n";
        const expected: { data: string; event?: string }[] = [];
        const reference = createParser({ onEvent: (m) => expected.push(m.event ? { data: m.data, event: m.event } : { data: m.data }) });
        // the reference wants a BOM stripped by its caller and decoded text
        reference.feed(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body);
        const bytes = new TextEncoder().encode(body);
        const decoder = new SseDecoder();
        const got: SseEvent[] = [];
        for (const p of cutAt(bytes, cuts)) got.push(...decoder.push(p));
        const end = decoder.finish();
        got.push(...end.events);
        expect(got.map((e) => (e.event ? { data: e.data, event: e.event } : { data: e.data }))).toEqual(expected);
        expect(end.truncated).toBe(false);
      }),
      { numRuns: 500, seed: 424_242 },
    );
  });
});

describe("maxEventBytes bounds what an unfinished event can hold", () => {
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  test.each([
    ["one line that never ends", new TextEncoder().encode("data: ")],
    ["data lines without a blank line", new TextEncoder().encode("data: " + "y".repeat(1000) + "\n")],
  ])("%s: ResponseLimitExceededError naming the option", (_name, start) => {
    const decoder = new SseDecoder({ maxEventBytes: 1024 * 1024 });
    const repeat = _name.startsWith("one") ? chunk : start;
    let error: unknown;
    try {
      decoder.push(start);
      for (let i = 0; i < 10_000; i++) decoder.push(repeat);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxEventBytes", limitBytes: 1024 * 1024 });
    expect(String((error as Error).message)).toContain("maxEventBytes");
  });
  test("events before the crossing in the same read are delivered first", () => {
    const decoder = new SseDecoder({ maxEventBytes: 16 });
    const events = decoder.push(new TextEncoder().encode("data: ok\n\ndata: " + "z".repeat(100)));
    expect(events.map((e) => e.data)).toEqual(["ok"]);
    expect(() => decoder.push(new Uint8Array([10]))).toThrow(/maxEventBytes/);
  });
  test("a stream of comments is not an event: any amount passes", () => {
    const decoder = new SseDecoder({ maxEventBytes: 64 });
    const comment = new TextEncoder().encode(": heartbeat\n");
    for (let i = 0; i < 1000; i++) decoder.push(comment);
    expect(decoder.push(new TextEncoder().encode("data: a\n\n")).map((e) => e.data)).toEqual(["a"]);
  });
});

test("an event of exactly maxEventBytes characters fits; one more does not", () => {
  const fits = new SseDecoder({ maxEventBytes: 10 });
  expect(fits.push(new TextEncoder().encode(`data: ${"x".repeat(10)}\n\n`)).map((e) => e.data)).toEqual(["x".repeat(10)]);
  // two lines: 4 + LF + 5 = 10 characters of data
  expect(fits.push(new TextEncoder().encode("data: abcd\ndata: efghi\n\n")).map((e) => e.data)).toEqual(["abcd\nefghi"]);
  const over = new SseDecoder({ maxEventBytes: 10 });
  expect(() => over.push(new TextEncoder().encode(`data: ${"x".repeat(11)}\n\n`))).toThrow(/maxEventBytes/);
});
