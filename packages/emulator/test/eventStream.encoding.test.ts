import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toUtf8 } from "@smithy/util-utf8";
import { MAX_EVENT_PAYLOAD, chunkFrame, deltaFrames, exceptionFrame } from "../src/eventStream";
import { decodeFrames, payloadOf } from "./helpers";

const vectors = JSON.parse(readFileSync(join(__dirname, "fixtures/eventstream-vectors.json"), "utf8"));
const vector = (name: string) => vectors.cases.find((c: { name: string }) => c.name === name);

const concat = (frames: Uint8Array[]) => Buffer.concat(frames).toString("hex");

describe("event-stream encoding", () => {
  it("matches the shared fixture for bare chunks byte for byte", () => {
    const { stream, events } = vector("bare chunks: start, stdout, stderr, stop");
    expect(concat(events.map(chunkFrame))).toBe(stream);
  });

  it("matches the shared fixture for multi-byte output and a timeout", () => {
    const { stream, events } = vector("multi-byte UTF-8 output and timeout");
    expect(concat(events.map(chunkFrame))).toBe(stream);
  });

  it("matches the shared fixture for a throttling exception frame", () => {
    const { stream } = vector("throttling exception frame");
    expect(concat([exceptionFrame("throttlingException", "Rate exceeded")])).toBe(stream);
  });

  it.each([
    ["ASCII", "a".repeat(200_000)],
    ["control characters (6-byte escapes)", "\u0001".repeat(50_000)],
    ["3-byte characters", "☃".repeat(70_000)],
    ["surrogate pairs", "😀".repeat(40_000)],
    ["mixed", 'x"\\\n😀é\u0000'.repeat(30_000)],
  ])("splits %s into payloads of at most 64 KB without cutting a character", (_name, text) => {
    const frames = deltaFrames("stdout", text);
    const messages = frames.flatMap((f) => decodeFrames(f));
    for (const m of messages) expect(m.body.byteLength).toBeLessThanOrEqual(MAX_EVENT_PAYLOAD);
    const pieces = messages.map((m) => payloadOf(m).contentDelta.stdout as string);
    expect(pieces.join("")).toBe(text);
    for (const piece of pieces) expect(toUtf8(Buffer.from(piece, "utf8"))).toBe(piece);
    // Big pieces: no more events than needed at twice the minimum.
    expect(pieces.length).toBeLessThanOrEqual(Math.ceil((Buffer.byteLength(JSON.stringify(text)) * 2) / MAX_EVENT_PAYLOAD) + 1);
  });
});
