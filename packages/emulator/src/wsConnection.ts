import type { WebSocket } from "ws";
import type { FaultSpec, WebSocketConnection, WebSocketMessage } from "./types";
import { longTimeout, type LongTimeout } from "./timers";

export interface ConnectionLimits {
  /** Most messages from the client per second; one more closes with 1008. */
  maxFramesPerSecond: number;
  /** Longest connection in ms; then 1008. */
  maxConnectionMs: number;
}

/** Messages queued for a consumer before the socket is paused (backpressure instead of memory). */
const QUEUE_HIGH_WATER = 64;
/** Bytes waiting in the socket's send buffer past which the client counts as not reading: 1008. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * One accepted WebSocket with the service's limits (frame rate and connection lifetime: 1008; message size:
 * 1009, by ws's maxPayload) and the connection faults (`close`: a close frame with `closeCode`; `drop`: the socket
 * destroyed without one, so the client sees 1006) applied after `afterEvents` messages sent.
 */
export class WsConnection implements WebSocketConnection {
  private readonly queue: WebSocketMessage[] = [];
  private wake?: () => void;
  private readonly controller = new AbortController();
  private windowStart = Date.now();
  private windowCount = 0;
  private sent = 0;
  private faulted = false;
  private readonly lifetime: LongTimeout;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Called for every frame either way (messages, pings, pongs): /ws restarts its session's idle clock with it. */
  onFrame: () => void = () => undefined;

  constructor(
    readonly ws: WebSocket,
    readonly sessionId: string,
    limits: ConnectionLimits,
    private readonly fault?: FaultSpec,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        this.lifetime.clear();
        this.controller.abort();
        this.wake?.();
        resolve({ code, reason: reason.toString() });
      });
    });
    // ws closes with 1009 itself when a message exceeds maxPayload, and reports it here.
    ws.on("error", () => undefined);
    ws.on("ping", () => this.onFrame());
    ws.on("pong", () => this.onFrame());
    ws.on("message", (data, isBinary) => {
      this.onFrame();
      const now = Date.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.windowCount = 0;
      }
      if (++this.windowCount > limits.maxFramesPerSecond) {
        this.close(1008, `Frame rate exceeded: at most ${limits.maxFramesPerSecond} frames per second`);
        return;
      }
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.queue.push(isBinary ? { type: "binary", data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) } : { type: "text", data: bytes.toString("utf8") });
      if (this.queue.length >= QUEUE_HIGH_WATER) ws.pause();
      this.wake?.();
    });
    this.lifetime = longTimeout(() => this.close(1008, "Connection lifetime exceeded"), limits.maxConnectionMs).unref();
    if (fault && (fault.afterEvents ?? 1) <= 0) setImmediate(() => this.applyFault());
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN && !this.faulted;
  }

  send(data: string | Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(1008, "Write buffer overflow: the client is not reading");
      return Promise.resolve();
    }
    this.sent++;
    this.onFrame();
    const faultNow = this.fault !== undefined && this.sent >= (this.fault.afterEvents ?? 1);
    return new Promise((resolve) => {
      this.ws.send(data, { binary: typeof data !== "string" }, () => {
        if (faultNow) this.applyFault();
        resolve();
      });
      // Messages after the fault's message must not reach the client.
      if (faultNow) this.faulted = true;
    });
  }

  close(code = 1000, reason = ""): void {
    const state = this.ws.readyState;
    if (state === this.ws.CLOSING || state === this.ws.CLOSED) return;
    this.ws.close(code, reason);
  }

  /** Cuts the connection without a close frame (the client sees 1006). */
  terminate(): void {
    this.ws.terminate();
  }

  private applyFault(): void {
    this.faulted = true;
    if (this.fault!.mode === "drop") this.terminate();
    else this.ws.close(this.fault!.closeCode ?? 1011, "Injected fault");
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WebSocketMessage> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        if (this.queue.length < QUEUE_HIGH_WATER / 2 && this.ws.isPaused) this.ws.resume();
        yield next;
        continue;
      }
      if (this.controller.signal.aborted) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Whether the configured fault acts on a WebSocket connection (after the upgrade). */
export function isConnectionFault(fault: FaultSpec | undefined): fault is FaultSpec {
  return fault?.mode === "drop" || fault?.mode === "close";
}
