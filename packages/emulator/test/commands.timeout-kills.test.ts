import { SESSION, runCommand, sessionId, start, waitDead, type Harness } from "./helpers";

describe("command timeout", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ exec: true });
  });
  afterAll(() => h.emu.close());

  it("kills the whole process group and reports TIMED_OUT with exit code -1", async () => {
    const sid = sessionId();
    const started = Date.now();
    const out = await runCommand(
      h,
      { command: "echo $$ > shell.pid; sleep 30 & echo $! > sleep.pid; echo started; wait", timeout: 1 },
      { [SESSION]: sid },
    );
    // far below the 30 s the job would otherwise run
    expect(Date.now() - started).toBeLessThan(5000);
    expect(out.stdout).toBe("started\n");
    expect(out.stop).toEqual({ exitCode: -1, status: "TIMED_OUT" });
    const pids = await runCommand(h, { command: "cat shell.pid sleep.pid" }, { [SESSION]: sid });
    const [shell, sleeper] = pids.stdout.trim().split("\n").map(Number);
    expect(shell).toBeGreaterThan(1);
    expect(sleeper).toBeGreaterThan(1);
    expect(await waitDead(shell)).toBe(true);
    expect(await waitDead(sleeper)).toBe(true);
  });

  it("does not kill a command that finishes in time", async () => {
    const out = await runCommand(h, { command: "sleep 0.1; echo ok", timeout: 10 });
    expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
  });

  it("leaves no background process of a finished command behind", async () => {
    const sid = sessionId();
    await runCommand(h, { command: "sleep 30 >/dev/null 2>&1 & echo $! > bg.pid" }, { [SESSION]: sid });
    const pid = Number((await runCommand(h, { command: "cat bg.pid" }, { [SESSION]: sid })).stdout);
    expect(await waitDead(pid)).toBe(true);
  });

  it("kills a command whose client goes away", async () => {
    const controller = new AbortController();
    const res = await h.post("commands", {
      body: { command: "sleep 30 & echo pids $$ $! end; wait", timeout: 60 },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let seen = "";
    while (!/pids \d+ \d+ end/.test(seen)) seen += Buffer.from((await reader.read()).value!).toString("latin1");
    const [, shell, sleeper] = /pids (\d+) (\d+) end/.exec(seen)!.map(Number);
    controller.abort();
    expect(await waitDead(shell)).toBe(true);
    expect(await waitDead(sleeper)).toBe(true);
  });
});
