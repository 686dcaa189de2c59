import type { IncomingMessage } from "node:http";
import type { OpenFailure, OpenedSocket, SocketFactory } from "../realtime/socket";

/** An error response to a refused upgrade is read for its message up to this many bytes. */
const ERROR_BODY_LIMIT = 1024 * 1024;
/**
 * A received message over this many bytes fails the connection with 1009 before it is buffered (`ws`'s own
 * default is 100 MiB). The service's messages are at most 64 KB: this is room for a large custom agent, not more.
 */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The close code `ws` sends when it fails a connection over the peer's frames, by its error code; any other `WS_ERR_` is 1002. */
const FAULT_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

/** The part of the `ws` package's client this SDK uses (no dependency on its types). */
interface WsClient {
  readonly protocol: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string | Uint8Array, options: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  pause?(): void;
  resume?(): void;
  on(event: string, listener: (...args: any[]) => void): void;
  once(event: string, listener: (...args: any[]) => void): void;
  removeAllListeners(event?: string): void;
}
type WsConstructor = new (url: string, protocols: string[], options: Record<string, unknown>) => WsClient;

let loading: Promise<SocketFactory | undefined> | undefined;

/**
 * Node: a factory over the `ws` package (an optional peer dependency), loaded on first use; undefined when it
 * is not installed (then the platform WebSocket of Node ≥ 22 is used). `ws` sends `Authorization` as a header
 * and shows the HTTP response of a refused upgrade, so it becomes the same typed error as an HTTPS call.
 */
export function nodeSocketFactory(): Promise<SocketFactory | undefined> {
  // webpackIgnore: webpack resolves every literal import() when it builds, so a server bundle of an application
  // that never opens a WebSocket failed to build without `ws` installed; this leaves the import to Node at run time
  // (an application that bundles everything passes `ws` in through the `ws` option instead)
  loading ??= import(/* webpackIgnore: true */ "ws").then(
    (mod: any) => {
      const Ws = (mod.WebSocket ?? mod.default?.WebSocket ?? mod.default) as WsConstructor | undefined;
      return typeof Ws === "function" ? wsFactory(Ws) : undefined;
    },
    () => {
      loading = undefined;
      return undefined;
    },
  );
  return loading;
}

/**
 * A factory over the `ws` WebSocket class a caller hands in (the `ws` option), or undefined when `Ws` is not one
 * (a WHATWG WebSocket has no ping() or terminate()).
 */
export function wsSocketFactory(Ws: unknown): SocketFactory | undefined {
  const proto = typeof Ws === "function" ? (Ws.prototype as Partial<WsClient> | undefined) : undefined;
  return typeof proto?.ping === "function" && typeof proto.terminate === "function" ? wsFactory(Ws as WsConstructor) : undefined;
}

function wsFactory(Ws: WsConstructor): SocketFactory {
  return {
    sendsHeaders: true,
    open({ url, headers, protocols, handshakeTimeout, events }) {
      const ws = new Ws(url, protocols, {
        headers,
        perMessageDeflate: false,
        followRedirects: false,
        maxPayload: MAX_MESSAGE_BYTES,
        ...(handshakeTimeout !== undefined && handshakeTimeout < 2 ** 31 ? { handshakeTimeout } : {}),
      });
      let settled = false;
      let timedOut = false;
      let responseHeaders: Record<string, string> | undefined;
      let settle!: { resolve(v: OpenedSocket): void; reject(e: OpenFailure): void };
      const opened = new Promise<OpenedSocket>((resolve, reject) => (settle = { resolve, reject }));
      const fail = (failure: OpenFailure) => {
        if (settled) return;
        settled = true;
        settle.reject(failure);
      };
      ws.on("upgrade", (res: IncomingMessage) => (responseHeaders = flatHeaders(res.headers)));
      ws.on("unexpected-response", (req: { destroy(): void }, res: IncomingMessage) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        const done = () => {
          req.destroy();
          const body = new Uint8Array(size);
          let at = 0;
          for (const c of chunks) {
            body.set(c, at);
            at += c.byteLength;
          }
          fail({ kind: "response", statusCode: res.statusCode ?? 0, reason: res.statusMessage, headers: flatHeaders(res.headers), body });
        };
        res.on("data", (chunk: Uint8Array) => {
          if (size >= ERROR_BODY_LIMIT) return;
          const piece = chunk.subarray(0, ERROR_BODY_LIMIT - size);
          chunks.push(piece);
          size += piece.byteLength;
          if (size >= ERROR_BODY_LIMIT) done();
        });
        res.once("end", done);
        res.once("error", done);
        res.once("aborted", done);
      });
      ws.on("error", (error: Error) => {
        if (settled) {
          // after the upgrade `ws` errs only over the peer's frames (and closes with the code that says so) or a
          // failed write (a drop, as its close event says)
          const code = (error as { code?: unknown })?.code;
          if (typeof code === "string" && code.startsWith("WS_ERR_")) {
            const closeCode = FAULT_CODES[code] ?? 1002;
            events.fault(closeCode, closeCode === 1009 ? `a received message is over the client's limit of ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB` : error.message);
          }
          return;
        }
        if (/handshake has timed out/i.test(error?.message ?? "")) timedOut = true;
        fail(timedOut ? { kind: "timeout" } : { kind: "network", error });
      });
      ws.once("open", () => {
        settled = true;
        const socket = {
          get protocol() {
            return ws.protocol;
          },
          get bufferedAmount() {
            return ws.bufferedAmount;
          },
          get open() {
            return ws.readyState === 1;
          },
          send: (data: string | Uint8Array) => ws.send(data, { binary: typeof data !== "string" }),
          close: (code?: number, reason?: string) => ws.close(code, reason),
          terminate: () => ws.terminate(),
          ping: () => ws.ping(),
          pause: typeof ws.pause === "function" ? () => ws.pause!() : undefined,
          resume: typeof ws.resume === "function" ? () => ws.resume!() : undefined,
        };
        settle.resolve({ socket, responseHeaders });
      });
      ws.on("message", (data: Uint8Array | Uint8Array[] | ArrayBuffer, isBinary: boolean) => {
        const bytes = toBytes(data);
        events.message(isBinary ? bytes : new TextDecoder().decode(bytes));
      });
      ws.on("pong", () => events.pong?.());
      ws.once("close", (code: number, reason: Uint8Array) => {
        if (!settled) fail({ kind: "network", error: new Error(`closed during the upgrade (${code})`) });
        else events.close(code, new TextDecoder().decode(reason));
      });
      return {
        opened,
        cancel: () => {
          fail({ kind: "network", error: new Error("cancelled") });
          ws.terminate();
        },
      };
    },
  };
}

function toBytes(data: Uint8Array | Uint8Array[] | ArrayBuffer): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) {
    const out = new Uint8Array(data.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of data) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
  // a Buffer is a Uint8Array; a plain view of the same memory keeps the API platform-neutral
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function flatHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(", ");
  }
  return out;
}
