import { SESSION, runCommand, sessionId, start, type Harness } from "./helpers";

describe("commands with exec: true (real bash)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ exec: true });
  });
  afterAll(() => h.emu.close());

  it("streams stdout and stderr and reports the exit code", async () => {
    const out = await runCommand(h, { command: "echo out; echo err 1>&2; exit 7" });
    expect(out.stdout).toBe("out\n");
    expect(out.stderr).toBe("err\n");
    expect(out.events[0]).toEqual({ contentStart: {} });
    expect(out.stop).toEqual({ exitCode: 7, status: "COMPLETED" });
  });

  it("runs without stdin", async () => {
    const out = await runCommand(h, { command: "cat; echo rc=$?" });
    expect(out.stdout).toBe("rc=0\n");
  });

  it("reports death by signal as 128+N", async () => {
    const out = await runCommand(h, { command: "kill -9 $$" });
    expect(out.stop).toEqual({ exitCode: 137, status: "COMPLETED" });
  });

  it("never splits a multi-byte character and keeps each payload within 64 KB", async () => {
    // 3-byte and 4-byte characters, flushed in odd-sized pieces so pipe reads end mid-character.
    const command = `for i in $(seq 1 40); do printf '%.0s☃😀é' $(seq 1 700); done`;
    const out = await runCommand(h, { command });
    expect(out.stdout).toBe("☃😀é".repeat(700 * 40));
    expect(out.stdout).not.toContain("\uFFFD");
    for (const frame of out.frames) expect(frame.body.byteLength).toBeLessThanOrEqual(65536);
  });

  it("splits large output into many events of at most 64 KB", async () => {
    const out = await runCommand(h, { command: "head -c 1000000 /dev/zero | tr '\\0' 'z'" });
    expect(out.stdout).toBe("z".repeat(1_000_000));
    const deltas = out.events.filter((e) => e.contentDelta);
    expect(deltas.length).toBeGreaterThanOrEqual(16);
    for (const frame of out.frames) expect(frame.body.byteLength).toBeLessThanOrEqual(65536);
  });

  it("kills a command whose output passes maxCommandOutputBytes", async () => {
    const small = await start({ exec: true, maxCommandOutputBytes: 200_000 });
    try {
      const started = Date.now();
      const out = await runCommand(small, { command: "yes", timeout: 30 });
      expect(out.stdout.length).toBeLessThanOrEqual(200_000);
      expect(out.stop).toEqual({ exitCode: -1, status: "COMPLETED" });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await small.emu.close();
    }
  });

  it("runs each command as a fresh bash process in the session's folder", async () => {
    const sid = sessionId();
    await runCommand(h, { command: "export X=1; touch here; cd /" }, { [SESSION]: sid });
    const out = await runCommand(h, { command: 'echo "x=$X"; ls; pwd' }, { [SESSION]: sid });
    const [x, file, dir] = out.stdout.trim().split("\n");
    expect(x).toBe("x=");
    expect(file).toBe("here");
    expect(dir).toMatch(/agentcore-emulator-session-/);
  });
});
