import { startEmulator } from "../src";
import { deltaFrameSize, deltaFrames, prefixWithin } from "../src/eventStream";
import { commandOutcome, start, type Harness } from "./helpers";

const CAP = 100_000;

describe("maxCommandOutputBytes counts the response body as sent", () => {
  let exec: Harness;
  let scripted: Harness;
  beforeAll(async () => {
    exec = await start({ exec: true, maxCommandOutputBytes: CAP });
    scripted = await start({ maxCommandOutputBytes: CAP });
  });
  afterAll(async () => {
    await exec.emu.close();
    await scripted.emu.close();
  });

  /** Runs the command; returns its outcome and the size of the whole response body. */
  async function run(h: Harness, command: string) {
    const res = await h.post("commands", { body: { command, timeout: 20 } });
    const raw = new Uint8Array(await res.arrayBuffer());
    return { ...commandOutcome(raw), size: raw.byteLength };
  }

  it("sends output up to the limit, not only the chunks before the one that crosses it", async () => {
    const out = await run(exec, "head -c 300000 /dev/zero | tr '\\0' z");
    expect(out.size).toBeLessThanOrEqual(CAP);
    expect(out.size).toBeGreaterThan(CAP - 64);
    expect(out.stdout).toBe("z".repeat(out.stdout.length));
    expect(out.stdout.length).toBeGreaterThan(99_000);
    expect(out.stop).toEqual({ exitCode: -1, status: "COMPLETED" });
  });

  it("counts JSON escaping: 99000 control bytes (6 bytes each once escaped) pass a 100000-byte limit", async () => {
    const out = await run(exec, "head -c 99000 /dev/zero | tr '\\0' '\\1'");
    expect(out.size).toBeLessThanOrEqual(CAP);
    expect(out.size).toBeGreaterThan(CAP - 64);
    expect(out.stdout).toBe("\u0001".repeat(out.stdout.length));
    expect(out.stdout.length).toBeGreaterThan(16_000);
    expect(out.stdout.length).toBeLessThan(17_000);
    expect(out.stop).toEqual({ exitCode: -1, status: "COMPLETED" });
  });

  it("cuts multi-byte output on a character boundary", async () => {
    const command = "s=$(printf '\u00e9\u2603\ud83d\ude00%.0s' $(seq 1 1000)); while :; do printf %s \"$s\"; done";
    const out = await run(exec, command);
    expect(out.size).toBeLessThanOrEqual(CAP);
    expect(out.size).toBeGreaterThan(CAP - 64);
    expect(out.stdout).not.toContain("\uFFFD");
    expect(out.stdout).toMatch(/^(\u00e9\u2603\ud83d\ude00)+(\u00e9|\u00e9\u2603|\u00e9\u2603\ud83d\ude00)?$/u);
    expect(out.stop).toEqual({ exitCode: -1, status: "COMPLETED" });
  });

  it("applies to the scripted runner alike", async () => {
    const out = await run(scripted, "yes-bytes 10000000");
    expect(out.size).toBeLessThanOrEqual(CAP);
    expect(out.size).toBeGreaterThan(CAP - 64);
    expect(out.stop).toEqual({ exitCode: -1, status: "COMPLETED" });
  });

  it("lets output that fits through untouched", async () => {
    const out = await run(exec, "head -c 50000 /dev/zero | tr '\\0' z; exit 4");
    expect(out.stdout).toBe("z".repeat(50_000));
    expect(out.stop).toEqual({ exitCode: 4, status: "COMPLETED" });
  });

  it("rejects a limit below 1024 bytes or not a whole number", async () => {
    await expect(startEmulator({ maxCommandOutputBytes: 100 })).rejects.toThrow(RangeError);
    await expect(startEmulator({ maxCommandOutputBytes: 1.5e6 + 0.5 })).rejects.toThrow(RangeError);
  });
});

describe("prefixWithin", () => {
  it("is the longest prefix whose frame fits, never splitting a surrogate pair", () => {
    const text = "a\ud83d\ude00b".repeat(50);
    for (let budget = deltaFrameSize("stdout", ""); budget < deltaFrameSize("stdout", text) + 2; budget++) {
      const head = prefixWithin("stdout", text, budget);
      expect(text.startsWith(head)).toBe(true);
      expect(head).not.toMatch(/[\ud800-\udbff]$/);
      if (head) expect(deltaFrames("stdout", head)[0]!.byteLength).toBeLessThanOrEqual(budget);
      const next = text.slice(0, head.length + (text.codePointAt(head.length)! > 0xffff ? 2 : 1));
      if (head.length < text.length) expect(deltaFrameSize("stdout", next)).toBeGreaterThan(budget);
    }
  });
});
