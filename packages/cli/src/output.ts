import { recordLine, type LogRecord } from "./log";

/**
 * A stdout or stderr that is written as data arrives (no buffering in the CLI) and respects backpressure.
 * A reader that goes away (`agentcore invoke --stream … | head -1`) marks the sink broken instead of crashing.
 */
export class Sink {
  private brokenPipe = false;
  private endsWithNewline = true;
  private wrote = false;
  /** A write error other than the reader going away (EPIPE): a full disk, a closed terminal. */
  failure: NodeJS.ErrnoException | undefined;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly onBrokenPipe: (error: NodeJS.ErrnoException) => void = () => {},
  ) {
    // any write error means nothing more can be delivered; only EPIPE is the reader having gone away
    stream.on("error", (error: NodeJS.ErrnoException) => {
      this.brokenPipe = true;
      if (error?.code !== "EPIPE") this.failure ??= error;
      this.onBrokenPipe(error);
    });
  }

  get broken(): boolean {
    return this.brokenPipe;
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.brokenPipe || chunk.length === 0) return;
    this.wrote = true;
    this.endsWithNewline = typeof chunk === "string" ? chunk.endsWith("\n") : chunk[chunk.length - 1] === 0x0a;
    if (this.stream.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("error", done);
      this.stream.on("close", done);
    });
  }

  /** Ends what was written with a newline, so the shell prompt starts on its own line. */
  async finishLine(): Promise<void> {
    if (this.wrote && !this.endsWithNewline) await this.write("\n");
  }

  /** Resolves once everything written so far has reached the OS, so exiting loses nothing. */
  flush(): Promise<void> {
    if (this.brokenPipe) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        this.stream.write("", () => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Messages for the user on stderr: every line passes through `scrub`, so a secret can never be printed. */
export class Messages {
  constructor(
    private readonly sink: Sink,
    private readonly scrub: (text: string) => string,
  ) {}

  // each on a line of its own, even after output that did not end one (a command's stderr shares this sink)
  async line(text: string): Promise<void> {
    await this.sink.finishLine();
    return this.sink.write(`${this.scrub(text)}\n`);
  }

  /** A structured log record as one JSON line, its strings scrubbed before they are JSON-escaped. */
  async record(record: LogRecord): Promise<void> {
    await this.sink.finishLine();
    return this.sink.write(`${recordLine(record, this.scrub)}\n`);
  }
}
