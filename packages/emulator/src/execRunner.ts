import { spawn } from "node:child_process";
import { constants } from "node:os";
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";
import { commandEnv } from "./execEnv";
import { RUN_MARKER, killMarked } from "./procSweep";
import { longTimeout, type LongTimeout } from "./timers";
import type { OutputStream, RunRequest, RunResult } from "./runner";

/**
 * After bash exits, how long the pipes may stay silent before they are closed. Its process group is killed at
 * exit, so the pipes normally reach their end at once; a process that left the group may still hold them open.
 */
export const PIPE_GRACE_MS = 150;

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
 *
 * The command ends when bash exits, not when its pipes close: a background job (`sleep 100 &`) inherits
 * stdout and stderr, and waiting for every holder to let go would tie the command to the job. At exit the
 * process group is killed, output already written is still delivered, and pipes that stay silent for
 * PIPE_GRACE_MS afterwards are closed. Processes that left the group (`setsid`) are found by the marker in
 * their environment (`processTag`) and killed too.
 */
export function execRunner(req: RunRequest): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", req.command], {
      cwd: req.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // Never the emulator's whole environment: its tokens and keys stay out of commands (execEnv.ts).
      env: { ...(req.env ?? commandEnv(process.env, [])), ...(req.processTag === undefined ? {} : { [RUN_MARKER]: req.processTag }) },
    });
    const pipes = [child.stdout!, child.stderr!];
    let timedOut = false;
    let killed = false;
    let settled = false;
    let result: RunResult | undefined;
    let openPipes = pipes.length;
    let swept = req.processTag === undefined;
    const pending = new Set<Promise<void>>();
    let graceTimer: LongTimeout | undefined;

    const closePipes = () => {
      for (const pipe of pipes) pipe.destroy();
    };
    const kill = () => {
      killed = true;
      killGroup(child.pid);
      // Output no longer matters once the run is aborted; after a timeout, what was written is still sent.
      if (result && req.signal.aborted) closePipes();
    };
    const timer = longTimeout(() => {
      if (result) return closePipes(); // bash is gone; something outside its group keeps writing
      timedOut = true;
      kill();
    }, req.timeoutSeconds * 1000);
    const onAbort = () => kill();
    req.signal.addEventListener("abort", onAbort, { once: true });

    const cleanup = () => {
      timer.clear();
      graceTimer?.clear();
      req.signal.removeEventListener("abort", onAbort);
    };
    const settle = () => {
      if (settled || !result || !swept || openPipes > 0 || pending.size > 0) return;
      settled = true;
      cleanup();
      resolve(result);
    };
    /** After exit: (re)starts the silence clock, which runs only while no output is waiting to be written. */
    const armGrace = () => {
      graceTimer?.clear();
      if (!result || openPipes === 0 || pending.size > 0) return;
      graceTimer = longTimeout(closePipes, PIPE_GRACE_MS);
    };

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
            armGrace();
            settle();
          });
        pending.add(done);
      };
      stream.on("data", (chunk: Buffer) => {
        forward(decoder.write(chunk));
        armGrace();
      });
      stream.on("end", () => forward(decoder.end()));
      stream.on("error", () => undefined);
      stream.on("close", () => {
        openPipes--;
        armGrace();
        settle();
      });
    };
    pipe(child.stdout!, "stdout");
    pipe(child.stderr!, "stderr");

    child.on("exit", (code, signal) => {
      // Leftover background processes of this command do not outlive it: its group, and (by the marker in
      // their environment) those that left the group.
      killGroup(child.pid);
      if (req.processTag !== undefined) {
        void killMarked(req.processTag).finally(() => {
          swept = true;
          settle();
        });
      }
      if (timedOut) result = { exitCode: -1, status: "TIMED_OUT" };
      else if (killed) result = { exitCode: -1, status: "COMPLETED" };
      else result = { exitCode: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1), status: "COMPLETED" };
      if (req.signal.aborted) closePipes();
      armGrace();
      settle();
    });
    child.on("error", (err) => {
      if (settled) return;
      settled = true;
      cleanup();
      closePipes();
      reject(err);
    });
    if (req.signal.aborted) kill();
  });
}
