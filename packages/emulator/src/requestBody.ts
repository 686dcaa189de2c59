import type { IncomingMessage } from "node:http";

export class BodyTooLarge extends Error {}
export class BodyAborted extends Error {}

/** Reads the whole request body, giving up (and reading no further) as soon as it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.pause();
      return reject(new BodyTooLarge());
    }
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
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
  });
}

/**
 * Counts request bodies held in memory: a request takes a slot before its body is read and gives it back once
 * the body is no longer needed (commands and stop: once parsed; invocations: when the invocation ends, since
 * the agent gets the body). With every slot taken, a request is refused instead of read.
 */
export class BodySlots {
  private used = 0;

  constructor(readonly max: number) {}

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
