/** What a spinner draws on: stderr, or a fake one in tests. */
export interface SpinnerStream {
  isTTY?: boolean;
  write(chunk: string): unknown;
}

/** Shown while a call waits for its first byte; `stop` is called before anything else is written. */
export interface Waiting {
  start(): void;
  stop(): void;
}

export const NO_SPINNER: Waiting = { start() {}, stop() {} };

export const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Back to the start of the line and erase it: the spinner leaves nothing behind. */
export const CLEAR = "\r\x1b[K";

/**
 * Only for a person watching: stderr must be a terminal, and NO_COLOR (any non-empty value, no-color.org),
 * TERM=dumb or logging (whose lines the frames would garble) turn it off.
 */
export function wantSpinner(stream: SpinnerStream, env: NodeJS.ProcessEnv, logging: boolean): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb" && !logging;
}

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  setInterval(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SpinnerOptions {
  text?: string;
  /** Nothing is drawn for a reply faster than this, so quick calls do not flicker. */
  delayMs?: number;
  intervalMs?: number;
  timers?: Timers;
}

/** A one-line spinner redrawn in place with `\r`; `stop` erases it. Its timers never keep the process alive. */
export class Spinner implements Waiting {
  private handle: unknown;
  private frame = 0;
  private drawn = false;
  private running = false;
  private readonly text: string;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private readonly timers: Timers;

  constructor(
    private readonly stream: SpinnerStream,
    options: SpinnerOptions = {},
  ) {
    this.text = options.text ?? "waiting for the agent…";
    this.delayMs = options.delayMs ?? 250;
    this.intervalMs = options.intervalMs ?? 100;
    this.timers = options.timers ?? realTimers;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.handle = this.timers.setTimeout(() => {
      if (!this.running) return;
      this.draw();
      this.handle = this.timers.setInterval(() => this.draw(), this.intervalMs);
    }, this.delayMs);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.timers.clear(this.handle);
    if (this.drawn) {
      this.drawn = false;
      this.stream.write(CLEAR);
    }
  }

  private draw(): void {
    if (!this.running) return;
    this.drawn = true;
    this.stream.write(`\r${FRAMES[this.frame++ % FRAMES.length]} ${this.text}`);
  }
}
