import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

export const BIN = join(__dirname, "../dist/bin.js");

export function requireBuild(): void {
  if (!existsSync(BIN)) throw new Error("packages/cli/dist/bin.js is missing: run `npx tsup` first");
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When each stdout chunk arrived, relative to the spawn. */
  stdoutChunks: { at: number; text: string }[];
  /** Milliseconds from spawn to exit. */
  elapsed: number;
}

export interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** A clean environment: nothing from the test runner's own (a stray BEDROCK_AGENTCORE_DP_ENDPOINT, say) leaks in. */
export function envFor(emulator: Emulator, token: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AGENT_ARN: emulator.runtimeArn,
    AGENTCORE_TOKEN: token,
    BEDROCK_AGENTCORE_DP_ENDPOINT: emulator.url,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Spawns the built bin asynchronously: the emulator lives in this process, so a sync spawn would deadlock. */
export function start(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: string; keepStdinOpen?: boolean }): Running {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const stdoutChunks: CliResult["stdoutChunks"] = [];
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (text: string) => {
    stdout += text;
    stdoutChunks.push({ at: Date.now() - started, text });
  });
  child.stderr.on("data", (text: string) => (stderr += text));
  if (options.stdin !== undefined) child.stdin.end(options.stdin);
  else if (!options.keepStdinOpen) child.stdin.end();
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, stdoutChunks, elapsed: Date.now() - started }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function cli(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: string }): Promise<CliResult> {
  return start(args, options).done;
}

export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for the running CLI to print something on stdout; fails at once, with its stderr, if it exits first. */
export async function waitForStdout(run: Running, timeoutMs = 15_000): Promise<void> {
  let exited = false;
  void run.done.then(() => (exited = true));
  await waitFor(() => run.stdout().length > 0 || exited, timeoutMs);
  if (!run.stdout()) throw new Error(`the CLI exited before printing anything: ${run.stderr()}`);
}

/** Starts an exec-enabled emulator before the file's tests (closed after them) and hands it and a CLI env to `ready`. */
export function useEmulator(ready: (emulator: Emulator, env: NodeJS.ProcessEnv) => void): void {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    requireBuild();
    emulator = await startEmulator({ port: 0, exec: true });
    ready(emulator, envFor(emulator, await emulator.issueToken()));
  });
  afterAll(() => emulator?.close());
}
