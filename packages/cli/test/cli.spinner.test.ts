import { spawn, spawnSync } from "node:child_process";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { shellJoin } from "../src/shellQuote";
import { CLEAR, FRAMES } from "../src/spinner";
import { BIN, cli, envFor, requireBuild } from "./helpers";

/** An agent that is slow to answer, like a cold start: 2 s before the first byte. */
const SLOW_MS = 2000;
let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  requireBuild();
  emulator = await startEmulator({
    port: 0,
    agent: async (payload: unknown, ctx: { signal: AbortSignal }) => {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, SLOW_MS);
        ctx.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
      });
      return { response: "late reply" };
    },
  });
  env = envFor(emulator, await emulator.issueToken());
});
afterAll(() => emulator?.close());

const SESSION = ["--session", "cli-spinner-session-000000000000000001"];
const SPINNER_TEXT = "waiting for the agent";

/** Runs the bin under a pseudo-terminal (util-linux script), so stdout and stderr are a TTY; resolves with all it printed. */
function underTty(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn("script", ["-qfec", shellJoin([process.execPath, BIN, ...args]), "/dev/null"], {
    env: { ...env, TERM: "xterm", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text: string) => (output += text));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

const haveScript = spawnSync("script", ["--version"]).status === 0;

describe("spinner", () => {
  it("not a terminal: no spinner bytes at all, even while the agent is slow", async () => {
    const r = await cli([...SESSION, "invoke", "hi"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("late reply");
    expect(r.stderr).toBe("");
    expect(r.stdout + r.stderr).not.toMatch(/[\r\u001b\u2800-\u28ff]/);
  });

  (haveScript ? it : it.skip)("on a terminal: frames while waiting, erased before the reply", async () => {
    const r = await underTty([...SESSION, "invoke", "hi"]);
    expect(r.code).toBe(0);
    const reply = r.output.indexOf("late reply");
    expect(reply).toBeGreaterThan(0);
    const firstFrame = r.output.indexOf(`${FRAMES[0]} ${SPINNER_TEXT}`);
    expect(firstFrame).toBeGreaterThanOrEqual(0);
    // erased (back to column 0, line cleared) after the last frame and before the reply; nothing drawn after it
    const lastFrame = r.output.lastIndexOf(SPINNER_TEXT);
    const cleared = r.output.indexOf(CLEAR, lastFrame);
    expect(cleared).toBeGreaterThan(lastFrame);
    expect(cleared).toBeLessThan(reply);
  });

  (haveScript ? it : it.skip)("on a terminal with NO_COLOR: no spinner", async () => {
    const r = await underTty([...SESSION, "invoke", "hi"], { NO_COLOR: "1" });
    expect(r.code).toBe(0);
    expect(r.output).toContain("late reply");
    expect(r.output).not.toContain(SPINNER_TEXT);
    expect(r.output).not.toMatch(/[\u2800-\u28ff]/);
  });

  (haveScript ? it : it.skip)("on a terminal with --debug: no spinner to garble the log records", async () => {
    const r = await underTty([...SESSION, "--debug", "invoke", "hi"]);
    expect(r.code).toBe(0);
    expect(r.output).toContain('"event":"request"');
    expect(r.output).not.toContain(SPINNER_TEXT);
  });
});
