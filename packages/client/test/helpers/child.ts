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
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", script], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const kill = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("close", (status) => {
      clearTimeout(kill);
      resolve({ status, stdout, stderr });
    });
  });
}
