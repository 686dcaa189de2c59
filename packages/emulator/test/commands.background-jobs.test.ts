import { PIPE_GRACE_MS, execRunner } from "../src/execRunner";
import { SESSION, runCommand, sessionId, start, waitDead, type Harness } from "./helpers";

// A background job inherits the command's stdout and stderr; the command must still end when bash exits.
describe("commands with background jobs that keep the output pipes open", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ exec: true });
  });
  afterAll(() => h.emu.close());

  it("ends when bash exits, not when the job lets go of stdout/stderr, and kills the job", async () => {
    const sid = sessionId();
    const started = Date.now();
    const out = await runCommand(h, { command: "sleep 30 & echo $! > bg.pid; echo started", timeout: 60 }, { [SESSION]: sid });
    // far below the 30 s the job holds the pipes open
    expect(Date.now() - started).toBeLessThan(5000);
    expect(out.stdout).toBe("started\n");
    expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
    const pid = Number((await runCommand(h, { command: "cat bg.pid" }, { [SESSION]: sid })).stdout);
    expect(pid).toBeGreaterThan(1);
    expect(await waitDead(pid)).toBe(true);
  });

  it("reports the exit status of bash, not TIMED_OUT, when a job outlives the timeout", async () => {
    const started = Date.now();
    const out = await runCommand(h, { command: "sleep 1000 & echo started; exit 3", timeout: 10 });
    // far below the 10 s timeout; COMPLETED with exit 3 below also shows the timeout never fired
    expect(Date.now() - started).toBeLessThan(5000);
    expect(out.stdout).toBe("started\n");
    expect(out.stop).toEqual({ exitCode: 3, status: "COMPLETED" });
  });

  it("still delivers everything written before bash exited", async () => {
    const out = await runCommand(h, { command: "sleep 5 & head -c 300000 /dev/zero | tr '\\0' q; echo; echo done >&2" });
    expect(out.stdout).toBe(`${"q".repeat(300_000)}\n`);
    expect(out.stderr).toBe("done\n");
    expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
  });

  it("keeps output that waits on a slow client past the pipe grace period", async () => {
    // The first piece takes longer to write than the grace period; bash has exited meanwhile, with the rest of
    // its output still in the pipe, and a background job holding the pipe open.
    let stdout = "";
    let calls = 0;
    const result = await execRunner({
      command: "sleep 5 & head -c 100000 /dev/zero | tr '\\0' s",
      timeoutSeconds: 10,
      signal: new AbortController().signal,
      onOutput: async (_stream, text) => {
        if (calls++ === 0) await new Promise((r) => setTimeout(r, 3 * PIPE_GRACE_MS));
        stdout += text;
      },
    });
    expect(stdout).toBe("s".repeat(100_000));
    expect(result).toEqual({ exitCode: 0, status: "COMPLETED" });
  });
});
