import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { SESSION, runCommand, sessionId, start, waitDead, type Harness } from "./helpers";

const hasSetsid = (() => {
  try {
    execFileSync("sh", ["-c", "command -v setsid"], { stdio: "ignore" });
    return existsSync("/proc/self/environ");
  } catch {
    return false;
  }
})();

/** Starts `setsid sleep 30` fully detached (own session, no pipes); waits (up to 5 s) until setsid took effect, then prints its pid and session id. */
const ESCAPE =
  "setsid sleep 30 >/dev/null 2>&1 </dev/null & p=$!; i=0; " +
  "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; " +
  "echo pid $p sid $(cut -d' ' -f6 /proc/$p/stat) end";

function escapee(text: string): number {
  const match = /pid (\d+) sid (\d+) end/.exec(text);
  if (!match) throw new Error(`no pid in ${JSON.stringify(text)}`);
  const [pid, sid] = [Number(match[1]), Number(match[2])];
  // It really left: it leads a session of its own, outside the command's process group.
  expect(sid).toBe(pid);
  return pid;
}

async function startCommand(h: Harness, command: string, sid: string): Promise<{ pid: number; done: Promise<unknown> }> {
  const res = await h.post("commands", { body: { command, timeout: 60 }, headers: { [SESSION]: sid } });
  const reader = res.body!.getReader();
  let seen = "";
  while (!/pid \d+ sid \d+ end/.test(seen)) seen += Buffer.from((await reader.read()).value!).toString("latin1");
  const done = (async () => {
    for (;;) if ((await reader.read()).done) return;
  })().catch(() => undefined);
  return { pid: escapee(seen), done };
}

(hasSetsid ? describe : describe.skip)("processes that leave the command's process group (setsid)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ exec: true });
  });
  afterAll(() => h.emu.close());

  it("are killed when the command ends", async () => {
    const out = await runCommand(h, { command: ESCAPE });
    expect(out.stop).toEqual({ exitCode: 0, status: "COMPLETED" });
    expect(await waitDead(escapee(out.stdout))).toBe(true);
  });

  it("see the marker in their environment", async () => {
    const out = await runCommand(h, { command: 'echo "$AGENTCORE_EMULATOR_RUN"' });
    expect(out.stdout).toMatch(/^[0-9a-f-]{36}\.[0-9a-f-]{36}\.[0-9a-f-]{36}\n$/);
  });

  it("are killed when their session is stopped while the command runs", async () => {
    const sid = sessionId();
    const { pid, done } = await startCommand(h, `${ESCAPE}; sleep 30`, sid);
    expect(readFileSync(`/proc/${pid}/cmdline`, "latin1")).toContain("sleep");
    expect((await h.post("stopruntimesession", { headers: { [SESSION]: sid } })).status).toBe(200);
    await done;
    expect(await waitDead(pid)).toBe(true);
  });

  it("are killed when the emulator closes while the command runs", async () => {
    const other = await start({ exec: true });
    const { pid, done } = await startCommand(other, `${ESCAPE}; sleep 30`, sessionId());
    await other.emu.close();
    await done;
    expect(await waitDead(pid)).toBe(true);
  });
});
