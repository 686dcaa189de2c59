import type { ReadStream, WriteStream } from "node:tty";
import { openShell, type ShellExit, type ShellSession } from "@agentcore-runtime/client";
import type { ShellArgs } from "../args";
import type { CommandContext } from "../context";
import { EXIT } from "../errors";
import { ownWs } from "../wsPackage";

/** Ctrl+] (GS), as telnet and `docker attach` use it: detaches instead of reaching the remote shell. */
const DETACH_KEY = 0x1d;
/** Ctrl+D: sent when a piped stdin ends, so the remote bash sees end of input at its prompt and exits. */
const EOT = new Uint8Array([0x04]);
const QUIET_BEFORE_EOT_MS = 300;

/** The remote exit as this process's status: the shell's own code (128 + n for a signal), within 0–255. */
function statusOf(exit: ShellExit): number {
  return Number.isInteger(exit.exitCode) && exit.exitCode >= 0 && exit.exitCode <= 255 ? exit.exitCode : EXIT.error;
}

/**
 * `agentcore shell`: an interactive shell in the runtime session. On a terminal: raw mode, the window size
 * follows SIGWINCH, Ctrl+] detaches (the shell keeps running; the same --session-id and --shell-id reattach).
 * Without a terminal stdin and stdout are copied, so a script can pipe commands in.
 */
export async function shell(args: ShellArgs, ctx: CommandContext): Promise<number> {
  const stdin = ctx.stdin as ReadStream;
  const stdout = ctx.stdout as WriteStream;
  const tty = stdin.isTTY === true && typeof stdin.setRawMode === "function";
  const size = stdout.isTTY && stdout.columns > 0 && stdout.rows > 0 ? { cols: Math.min(stdout.columns, 1000), rows: Math.min(stdout.rows, 1000) } : {};
  const session: ShellSession = await openShell(ctx.client, { ...ctx.target, ...(args.shellId !== undefined ? { shellId: args.shellId } : {}), ...size }, { signal: ctx.signal, connection: ctx.connection, ws: await ownWs() });
  const reattach = `agentcore shell --session-id ${session.sessionId} --shell-id ${session.shellId}`;
  // on stderr, so piped output stays the shell's own
  await ctx.messages.line(`agentcore: shell ${session.shellId} in session ${session.sessionId}${tty ? " (Ctrl+] detaches)" : ""}`);
  if (session.reconnected) await ctx.messages.line(`agentcore: reattached to shell ${session.shellId}; its recent output follows`);

  let detached = false;
  // the command is done: stdin is not resumed any more
  let ended = false;
  let lastOutput = Date.now();
  const cleanups: (() => void)[] = [];
  const copyOut = (async () => {
    for await (const chunk of session.output) {
      lastOutput = Date.now();
      await ctx.out.write(chunk);
    }
  })();
  const copyErr = (async () => {
    for await (const chunk of session.stderr) await ctx.err.write(chunk);
  })();
  // failures surface through `exit`; these only copy
  copyOut.catch(() => undefined);
  copyErr.catch(() => undefined);

  const detach = async () => {
    if (detached) return;
    detached = true;
    await session.detach();
  };
  if (tty) {
    stdin.setRawMode(true);
    cleanups.push(() => stdin.setRawMode(false));
    const onResize = () => {
      if (stdout.columns > 0 && stdout.rows > 0) session.resize(Math.min(stdout.columns, 1000), Math.min(stdout.rows, 1000));
    };
    stdout.on("resize", onResize);
    cleanups.push(() => stdout.off("resize", onResize));
  }
  const onData = (chunk: Buffer) => {
    if (detached) return;
    const at = tty ? chunk.indexOf(DETACH_KEY) : -1;
    try {
      if (at >= 0) {
        if (at > 0) session.write(chunk.subarray(0, at));
        void detach();
      } else if (!session.write(chunk) && !tty) {
        // 1 MiB of piped input waits for the service's frame rate: read no more until it went out (a file of any
        // size). Not on a terminal: keystrokes (Ctrl+] among them) are read whatever waits
        stdin.pause();
        void session.drain().then(() => {
          if (!detached && !ended) stdin.resume();
        });
      }
    } catch {
      // the shell ended: `exit` says how
    }
  };
  // Ctrl+D once the shell has been quiet for a moment (and again each quiet second until it ends): sent while
  // bash is still starting, a pty's line discipline may take it before readline reads, and it would be lost
  let eotTimer: NodeJS.Timeout | undefined;
  const onEnd = () => {
    const sendWhenQuiet = () => {
      if (detached) return;
      const quiet = Date.now() - lastOutput;
      if (quiet < QUIET_BEFORE_EOT_MS) {
        eotTimer = setTimeout(sendWhenQuiet, QUIET_BEFORE_EOT_MS - quiet);
        return;
      }
      try {
        session.write(EOT);
      } catch {
        return; // ended
      }
      // under load an EOT can still land before bash reads: while the shell lives, again after a quiet second
      eotTimer = setTimeout(sendWhenQuiet, 1000);
    };
    sendWhenQuiet();
  };
  cleanups.push(() => clearTimeout(eotTimer));
  stdin.on("data", onData);
  stdin.once("end", onEnd);
  cleanups.push(() => {
    ended = true;
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
  });
  stdin.resume();

  try {
    const exit = await session.exit;
    await copyOut;
    await copyErr;
    return statusOf(exit);
  } catch (e) {
    if (!detached) throw e;
    await copyOut;
    await ctx.out.finishLine();
    await ctx.messages.line(`agentcore: detached; shell ${session.shellId} keeps running. Reattach with: ${reattach}`);
    return EXIT.ok;
  } finally {
    for (const fn of cleanups.splice(0)) fn();
  }
}
