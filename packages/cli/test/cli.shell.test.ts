/**
 * `agentcore shell` against the exec-enabled emulator: piped (no TTY) and on a pseudo-terminal made by util-linux
 * `script` (raw mode, the window size, Ctrl+] to detach, reattach), exit status propagation. `agentcore ws`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import type { Emulator } from "@agentcore-runtime/emulator";
import { BIN, cli, useEmulator, waitFor } from "./helpers";
import { scriptInstalled } from "../../client/test/helpers/script";

const hasScript = scriptInstalled("cli.shell.test");

let n = 0;
const session = () => `cli-shell-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;

/** The CLI under `script`: its stdin and stdout are a pty; the test types into `script`'s stdin. */
function underPty(command: string, env: NodeJS.ProcessEnv) {
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (t: string) => (out += t));
  child.stderr.on("data", (t: Buffer) => (out += t.toString()));
  const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { type: (text: string) => child.stdin.write(text), output: () => out, done, child };
}

(hasScript ? describe : describe.skip)("agentcore shell", () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  useEmulator((e, cliEnv) => {
    emulator = e;
    env = cliEnv;
  });

  test("piped: stdin copied to the shell, its output to stdout, the exit status propagated (exit 3)", async () => {
    const r = await cli(["shell"], { env, stdin: "printf 'pi''ped-%s\\n' 7\nexit 3\n" });
    expect(r.stdout).toContain("piped-7");
    expect(r.code).toBe(3);
    // the ids are on stderr, so a reattach is possible
    expect(r.stderr).toMatch(/agentcore: shell \S+ in session \S+/);
  });

  test("(was a defect) piped: 10 MiB of stdin reaches the shell whole (before: 320 frames at once, closed with 1008 by the frame rate)", async () => {
    const size = 10 * 1024 * 1024;
    let data = "";
    const line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n"; // 64 bytes
    while (data.length < size) data += line.repeat(1024);
    data = data.slice(0, size);
    const r = await cli(["shell"], { env, stdin: `stty -echo; head -c ${size} | sha256sum; exit 0\n${data}` });
    expect(r.stderr).not.toMatch(/1008|frame rate/i);
    expect(r.stdout).toContain(createHash("sha256").update(data).digest("hex"));
    expect(r.code).toBe(0);
  }, 60_000);

  test("piped: the end of stdin ends the shell; a killed shell exits 128+9", async () => {
    const eof = await cli(["shell"], { env, stdin: "true\n" });
    expect(eof.code).toBe(0);
    const killed = await cli(["shell"], { env, stdin: "kill -9 $$\n" });
    expect(killed.code).toBe(137);
  });

  test("on a pty: raw keystrokes, the initial window size, SIGWINCH → RESIZE, exit status", async () => {
    // the pty starts at 100×40; two seconds in, it becomes 120×50 (the kernel signals SIGWINCH)
    const pty = underPty(`stty cols 100 rows 40; (sleep 2; stty cols 120 rows 50 <&1; kill -WINCH $$) & exec node ${BIN} shell --session-id ${session()}`, env);
    await waitFor(() => pty.output().includes("Ctrl+] detaches"), 15_000);
    pty.type("stty size\r");
    await waitFor(() => pty.output().includes("40 100"), 15_000);
    await waitFor(
      () => {
        if (!pty.output().includes("50 120")) pty.type("stty size\r");
        return pty.output().includes("50 120");
      },
      15_000,
    );
    pty.type("exit 5\r");
    expect(await pty.done).toBe(5);
  });

  test("on a pty: Ctrl+] detaches (the shell keeps running), the same --shell-id reattaches and replays", async () => {
    const sessionId = session();
    const first = underPty(`node ${BIN} shell --session-id ${sessionId} --shell-id cli-detach-1`, env);
    await waitFor(() => first.output().includes("Ctrl+] detaches"), 15_000);
    first.type("echo be''fore-detach; sleep 1; echo whi''le-away\r");
    await waitFor(() => first.output().includes("before-detach"), 15_000);
    first.type("\x1d");
    expect(await first.done).toBe(0);
    expect(first.output()).toContain(`agentcore shell --session-id ${sessionId} --shell-id cli-detach-1`);
    await new Promise((r) => setTimeout(r, 1500));
    const again = await cli(["shell", "--session-id", sessionId, "--shell-id", "cli-detach-1"], { env, stdin: "exit 6\n" });
    expect(again.stderr).toContain("reattached");
    expect(again.stdout).toContain("before-detach");
    expect(again.stdout).toContain("while-away");
    expect(again.code).toBe(6);
    expect(emulator.sessionIds()).toContain(sessionId);
  });

  test("usage errors: a bad --shell-id, an argument", async () => {
    const bad = await cli(["shell", "--shell-id", "-x"], { env });
    expect(bad.code).toBe(2);
    const bad2 = await cli(["shell", "--shell-id=_bad"], { env });
    expect(bad2.code).toBe(2);
    expect(bad2.stderr).toContain("--shell-id");
    const extra = await cli(["shell", "ls"], { env });
    expect(extra.code).toBe(2);
  });
});

describe("agentcore ws", () => {
  let env: NodeJS.ProcessEnv;
  useEmulator((_e, cliEnv) => (env = cliEnv));

  test("stdin lines are sent as messages; received messages are printed (as JSON lines with --json)", async () => {
    const plain = await cli(["ws", "--idle-timeout-ms", "500"], { env, stdin: "hello\nworld\n" });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('{"echo":"hello"}\n{"echo":"world"}\n');
    const json = await cli(["ws", "--json", "--idle-timeout-ms", "500"], { env, stdin: "one\n" });
    expect(json.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([{ type: "text", data: '{"echo":"one"}' }]);
  });

  test("an abnormal close is an error line and exit 1; a refused upgrade is the typed error", async () => {
    const closed = await cli(["ws", "-H", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault: close; closeCode=1011; afterEvents=0"], { env, stdin: "x\n" });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/agentcore: WebSocketClosedError: .*1011/);
    const refused = await cli(["ws"], { env: { ...env, AGENTCORE_TOKEN: "not.a.jwt" }, stdin: "x\n" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("agentcore: UnauthorizedException");
    expect(refused.stderr).not.toContain("not.a.jwt");
  });
});
