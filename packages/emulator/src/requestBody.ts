import type { IncomingMessage } from "node:http";

export class BodyTooLarge extends Error {}
export class BodyAborted extends Error {}
/** No body data for the idle timeout: the client stalled mid-upload. */
export class BodyStalled extends Error {}

/**
 * Reads the whole request body, giving up (and reading no further) as soon as it exceeds `limit` bytes, or when
 * no data has come for `idleMs` (a stalled upload would hold its body slot until Node's 300 s request timeout).
 */
export function readBody(req: IncomingMessage, limit: number, idleMs = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.pause();
      return reject(new BodyTooLarge());
    }
    // a request that ended (reset, a parse error) while it waited for its turn: no event will come
    if (req.destroyed || req.readableAborted) return reject(new BodyAborted());
    const chunks: Buffer[] = [];
    let total = 0;
    let idle: NodeJS.Timeout | undefined;
    const watch = () => {
      if (!(idleMs < Infinity)) return;
      if (idle) idle.refresh();
      else
        idle = setTimeout(() => {
          cleanup();
          req.pause();
          reject(new BodyStalled());
        }, idleMs).unref();
    };
    const cleanup = () => {
      clearTimeout(idle);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) {
        cleanup();
        req.pause();
        return reject(new BodyTooLarge());
      }
      chunks.push(chunk);
      watch();
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, total));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new BodyAborted());
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
    watch();
  });
}

/**
 * Counts request bodies being read: a request takes a slot before its body is read and gives it back once the
 * body is in. An invocation's body, which the agent gets, is then charged by its size to a byte budget until the
 * invocation ends (`tryHold`). With every slot taken, or the budget spent, a request is refused instead of read.
 */
export class BodySlots {
  private used = 0;
  private heldBytes = 0;

  constructor(readonly max: number) {}

  /**
   * Charges `bytes` of a body kept past its read (an invocation's payload, kept while the invocation runs) to a
   * budget of `budget` bytes: a release function (idempotent), or undefined when the budget is spent. A body
   * alone is always let through (its own limit bounds it), so a budget of `max` bodies of the largest size keeps
   * the documented worst case while small bodies never throttle long streams.
   */
  tryHold(bytes: number, budget: number): (() => void) | undefined {
    if (this.heldBytes > 0 && this.heldBytes + bytes > budget) return undefined;
    this.heldBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.heldBytes -= bytes;
    };
  }

  /** A release function (idempotent), or undefined when all `max` slots are taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.used >= this.max) return undefined;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }
}
