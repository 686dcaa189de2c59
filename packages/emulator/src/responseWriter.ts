import { corruptCrc, errorFrame, exceptionFrame } from "./eventStream";
import type { Exchange } from "./exchange";
import type { FaultSpec } from "./types";
import { sleep } from "./util";

/** sse: text/event-stream events; eventstream: AWS event-stream frames; raw: pieces of any other body. */
export type BodyKind = "sse" | "eventstream" | "raw";

const encoder = new TextEncoder();

/**
 * Writes a streamed body one event at a time with backpressure, and applies the body faults
 * (drop, stall, drip, corrupt-crc, exception, error-frame) at event boundaries.
 */
export class ResponseWriter {
  private count = 0;
  private dead = false;
  private queue: Promise<void> = Promise.resolve();
  private flushed: Promise<void> = Promise.resolve();
  private dripIndex = 0;
  private readonly cutFault?: FaultSpec;

  constructor(
    private readonly ex: Exchange,
    private readonly kind: BodyKind,
    private readonly fault?: FaultSpec,
  ) {
    const mode = fault?.mode;
    const applies =
      mode === "drop" ||
      mode === "stall" ||
      (mode === "exception" && kind !== "raw") ||
      (mode === "error-frame" && kind === "eventstream");
    this.cutFault = applies ? fault : undefined;
  }

  /** True once nothing more will reach the client. */
  get done(): boolean {
    return this.dead || this.ex.res.destroyed;
  }

  event(bytes: Uint8Array | string): Promise<void> {
    const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
    return this.enqueue(() => this.writeEvent(data));
  }

  end(): Promise<void> {
    return this.enqueue(async () => {
      if (this.done) return;
      // Stopped from outside (the session ended, the emulator is closing, the client left): cut, never ended as if
      // the body were complete.
      if (this.ex.signal.aborted) return this.destroy();
      // A cut fault always takes effect, even when the body had fewer events than afterEvents.
      if (this.cutFault) return this.cut(this.cutFault);
      await this.finish();
      this.dead = true;
    });
  }

  /** Ends the response abruptly (session stopped, emulator closing). */
  destroy(): void {
    this.dead = true;
    this.ex.res.destroy();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async writeEvent(data: Uint8Array): Promise<void> {
    if (this.done) return;
    const after = this.fault?.afterEvents ?? 1;
    if (this.cutFault && this.count >= after) return this.cut(this.cutFault);
    if (this.fault?.mode === "corrupt-crc" && this.kind === "eventstream" && this.count === after) data = corruptCrc(data);
    if (this.fault?.mode === "drip") await this.drip(data, this.fault.delayMs ?? 1);
    else await this.write(data);
    this.count++;
  }

  private async cut(fault: FaultSpec): Promise<void> {
    this.dead = true;
    const res = this.ex.res;
    switch (fault.mode) {
      case "drop":
        // Let what was written reach the socket first, so the client sees the earlier events and then the cut (a
        // socket gone meanwhile never calls the write back).
        await Promise.race([this.flushed, this.ex.closed]);
        res.destroy();
        return;
      case "stall":
        // Hold the connection open, sending nothing, until the client leaves or the emulator closes.
        await this.ex.closed;
        return;
      case "exception":
        if (this.kind === "eventstream") {
          await this.write(exceptionFrame(fault.type ?? "throttlingException", fault.message ?? "Rate exceeded"));
        } else {
          const error = { error: fault.message ?? "Injected fault", error_type: fault.type ?? "RuntimeError", message: "An error occurred during streaming" };
          await this.write(encoder.encode(`data: ${JSON.stringify(error)}\n\n`));
        }
        break;
      case "error-frame":
        await this.write(errorFrame(fault.code ?? "InternalFailure", fault.message ?? "Injected error"));
        break;
    }
    await this.finish();
    // The stream is over for the client; whatever produced it should stop.
    this.ex.abort();
  }

  /** Ends the response; a socket destroyed meanwhile never emits 'finish', so closing counts too. */
  private finish(): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => this.ex.res.end(resolve)), this.ex.closed]);
  }

  private async drip(data: Uint8Array, delayMs: number): Promise<void> {
    for (let offset = 0; offset < data.byteLength && !this.ex.res.destroyed; ) {
      // 1..7 bytes per write, cycling, so pieces cut frames, events and UTF-8 characters at every offset.
      const size = (this.dripIndex++ % 7) + 1;
      await this.write(data.subarray(offset, offset + size));
      offset += size;
      await sleep(delayMs, this.ex.signal);
    }
  }

  /** Resolves when the data is accepted (after `drain` when the socket buffer is full) or the response is gone. */
  private write(data: Uint8Array): Promise<void> {
    const res = this.ex.res;
    if (res.destroyed || res.writableEnded) return Promise.resolve();
    // A plain promise per write: racing ex.closed here would add a reaction to that promise per write, kept until the
    // response ends (hundreds of bytes per event on a long stream); only cut() waits for it, raced there once.
    let flushed!: () => void;
    this.flushed = new Promise<void>((resolve) => (flushed = resolve));
    if (res.write(data, () => flushed())) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  }
}
