import { randomUUID } from "node:crypto";
import { type IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { ValidationFailure } from "./errors";
import type { Exchange } from "./exchange";
import { CANONICAL, CUSTOM_HEADER_PREFIX, SESSION_HEADER } from "./headers";
import type { RequestPipeline } from "./pipeline";
import { route, wsRoute } from "./routing";
import type { SessionStore } from "./sessions";
import { SHELL_ID, type ShellRegistry } from "./shells";
import type { WebSocketContext, WebSocketHandler } from "./types";
import { settleWithin } from "./util";
import { type ConnectionLimits, WsConnection, isConnectionFault } from "./wsConnection";

/** The subprotocol browsers offer next to the token-carrying one; the server selects it. */
export const BEARER_PROTOCOL = "base64UrlBearerAuthorization";
export const SHELL_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Shell-Id";

/** A Sec-WebSocket-Key: the base64 of 16 bytes (ws's own test, so ws never refuses a key this accepts). */
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The default agent's `/ws` handler: text as `{"echo": text}`, bytes as bytes, in order. */
export async function echoWebSocket(connection: WsConnection | Parameters<WebSocketHandler>[0]): Promise<void> {
  for await (const message of connection) {
    if (message.type === "text") await connection.send(JSON.stringify({ echo: message.data }));
    else await connection.send(message.data);
  }
}

export interface WebSocketDeps {
  pipeline: RequestPipeline;
  sessions: SessionStore;
  shells: ShellRegistry;
  handler: WebSocketHandler;
  limits: ConnectionLimits;
  maxFrameBytes: number;
}

/**
 * `/runtimes/{arn}/ws` and `/runtimes/{arn}/ws/shells`. An upgrade runs the request pipeline's onRequest and
 * preValidation stages (Host, Origin, handshake headers, runtime, auth, fault, session id), answering a refusal as
 * an HTTP response with the service's status and `x-amzn-ErrorType`, exactly as on the HTTP routes; then the
 * session is acquired (held busy while the socket is open) and ws completes the handshake. A handshake that does
 * not complete gives the session back, and ends it when the upgrade created it.
 */
export class WebSocketEndpoints {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<WsConnection>();
  /**
   * Upgrade sockets not handed to ws (yet): `close()` destroys them, since the server's closeAllConnections does
   * not reach an upgrade's socket (a client waiting on a delayed refusal waited forever).
   */
  private readonly pending = new Set<Duplex>();
  /** Per upgrade in ws's hands: the headers added to its 101, and how a refusal by ws is reported. */
  private readonly handshakes = new WeakMap<IncomingMessage, { headers: string[]; refuse(err: Error): void }>();

  constructor(private readonly deps: WebSocketDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: deps.maxFrameBytes,
      // Of the two subprotocols a browser sends for bearer auth, the server selects the one without the token.
      handleProtocols: (protocols) => (protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false),
    });
    this.wss.on("headers", (headers, req) => headers.push(...(this.handshakes.get(req)?.headers ?? [])));
    // What ws still refuses (a malformed Sec-WebSocket-Protocol) is answered in the service's shape, not ws's text/html.
    this.wss.on("wsClientError", (err, _socket, req) => this.handshakes.get(req)?.refuse(err));
  }

  /** node:http's 'upgrade' listener. */
  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pipeline = this.deps.pipeline;
    socket.on("error", () => undefined);
    if (pipeline.closing) {
      socket.destroy();
      return;
    }
    // Refusals are written by a ServerResponse on the upgrade's socket, so they are the HTTP routes' own.
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.shouldKeepAlive = false;
    // the whole socket goes once the refusal is out: end() alone left it half-open (and close() waiting for it)
    // while a client held its side open
    res.once("finish", () => socket.end(() => socket.destroy()));
    this.pending.add(socket);
    socket.once("close", () => this.pending.delete(socket));
    const ex = pipeline.open(req, res);
    void pipeline.run(ex, this.upgrade(ex, req, socket, head, res)).then(() => {
      // given up without an answer (the emulator closing, the exchange aborted): nothing will ever answer it
      if (this.pending.has(socket) && !res.writableEnded) socket.destroy();
    });
  };

  private async upgrade(ex: Exchange, req: IncomingMessage, socket: Duplex, head: Buffer, res: ServerResponse): Promise<void> {
    const pipeline = this.deps.pipeline;
    const upgrade = ex.headers.upgrade ?? "";
    const websocket = upgrade.toLowerCase() === "websocket";
    const target = wsRoute(req.url ?? "/");
    if (!("unknown" in target)) ex.record.op = target.op;
    if ("unknown" in target && !websocket) {
      // Node (20) hands every request asking to upgrade to this listener, whatever the protocol (curl --http2 asks
      // for h2c on http://), its body left unparsed on the socket: it cannot be answered as the HTTP request it is.
      const r = route(req.method ?? "GET", req.url ?? "/");
      if (r.kind === "op") ex.record.op = r.op;
      if (!pipeline.guard(ex)) return;
      return ex.sendError("ValidationException", `Upgrade: ${upgrade} is not supported; send the request without an Upgrade header`);
    }
    // Host and Origin first, then the route, as on the HTTP routes
    if (!pipeline.guard(ex)) return;
    if ("unknown" in target) return ex.sendError("UnknownOperationException", target.unknown, { status: 404 });
    const { op, segment, query } = target;
    if (req.method !== "GET" || !websocket) {
      return ex.sendError("ValidationException", "A WebSocket route takes a GET with Upgrade: websocket", { status: 400 });
    }
    // ws would refuse these itself, in text/html and only once the session is held.
    if (!WS_KEY.test(ex.headers["sec-websocket-key"] ?? "")) {
      throw ValidationFailure.field("Sec-WebSocket-Key", "Member must be the base64 encoding of 16 bytes");
    }
    if (ex.headers["sec-websocket-version"] !== "13") {
      // RFC 6455 4.4: a refused version is answered with the versions the server speaks.
      res.setHeader("Sec-WebSocket-Version", "13");
      throw ValidationFailure.field("Sec-WebSocket-Version", "Member must be 13");
    }
    const headers = effectiveHeaders(ex.headers, query);
    const checked = await pipeline.preValidation(ex, op, segment, query, headers);
    if (!checked) return;
    let shellId: string | undefined;
    if (op === "shells") {
      shellId = query.get("shellId") ?? undefined;
      if (shellId === undefined || !SHELL_ID.test(shellId)) {
        throw ValidationFailure.field("shellId", `Member must satisfy regular expression pattern: ${SHELL_ID.source}`);
      }
    }
    const sessionId = headers[SESSION_HEADER] ?? randomUUID();
    ex.record.sessionId = sessionId;
    const { sessions, shells } = this.deps;
    // A new session has room for a shell; looking it up, unlike acquiring it, creates none.
    const existing = sessions.get(sessionId);
    if (shellId !== undefined && existing && !shells.hasRoom(existing, shellId)) {
      return ex.sendError(
        "RuntimeClientError",
        `Too many shells in this session: at most ${shells.options.maxShellsPerSession} (detached shells count); close one with 0xFF first`,
      );
    }
    if (socket.destroyed) return;
    // Acquired before ws answers 101, so the session cap is still answered as HTTP (402).
    const session = sessions.acquire(sessionId);
    let held = true;
    const release = () => {
      if (held) sessions.release(session);
      held = false;
    };
    try {
      const extra = [`${CANONICAL[SESSION_HEADER]}: ${sessionId}`, `x-amzn-RequestId: ${ex.requestId}`];
      if (shellId !== undefined) extra.push(`${SHELL_ID_HEADER}: ${shellId}`);
      // The response stays on the socket until ws accepts: a refusal is answered by it, and a socket that closes
      // first closes it, which finishes (records and logs) the exchange.
      const outcome = await new Promise<{ ws?: WebSocket; refused?: Error }>((resolve) => {
        socket.once("close", () => resolve({}));
        this.handshakes.set(req, { headers: extra, refuse: (refused) => resolve({ refused }) });
        this.wss.handleUpgrade(req, socket, head, (ws) => resolve({ ws }));
      });
      const ws = outcome.ws;
      if (!ws) {
        release();
        // Nothing used a session this upgrade created: it goes now rather than idling out, so failed handshakes
        // cannot fill maxSessions.
        if (existing === undefined && session.active === 0) void sessions.end(session);
        if (outcome.refused) ex.sendError("ValidationException", outcome.refused.message);
        return;
      }
      // From here on ws owns the socket.
      this.pending.delete(socket);
      res.detachSocket(socket as never);
      ex.record.status = 101;
      const fault = isConnectionFault(checked.fault) ? checked.fault : undefined;
      const conn = new WsConnection(ws, sessionId, this.deps.limits, fault);
      this.connections.add(conn);
      held = false;
      const untrack = sessions.track(session, () => conn.close(1000, "Session ended"));
      // A shell holds its session busy while connected, as a running command does. A /ws connection does not: as
      // on the service, its frames restart the session's idle clock, and a socket silent for the idle timeout
      // ends the session (and so is closed with it).
      const busy = shellId !== undefined;
      if (!busy) {
        conn.onFrame = () => sessions.touch(session);
        sessions.touch(session);
        sessions.release(session);
      }
      void conn.closed.then(() => {
        this.connections.delete(conn);
        untrack();
        if (busy) sessions.release(session);
        pipeline.finish(ex);
      });
      if (shellId !== undefined) await shells.open(session, shellId, conn);
      else this.runHandler(conn, ex, headers);
    } finally {
      release();
    }
  }

  private runHandler(conn: WsConnection, ex: Exchange, headers: Record<string, string>): void {
    const visible = { ...headers };
    delete visible.authorization;
    delete visible["sec-websocket-protocol"];
    const context: WebSocketContext = { sessionId: conn.sessionId, requestId: ex.requestId, headers: visible, signal: conn.signal };
    let call: Promise<unknown>;
    try {
      call = Promise.resolve(this.deps.handler(conn, context));
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      () => conn.close(1000, ""),
      () => conn.close(1011, "Agent error"),
    );
  }

  /** Emulator closing: every connection gets 1001 (going away); those still open after `waitMs` are cut. */
  async closeAll(waitMs: number): Promise<void> {
    for (const socket of this.pending) socket.destroy();
    const all = [...this.connections];
    for (const conn of all) conn.close(1001, "Emulator closing");
    await settleWithin(Promise.all(all.map((conn) => conn.closed)), waitMs);
    for (const conn of all) conn.terminate();
  }
}

/**
 * The headers an upgrade is judged by: the request's, plus what browsers cannot send as headers: the session id
 * and `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*` values as query parameters (the header wins), and the bearer
 * token from the `base64UrlBearerAuthorization.<base64url token>` subprotocol when there is no Authorization.
 */
export function effectiveHeaders(received: Record<string, string>, query: URLSearchParams): Record<string, string> {
  const headers = { ...received };
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    if ((lower === SESSION_HEADER || lower.startsWith(CUSTOM_HEADER_PREFIX)) && headers[lower] === undefined) headers[lower] = value;
  }
  if (headers.authorization === undefined) {
    const offered = (headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    const carrier = offered.find((p) => p.startsWith(`${BEARER_PROTOCOL}.`));
    if (carrier !== undefined && offered.includes(BEARER_PROTOCOL)) {
      const encoded = carrier.slice(BEARER_PROTOCOL.length + 1);
      // base64url without padding; anything else is an invalid token (401 invalid_token), not a missing one.
      const token = /^[A-Za-z0-9_-]+$/.test(encoded) ? Buffer.from(encoded, "base64url").toString("utf8") : "";
      headers.authorization = `Bearer ${token || "-"}`;
    }
  }
  return headers;
}
