// The smallest socket the real-time features need, over either WebSocket implementation: the `ws` package
// (Node: request headers, and the HTTP response of a refused upgrade) or the platform's WHATWG WebSocket
// (browsers, Node ≥ 22, Deno, Bun: subprotocols only, and a refused upgrade is an opaque error).

/** One received message: text frames as strings, binary frames as bytes. */
export type SocketMessage = string | Uint8Array;

export interface RawSocket {
  /** The subprotocol the server selected ("" for none). */
  readonly protocol: string;
  /** Bytes queued for sending but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Open: neither side has started to close (a send now reaches the peer, unless the network fails). */
  readonly open: boolean;
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Drops the connection without a handshake (where the platform allows; else a plain close). */
  terminate(): void;
  /** Sends a WebSocket ping (`ws` only: the platform WebSocket cannot). */
  ping?(): void;
  /** Stops reading from the network (`ws` only): received messages pile up in the kernel, not in memory. */
  pause?(): void;
  resume?(): void;
}

export interface SocketEvents {
  message(data: SocketMessage): void;
  /**
   * The client found the peer's frames at fault (`ws` only: a message over its size limit, invalid UTF-8, a
   * protocol error) and is closing with `code`, which then says how the connection ended: the close that follows
   * reports 1006, as if the network had dropped it.
   */
  fault(code: number, reason: string): void;
  close(code: number, reason: string): void;
  /** The peer answered a ping (`ws` only). */
  pong?(): void;
}

export interface OpenRequest {
  url: string;
  /** Sent where the implementation can (`ws`); the platform WebSocket cannot send headers. */
  headers: Record<string, string>;
  protocols: string[];
  /** Milliseconds for the opening handshake (`ws` only). */
  handshakeTimeout?: number | undefined;
  events: SocketEvents;
}

/** Why an upgrade did not open; mapped to the SDK's typed errors by the caller. */
export type OpenFailure =
  | { kind: "response"; statusCode: number; reason?: string; headers: Record<string, string>; body: Uint8Array }
  | { kind: "network"; error: unknown }
  | { kind: "timeout" }
  /** The platform WebSocket tells nothing: a refused token, an unknown runtime and a network failure look alike. */
  | { kind: "opaque"; code?: number };

export interface OpenedSocket {
  socket: RawSocket;
  /** The 101 response's headers (lower-case names), where the implementation exposes them (`ws`). */
  responseHeaders?: Record<string, string> | undefined;
}

/** Opens a socket; rejects with an `OpenFailure`. `cancel()` of the returned handle drops a pending upgrade. */
export interface SocketFactory {
  /** `true` when the factory sends headers (so the token need not travel as a subprotocol). */
  readonly sendsHeaders: boolean;
  open(request: OpenRequest): { opened: Promise<OpenedSocket>; cancel(): void };
}

/** A WHATWG WebSocket constructor: the platform's, or one the caller passes (`connectWebSocket`'s `WebSocket` option). */
export interface WebSocketConstructorLike {
  new (url: string, protocols?: string | string[]): WhatwgSocket;
}

/** The `ws` package's WebSocket class (`import { WebSocket } from "ws"`), as `connectWebSocket`'s `ws` option takes it. */
export interface WsWebSocketClass {
  /** `ws`'s constructor: `(address, protocols, options)`. */
  new (address: string, ...rest: any[]): unknown;
}

/** What the client uses of a WHATWG WebSocket instance (the browser's, Node 22's, undici's, or a polyfill). */
export interface WhatwgSocket {
  /** Set to `arraybuffer`. */
  binaryType: string;
  /** The subprotocol the server chose. */
  readonly protocol: string;
  /** Bytes queued by `send` and not yet sent. */
  readonly bufferedAmount: number;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readyState: number;
  /** Sends a text or binary message. */
  send(data: string | ArrayBufferView | ArrayBuffer): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** `open`, `message`, `error` and `close` listeners. */
  addEventListener(type: string, listener: (event: any) => void): void;
}

export function isFailure(value: unknown): value is OpenFailure {
  return typeof value === "object" && value !== null && typeof (value as { kind?: unknown }).kind === "string" && !(value instanceof Error);
}

/** A factory over a WHATWG WebSocket: the token can only travel as a subprotocol, the session id in the query. */
export function whatwgFactory(Ctor: WebSocketConstructorLike): SocketFactory {
  return {
    sendsHeaders: false,
    open({ url, protocols, events }) {
      const ws = new Ctor(url, protocols);
      ws.binaryType = "arraybuffer";
      let open = false;
      let settle!: { resolve(v: OpenedSocket): void; reject(e: unknown): void };
      const opened = new Promise<OpenedSocket>((resolve, reject) => (settle = { resolve, reject }));
      const socket: RawSocket = {
        get protocol() {
          return ws.protocol;
        },
        // Cloudflare Workers' WebSocket has no bufferedAmount: read as nothing queued (a shell that waited for its
        // queue to drain below its low-water mark never sent a byte)
        get bufferedAmount() {
          const queued = ws.bufferedAmount;
          return typeof queued === "number" && queued >= 0 ? queued : 0;
        },
        get open() {
          return ws.readyState === 1;
        },
        send: (data) => ws.send(data),
        close: (code, reason) => ws.close(code, reason),
        terminate: () => ws.close(),
      };
      ws.addEventListener("open", () => {
        open = true;
        settle.resolve({ socket });
      });
      ws.addEventListener("error", () => {
        if (!open) settle.reject({ kind: "opaque" } satisfies OpenFailure);
      });
      ws.addEventListener("message", (event: { data: unknown }) => {
        const { data } = event;
        if (typeof data === "string") events.message(data);
        else if (data instanceof ArrayBuffer) events.message(new Uint8Array(data));
        else if (ArrayBuffer.isView(data)) events.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      });
      ws.addEventListener("close", (event: { code: number; reason: string }) => {
        // a connection dropped without a close frame is 1006 (WHATWG); Deno's WebSocket reports 0, which read as
        // an unknown code that no retry rule and no shell reconnect knew
        const code = Number.isInteger(event.code) && event.code >= 1000 && event.code <= 4999 ? event.code : 1006;
        if (!open) settle.reject({ kind: "opaque", code } satisfies OpenFailure);
        else events.close(code, event.reason ?? "");
      });
      return {
        opened,
        cancel: () => {
          try {
            ws.close();
          } catch {
            // already closing
          }
        },
      };
    },
  };
}
