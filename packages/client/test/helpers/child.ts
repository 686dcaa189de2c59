import { spawn } from "node:child_process";
import path from "node:path";

/** The repository root: a child started here resolves `@agentcore-runtime/client` by name, to its dist/. */
export const REPO_ROOT = path.resolve(__dirname, "../../../..");

/**
 * Runs `node -e script` from the repository root without blocking this process (which may be serving the
 * child's calls). `env` entries override this process's environment; an `undefined` one removes the variable.
 * A child still running after `timeoutMs` is killed, so a child that cannot exit shows as a non-zero status.
 */
export function runNodeScript(script: string, options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runProgram(process.execPath, ["-e", script], options);
}

/** Runs `command args` from the repository root, as runNodeScript runs node (another runtime: Deno, Bun). */
export function runProgram(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const kill = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(kill);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The last line a script printed, parsed as JSON; undefined when it is not JSON. */
export function lastJsonLine(stdout: string): any {
  try {
    return JSON.parse(stdout.trim().split("\n").pop() ?? "");
  } catch {
    return undefined;
  }
}
