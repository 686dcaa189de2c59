import { readFile, readdir } from "node:fs/promises";

/**
 * The environment variable that marks processes started by `--exec` commands. Its value is
 * `<emulator run>.<session>.<command>` (UUIDs), so one prefix matches a command, a session or a whole emulator.
 */
export const RUN_MARKER = "AGENTCORE_EMULATOR_RUN";

const NUL = 0;

/** True when one `NAME=value` entry of a NUL-separated environment block starts with `needle`. */
function hasEntry(environ: Buffer, needle: Buffer): boolean {
  for (let at = environ.indexOf(needle); at >= 0; at = environ.indexOf(needle, at + 1)) {
    if (at === 0 || environ[at - 1] === NUL) return true;
  }
  return false;
}

/**
 * Kills (SIGKILL) every process whose environment has `AGENTCORE_EMULATOR_RUN=<prefix>…`, found by reading
 * `/proc/<pid>/environ`: this reaches processes that left the command's process group (`setsid`, daemons).
 * Scans again while it finds something, so a child forked during a scan is caught by the next one. Linux only:
 * without `/proc` it does nothing; unreadable entries (other users' processes, races with exits) are skipped.
 */
export async function killMarked(prefix: string): Promise<number> {
  const needle = Buffer.from(`${RUN_MARKER}=${prefix}`);
  let killed = 0;
  for (let round = 0; round < 5; round++) {
    let names: string[];
    try {
      names = await readdir("/proc");
    } catch {
      return killed;
    }
    let found = 0;
    await Promise.all(
      names.map(async (name) => {
        if (!/^\d+$/.test(name) || Number(name) === process.pid) return;
        let environ: Buffer;
        try {
          environ = await readFile(`/proc/${name}/environ`);
        } catch {
          return;
        }
        if (!hasEntry(environ, needle)) return;
        try {
          process.kill(Number(name), "SIGKILL");
          found++;
        } catch {
          // Gone already, or not ours to kill.
        }
      }),
    );
    killed += found;
    if (found === 0) break;
  }
  return killed;
}
