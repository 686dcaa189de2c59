/**
 * The CLI as an install lays it out, not as the workspace does: the client package beside the CLI (a global install
 * from tarballs, a project that also depends on the client), with `ws` only in the CLI's own node_modules. The
 * client loaded `ws` from its own folder, so `ws` and `shell` failed with "No WebSocket implementation" although
 * the CLI depends on `ws`; the CLI now hands the client its own `ws`.
 *
 * The layout is built in a temporary folder outside the repository: copies of the built packages (a symlink would
 * resolve back into the workspace, whose root node_modules has `ws`), and links to the CLI's other dependencies.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Emulator } from "@agentcore-runtime/emulator";
import { useEmulator, type CliResult } from "./helpers";
import { scriptInstalled } from "../../client/test/helpers/script";

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, "../../..");
let dir: string;
let bin: string;

/** Copies a package's manifest and dist/ to node_modules/<name> under `dir`. */
function copyPackage(from: string, name: string): string {
  const to = path.join(dir, "node_modules", name);
  fs.mkdirSync(to, { recursive: true });
  fs.copyFileSync(path.join(from, "package.json"), path.join(to, "package.json"));
  fs.cpSync(path.join(from, "dist"), path.join(to, "dist"), { recursive: true });
  return to;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-layout-"));
  copyPackage(path.join(ROOT, "packages/client"), "@agentcore-runtime/client");
  const cliDir = copyPackage(path.join(ROOT, "packages/cli"), "@agentcore-runtime/cli");
  // `ws` only where npm puts a dependency it could not hoist: inside the CLI
  fs.mkdirSync(path.join(cliDir, "node_modules"));
  fs.symlinkSync(path.join(ROOT, "node_modules/ws"), path.join(cliDir, "node_modules/ws"), "dir");
  fs.mkdirSync(path.join(dir, "node_modules/@aws-sdk"), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules/@aws-sdk/credential-providers"), path.join(dir, "node_modules/@aws-sdk/credential-providers"), "dir");
  bin = path.join(cliDir, "dist/bin.js");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { env, cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, stdoutChunks: [], elapsed: Date.now() - started })));
}

describe("the client beside the CLI, `ws` inside the CLI only", () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  useEmulator((e, cliEnv) => {
    emulator = e;
    env = cliEnv;
  });

  test("the layout is what it claims: the client cannot resolve `ws`, the CLI can", () => {
    // in a plain node, not through jest's resolver
    const resolves = (from: string) =>
      spawnSync(process.execPath, ["-e", `try { require.resolve("ws", { paths: [${JSON.stringify(from)}] }); console.log("yes") } catch { console.log("no") }`], { encoding: "utf8" }).stdout.trim();
    expect(resolves(path.join(dir, "node_modules/@agentcore-runtime/client/dist"))).toBe("no");
    expect(resolves(path.dirname(bin))).toBe("yes");
  });

  test("invoke works (no WebSocket involved)", async () => {
    const r = await run(["invoke", '{"prompt":"layout"}'], env, "");
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toContain("layout");
    expect(r.code).toBe(0);
  });

  test("ws sends a line and prints the agent's reply (it failed: No WebSocket implementation)", async () => {
    const r = await run(["ws"], env, "hello layout\n");
    expect(r.stderr).not.toMatch(/No WebSocket implementation/);
    expect(r.stdout).toContain("hello layout");
    expect(r.code).toBe(0);
    expect(emulator.runtimeArn).toBeTruthy();
  });

  (scriptInstalled("cli.install-layouts.test") ? test : test.skip)("shell runs a command and passes its exit status through", async () => {
    const r = await run(["shell"], env, "printf 'lay''out-%s\\n' 7\nexit 4\n");
    expect(r.stderr).not.toMatch(/No WebSocket implementation/);
    expect(r.stdout).toContain("layout-7");
    expect(r.code).toBe(4);
  });
});
