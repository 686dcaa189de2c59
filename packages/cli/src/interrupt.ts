import { EXIT } from "./errors";

export interface Interrupts {
  /** Aborted by Ctrl-C, SIGTERM, SIGHUP (the terminal went away) or a broken stdout; passed to every request. */
  signal: AbortSignal;
  /** The exit status the interruption calls for, or undefined when nothing interrupted the run. */
  exitCode(): number | undefined;
  /** Aborts for a reason other than a signal (a broken pipe). */
  abort(exitCode: number): void;
  dispose(): void;
}

/** Grace period after Ctrl-C for the aborted request to unwind before the CLI exits regardless. */
const FORCE_EXIT_MS = 2000;

/**
 * Ctrl-C, SIGTERM or SIGHUP aborts the request in flight (closing the connection ends the stream on the server too),
 * then the CLI exits 128+signal as a shell expects, after the command's own clean-up (a shell puts the terminal
 * back out of raw mode). A second signal exits at once.
 */
export function installInterrupts(exit: (code: number) => void): Interrupts {
  const controller = new AbortController();
  let code: number | undefined;
  const abort = (exitCode: number) => {
    if (code !== undefined) return;
    code = exitCode;
    controller.abort();
  };
  const onSignal = (exitCode: number) => () => {
    if (code !== undefined) return exit(code);
    abort(exitCode);
    setTimeout(() => exit(exitCode), FORCE_EXIT_MS).unref();
  };
  const onInt = onSignal(EXIT.sigint);
  const onTerm = onSignal(EXIT.sigterm);
  const onHup = onSignal(EXIT.sighup);
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onHup);
  return {
    signal: controller.signal,
    exitCode: () => code,
    abort,
    dispose: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
    },
  };
}
