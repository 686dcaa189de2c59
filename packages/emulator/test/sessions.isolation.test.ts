import { existsSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESSION, runCommand, sessionId, start, type Harness } from "./helpers";

describe("session working directories (exec)", () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "emu-sessions-"));
    h = await start({ exec: true, workDir: base });
  });
  afterAll(async () => {
    await h.emu.close();
    rmSync(base, { recursive: true, force: true });
  });

  const inSession = (sid: string, command: string) => runCommand(h, { command }, { [SESSION]: sid });

  it("keeps files within a session and apart from other sessions", async () => {
    const a = sessionId("a");
    const b = sessionId("b");
    await inSession(a, "echo secret-a > note.txt");
    expect((await inSession(a, "cat note.txt")).stdout).toBe("secret-a\n");
    const other = await inSession(b, "cat note.txt");
    expect(other.stdout).toBe("");
    expect(other.stop?.exitCode).toBe(1);
    expect((await inSession(a, "pwd")).stdout).not.toBe((await inSession(b, "pwd")).stdout);
  });

  it("gives a stopped session's id a fresh, empty folder and removes the old one", async () => {
    const sid = sessionId("stop");
    const dir = (await inSession(sid, "touch kept; pwd")).stdout.trim();
    expect(existsSync(join(dir, "kept"))).toBe(true);
    const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sid } });
    expect(stop.status).toBe(200);
    expect(existsSync(dir)).toBe(false);
    const again = await inSession(sid, "ls; pwd");
    expect(again.stdout.trim()).not.toBe(dir);
    expect(again.stdout.split("\n")[0]).not.toBe("kept");
  });

  it("removes every session folder on close", async () => {
    const emu = await start({ exec: true, workDir: base });
    const dir = (await runCommand(emu, { command: "pwd" })).stdout.trim();
    expect(existsSync(dir)).toBe(true);
    await emu.emu.close();
    expect(existsSync(dir)).toBe(false);
  });
});
