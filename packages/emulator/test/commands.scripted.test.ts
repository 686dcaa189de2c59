import { SESSION, headerValues, runCommand, sessionId, start, type Harness } from "./helpers";

describe("commands with the scripted runner (default, nothing executes)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.emu.close());

  it("frames contentStart, deltas, contentStop as bare chunk events", async () => {
    const sid = sessionId();
    const out = await runCommand(h, { command: "echo hello world" }, { [SESSION]: sid });
    expect(out.res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    expect(out.res.headers.get(SESSION)).toBe(sid);
    expect(out.events).toEqual([
      { contentStart: {} },
      { contentDelta: { stdout: "hello world\n" } },
      { contentStop: { exitCode: 0, status: "COMPLETED" } },
    ]);
    for (const frame of out.frames) {
      expect(headerValues(frame)).toEqual({ ":message-type": "event", ":event-type": "chunk", ":content-type": "application/json" });
    }
  });

  it("generates a session id when none is sent", async () => {
    const out = await runCommand(h, { command: "true" });
    expect(out.res.headers.get(SESSION)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends `>&2` output to stderr and `exit N` as the exit code", async () => {
    const out = await runCommand(h, { command: "echo out; echo 'to err' >&2; exit 3" });
    expect(out.stdout).toBe("out\n");
    expect(out.stderr).toBe("to err\n");
    expect(out.stop).toEqual({ exitCode: 3, status: "COMPLETED" });
  });

  it("answers an unknown command with command not found, exit 127", async () => {
    const out = await runCommand(h, { command: "rm -rf /" });
    expect(out.stdout).toBe("");
    expect(out.stderr).toBe("bash: line 1: rm: command not found\n");
    expect(out.stop).toEqual({ exitCode: 127, status: "COMPLETED" });
  });

  it("supports quoting, printf, && and ||", async () => {
    const out = await runCommand(h, { command: `echo "a  b" 'c;d' && false || printf 'x\\ny' ; echo -n é☃😀` });
    expect(out.stdout).toBe("a  b c;d\nx\nyé☃😀");
    expect(out.stop?.exitCode).toBe(0);
  });

  it("sleep honours the timeout: TIMED_OUT with exit code -1", async () => {
    const started = Date.now();
    const out = await runCommand(h, { command: "echo before; sleep 30; echo after", timeout: 1 });
    expect(out.stdout).toBe("before\n");
    expect(out.stop).toEqual({ exitCode: -1, status: "TIMED_OUT" });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("sleep shorter than the timeout completes", async () => {
    const out = await runCommand(h, { command: "sleep 0.05; echo done", timeout: 1 });
    expect(out.stdout).toBe("done\n");
    expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
  });

  it("yes-bytes N streams N bytes split into events of at most 64 KB", async () => {
    const out = await runCommand(h, { command: "yes-bytes 1000001" });
    expect(out.stdout).toHaveLength(1_000_001);
    expect(out.stdout.startsWith("y\ny\n")).toBe(true);
    expect(out.frames.length).toBeGreaterThan(16);
    for (const frame of out.frames) expect(frame.body.byteLength).toBeLessThanOrEqual(65536);
    expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
  });

  it("kills output past maxCommandOutputBytes with exit code -1", async () => {
    const small = await start({ maxCommandOutputBytes: 100_000 });
    try {
      const out = await runCommand(small, { command: "yes-bytes 10000000" });
      expect(out.stdout.length).toBeLessThanOrEqual(100_000);
      expect(out.stop).toEqual({ exitCode: -1, status: "COMPLETED" });
    } finally {
      await small.emu.close();
    }
  });
});
