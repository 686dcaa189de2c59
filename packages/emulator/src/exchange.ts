import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { corsHeaders, type CorsPolicy } from "./cors";
import { ERROR_STATUS, ValidationFailure, errorTypeHeader } from "./errors";
import type { RecordedRequest } from "./types";

type HeaderMap = Record<string, string | undefined>;

/** One request/response pair: its id, its record, and a signal that fires when it must stop. */
export class Exchange {
  readonly requestId = randomUUID();
  readonly startedAt = Date.now();
  private readonly controller = new AbortController();
  /** Request headers read once: lower-cased names, a repeated header joined with ", " (the record's copy). */
  readonly headers: Record<string, string>;
  /** Settles when the response is finished or its connection is gone. */
  readonly closed: Promise<void>;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly record: RecordedRequest,
    readonly cors: CorsPolicy,
  ) {
    record.requestId = this.requestId;
    this.headers = record.headers;
    this.closed = new Promise((resolve) => {
      res.once("close", () => {
        // A response that closes before finishing means the client left or the socket was cut.
        if (!res.writableFinished) this.abort();
        resolve();
      });
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    if (!this.controller.signal.aborted) this.controller.abort();
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  writeHead(status: number, headers: HeaderMap = {}): void {
    const all: Record<string, string> = { ...corsHeaders(this.req, this.cors), "x-amzn-RequestId": this.requestId };
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) all[name] = value;
    this.res.writeHead(status, all);
    this.record.status = status;
  }

  send(status: number, body: string | Uint8Array, headers: HeaderMap = {}): void {
    if (this.res.headersSent || this.res.destroyed) return;
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    this.writeHead(status, { ...headers, "Content-Length": String(bytes.byteLength) });
    this.res.end(bytes);
  }

  sendJson(status: number, body: unknown, headers: HeaderMap = {}): void {
    this.send(status, JSON.stringify(body), { "Content-Type": "application/json", ...headers });
  }

  /** A service error exactly as the service shapes it: status, x-amzn-ErrorType, JSON `{"message"}`. */
  sendError(name: string, message: string, opts: { status?: number; headers?: HeaderMap; fields?: object } = {}): void {
    const status = opts.status ?? ERROR_STATUS[name] ?? 500;
    this.sendJson(status, { message, ...opts.fields }, { "x-amzn-ErrorType": errorTypeHeader(name), ...opts.headers });
  }

  sendValidation(failure: ValidationFailure): void {
    this.sendError("ValidationException", failure.message, {
      fields: { reason: failure.reason, fieldList: failure.fieldList },
    });
  }

  /** Cut the connection before any response byte, with a TCP RST where the platform allows. */
  reset(): void {
    const socket = this.req.socket;
    if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
    else socket.destroy();
  }
}
