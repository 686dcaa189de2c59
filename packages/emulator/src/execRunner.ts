import { spawn } from "node:child_process";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";
import type { OutputStream, RunRequest, RunResult } from "./runner";

/** Kills a whole process group; it may already be gone. */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left to kill.
  }
}

/**
 * Runs `bash -c <command>` for real: no stdin, its own process group (so a timeout kills its children too),
 * output streamed as it comes and decoded so no UTF-8 character is split between events.
 */
export function execRunner(req: RunRequest): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", req.command], {
      cwd: req.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let timedOut = false;
    let killed = false;
    let settled = false;
    const pending = new Set<Promise<void>>();
    let graceTimer: NodeJS.Timeout | undefined;

    const kill = () => {
      killed = true;
      killGroup(child.pid);
      // A process that left the group may still hold the pipes; stop waiting for them shortly after.
      graceTimer ??= setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 200);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, req.timeoutSeconds * 1000);
    const onAbort = () => kill();
    req.signal.addEventListener("abort", onAbort, { once: true });
    if (req.signal.aborted) kill();

    const pipe = (stream: Readable, name: OutputStream) => {
      const decoder = new StringDecoder("utf8");
      const forward = (text: string) => {
        if (!text) return;
        // Pause the pipe until the output is written: the child blocks instead of the emulator buffering.
        stream.pause();
        const done = req
          .onOutput(name, text)
          .catch(() => undefined)
          .finally(() => {
            pending.delete(done);
            if (!stream.destroyed) stream.resume();
          });
        pending.add(done);
      };
      stream.on("data", (chunk: Buffer) => forward(decoder.write(chunk)));
      stream.on("end", () => forward(decoder.end()));
    };
    pipe(child.stdout!, "stdout");
    pipe(child.stderr!, "stderr");

    const finish = async (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      req.signal.removeEventListener("abort", onAbort);
      // Leftover background processes of this command do not outlive it.
      killGroup(child.pid);
      while (pending.size) await Promise.all([...pending]);
      if (settled) return;
      settled = true;
      if (timedOut) return resolve({ exitCode: -1, status: "TIMED_OUT" });
      if (killed) return resolve({ exitCode: -1, status: "COMPLETED" });
      const exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1);
      resolve({ exitCode, status: "COMPLETED" });
    };
    child.on("close", (code, signal) => void finish(code, signal));
    child.on("error", (err) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      req.signal.removeEventListener("abort", onAbort);
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}
