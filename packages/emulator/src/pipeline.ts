import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authenticator } from "./auth";
import { type CorsPolicy, preflightHeaders } from "./cors";
import { ValidationFailure } from "./errors";
import { Exchange } from "./exchange";
import { type FaultPlan, FaultSyntaxError, applyResponseFault } from "./faults";
import { FAULT_HEADER, SESSION_HEADER } from "./headers";
import type { HostPolicy } from "./hosts";
import { formatLogLine, writeLog } from "./log";
import { BodySlots, BodyStalled, BodyTooLarge, readBody } from "./requestBody";
import { type RuntimeIdentity, matchRuntime, route, splitTarget } from "./routing";
import { type Session, SessionLimitExceeded, type SessionStore } from "./sessions";
import { type SigV4Outcome, type SigV4Verifier, bodyPayloadHash, looksLikeSigV4 } from "./sigv4";
import type { FaultSpec, LogSink, Operation, RecordedRequest } from "./types";
import { flattenHeaders } from "./util";
import { validateHeaders } from "./validation";

/** What a handler receives: the request read once, checked, its body parsed, its session held. */
export interface ParsedRequest<T = unknown> {
  ex: Exchange;
  op: Operation;
  /** Request headers, lower-cased, a repeated header joined with ", " (flattened once per request). */
  headers: Record<string, string>;
  /** The raw body (held in a body slot until the handler ends when the route says `holdBody`). */
  body: Buffer;
  /** The body as the route's parser made it. */
  input: T;
  /** The session header, or a fresh UUID for routes that create sessions. */
  sessionId: string;
  /** Routes with `session: "acquire"`: the live session, busy (idle clock stopped) until the handler ends. */
  session?: Session;
  /** The fault chosen for this request (a body fault; response faults were answered before the handler). */
  fault?: FaultSpec;
}

/** One operation's route options, like a Fastify route's: its body limit, parser, session use and handler. */
export interface OperationRoute<T> {
  /** Bytes of body read at most; past it the request is answered with `tooLarge()` and reading stops. */
  bodyLimit: number;
  tooLarge(): ValidationFailure;
  /** Keep the body slot until the handler ends (invocations: the agent gets the body); else freed once read. */
  holdBody: boolean;
  /** Turns the body into the handler's input; throws ValidationFailure for a bad one. */
  parse(body: Buffer): T;
  /**
   * acquire: the session is created when new and held busy for the handler, which it stops when the session
   * ends (the response is destroyed); id: the handler gets the id only (stop looks the session up itself).
   */
  session: "acquire" | "id";
  handle(req: ParsedRequest<T>): Promise<void>;
}

export type Routes = { [K in Operation]?: OperationRoute<any> };

export interface PipelineDeps {
  runtime: RuntimeIdentity;
  auth: Authenticator;
  /** SigV4: the verifier, whether the main runtime takes SigV4 instead of JWTs, and a second runtime that takes SigV4. */
  sigv4?: { verifier: SigV4Verifier; main: boolean; runtime?: RuntimeIdentity };
  faults: FaultPlan;
  sessions: SessionStore;
  cors: CorsPolicy;
  bodySlots: BodySlots;
  /** Milliseconds without body data after which a request is answered 408 and its connection closed. */
  bodyIdleMs: number;
  log?: LogSink;
  recordRequests: boolean;
  requests: RecordedRequest[];
}

/** Known once the server is bound. */
export interface BoundAddress {
  url: string;
  hosts: HostPolicy;
}

/**
 * The request pipeline, in the order of Fastify's hooks: onRequest (record, Host and Origin checks, routing),
 * preValidation (runtime, auth, fault, header checks), preParsing (a body slot, the body read up to the route's
 * limit, parsed), preHandler (session acquired and tracked), then the route's handler with a ParsedRequest; the
 * session is released and the body slot freed afterwards. Every request is read once here, so handlers hold no
 * prologue of their own. WebSocket upgrades run the same stages up to preHandler (websocket.ts).
 */
export class RequestPipeline {
  // StopRuntimeSession's own body slots (see operation), made on its first use
  private stopSlots: BodySlots | undefined;
  /** Requests are refused until the bound address is known (and again once closing). */
  closing = true;
  bound?: BoundAddress;
  readonly exchanges = new Set<Exchange>();
  readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly deps: PipelineDeps,
    private readonly routes: Routes,
  ) {}

  /**
   * Per connection, the answer in progress. node:http hands over a pipelined request at once but sends its answer
   * only after the ones before it: handled at once, it took effect (a session created, a stop cutting the stream
   * before it) while its answer waited, lost with a connection that stream's end closed. It waits its turn instead.
   */
  private readonly answering = new WeakMap<object, Promise<void>>();

  /** node:http's request listener. */
  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.closing) {
      req.socket.destroy();
      return;
    }
    const connection = req.socket;
    const before = this.answering.get(connection);
    this.answering.set(connection, new Promise<void>((resolve) => res.once("close", () => resolve())));
    const start = () => {
      // the connection went while this request waited: nobody is left to answer
      if (this.closing || connection.destroyed) return void connection.destroy();
      const ex = this.open(req, res);
      this.run(ex, this.dispatch(ex));
    };
    if (before) void before.then(start);
    else start();
  };

  /** onRequest: the request's record and exchange, logged when its response closes. */
  open(req: IncomingMessage, res: ServerResponse): Exchange {
    const { path, query } = splitTarget(req.url ?? "/");
    const record: RecordedRequest = {
      method: req.method ?? "",
      path,
      query: Object.fromEntries(query),
      op: "unknown",
      headers: flattenHeaders(req.headers),
      status: 0,
      requestId: "",
    };
    if (this.deps.recordRequests) this.deps.requests.push(record);
    const ex = new Exchange(req, res, record, this.deps.cors);
    this.exchanges.add(ex);
    res.once("close", () => this.finish(ex));
    return ex;
  }

  /** The request is over (its response closed; an upgraded connection: its WebSocket closed): logged once. */
  finish(ex: Exchange): void {
    if (!this.exchanges.delete(ex)) return;
    if (this.deps.log) writeLog(this.deps.log, formatLogLine(ex.record, Date.now() - ex.startedAt));
  }

  /**
   * A request node:http's parser refused, answered with `status` by the server's clientError listener. When its
   * head was parsed, its exchange (the response in flight on the connection) takes the status, logged as usual
   * when the connection closes; else there is no record, so one line is logged here. Returns the request id the
   * answer carries.
   */
  refused(res: ServerResponse | undefined, status: number): string {
    for (const ex of this.exchanges) {
      if (ex.res !== res) continue;
      ex.record.status = status;
      return ex.requestId;
    }
    const record: RecordedRequest = { method: "-", path: "-", query: {}, op: "unknown", headers: {}, status, requestId: randomUUID() };
    if (this.deps.log) writeLog(this.deps.log, formatLogLine(record, 0));
    return record.requestId;
  }

  /** Runs a request's handling to its end, answering what it throws the way the service would. */
  /** Runs a request's handling, answering what it throws; settles when the exchange is answered or given up. */
  run(ex: Exchange, handling: Promise<void>): Promise<void> {
    const done: Promise<void> = handling
      .catch((err: unknown) => {
        if (err instanceof ValidationFailure) return ex.sendValidation(err);
        if (err instanceof SessionLimitExceeded) return ex.sendError("ServiceQuotaExceededException", err.message);
        if (!ex.res.headersSent) ex.sendError("InternalServerException", "Internal server error");
        else ex.res.destroy();
      })
      .finally(() => this.inflight.delete(done));
    this.inflight.add(done);
    return done;
  }

  /**
   * onRequest, second half: the DNS-rebinding guard (Host) and the Origin check, for every request and upgrade.
   * False when the request was answered (403).
   */
  guard(ex: Exchange): boolean {
    const host = ex.headers.host;
    if (!this.bound!.hosts.allows(host)) {
      ex.sendError(
        "AccessDeniedException",
        `Host ${JSON.stringify(host)} is not allowed: it does not name the emulator's address (allowedHosts, --allowed-host)`,
      );
      return false;
    }
    const origin = ex.headers.origin;
    if (origin !== undefined && !this.deps.cors.allows(origin)) {
      ex.sendError(
        "AccessDeniedException",
        `Origin ${JSON.stringify(origin)} is not allowed (allowedOrigins, --allowed-origin; default: loopback origins)`,
      );
      return false;
    }
    return true;
  }

  private async dispatch(ex: Exchange): Promise<void> {
    const { req, res, record } = ex;
    const r = route(req.method ?? "GET", req.url ?? "/");
    if (r.kind === "preflight") record.op = "preflight";
    if (r.kind === "op") record.op = r.op;
    if (!this.guard(ex)) return;
    const { auth } = this.deps;
    const url = this.bound!.url;
    switch (r.kind) {
      case "preflight":
        res.writeHead(204, { ...preflightHeaders(req, this.deps.cors), "x-amzn-RequestId": ex.requestId });
        record.status = 204;
        res.end();
        return;
      case "ping":
        record.op = "ping";
        return ex.sendJson(200, { status: "Healthy", time_of_last_update: Math.floor(Date.now() / 1000) });
      case "metadata":
        record.op = "metadata";
        if (r.doc === "jwks") return ex.sendJson(200, { keys: [auth.publicJwk] });
        if (r.doc === "openid") return ex.sendJson(200, { issuer: auth.issuer, jwks_uri: `${url}/.well-known/jwks.json` });
        return ex.sendJson(200, { resource: url, authorization_servers: [auth.issuer], bearer_methods_supported: ["header"] });
      case "unknown":
        return ex.sendError("UnknownOperationException", r.message, { status: 404 });
      case "op": {
        const opRoute = this.routes[r.op];
        if (!opRoute) return ex.sendError("UnknownOperationException", `No route for ${req.method} ${record.path}`, { status: 404 });
        const checked = await this.preValidation(ex, r.op, r.segment, r.query);
        if (!checked) return;
        return this.operation(ex, r.op, opRoute, checked.fault, checked.signature);
      }
    }
  }

  /**
   * preValidation: the runtime named in the path, the bearer token, the fault (a response fault is answered
   * here) and the header constraints, all read from `headers` (default the request's; an upgrade passes its
   * effective headers: query parameters and the subprotocol token merged in). Undefined when answered.
   */
  async preValidation(
    ex: Exchange,
    op: Operation,
    segment: string,
    query: URLSearchParams,
    headers: Record<string, string> = ex.headers,
  ): Promise<{ fault?: FaultSpec; signature?: (body: Buffer) => SigV4Outcome } | undefined> {
    const sigv4 = this.deps.sigv4;
    let match = matchRuntime(segment, query, this.deps.runtime);
    let iam = sigv4?.main === true;
    if (!match.ok && "notFound" in match && sigv4?.runtime) {
      const second = matchRuntime(segment, query, sigv4.runtime);
      // the second runtime's answer when the path names it (a wrong qualifier on it is its endpoint not found)
      if (second.ok || !("notFound" in second) || second.endpoint) [match, iam] = [second, true];
    }
    if (!match.ok) {
      if ("notFound" in match) ex.sendError("ResourceNotFoundException", match.notFound);
      else ex.sendValidation(match.invalid);
      return undefined;
    }
    // A runtime configured for IAM: SigV4, checked against the configured credentials (the body's hash once read).
    let signature: ((body: Buffer) => SigV4Outcome) | undefined;
    if (iam && sigv4) {
      const request = { method: ex.req.method ?? "GET", url: ex.req.url ?? "/", headers };
      const pre = op === "ws" || op === "shells" ? sigv4.verifier.verifyWithoutBody(request) : sigv4.verifier.precheck(request);
      if (!pre.ok) {
        ex.sendError(pre.name, pre.message, { status: pre.status });
        return undefined;
      }
      if ("finish" in pre) signature = (body) => pre.finish(bodyPayloadHash(body, headers["x-amz-content-sha256"]));
    } else if (looksLikeSigV4(headers.authorization, ex.req.url ?? "")) {
      ex.sendError("AccessDeniedException", "Authorization method mismatch", { status: 403 });
      return undefined;
    }
    const outcome = iam ? ({ ok: true } as const) : await this.deps.auth.verify(headers.authorization);
    if (!outcome.ok) {
      const headers: Record<string, string> = {};
      if (outcome.status === 401) {
        const metadata = `Bearer resource_metadata="${this.bound!.url}/.well-known/oauth-protected-resource"`;
        headers["WWW-Authenticate"] = outcome.invalidToken ? `${metadata}, error="invalid_token"` : metadata;
      }
      ex.sendError(outcome.name, outcome.message, { status: outcome.status, headers });
      return undefined;
    }
    let fault: FaultSpec | undefined;
    const faultHeader = headers[FAULT_HEADER];
    try {
      if (faultHeader !== undefined) fault = this.deps.faults.fromHeader(op, faultHeader, headers[SESSION_HEADER]);
    } catch (err) {
      if (!(err instanceof FaultSyntaxError)) throw err;
      const problem = { name: "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault", message: err.message };
      ex.sendValidation(new ValidationFailure(err.message, "FieldValidationFailed", [problem]));
      return undefined;
    }
    fault ??= this.deps.faults.fromConfig(op);
    if (fault) {
      ex.record.fault = fault.mode;
      if (await applyResponseFault(ex, fault)) return undefined;
    }
    validateHeaders(op, headers);
    return { fault, signature };
  }

  /** preParsing, preHandler and the handler of one operation. */
  private async operation<T>(
    ex: Exchange,
    op: Operation,
    opRoute: OperationRoute<T>,
    fault: FaultSpec | undefined,
    signature?: (body: Buffer) => SigV4Outcome,
  ): Promise<void> {
    // stopping a session is how its streams end: its small bodies have slots of their own, so uploads that take
    // every other slot cannot keep a session from being stopped
    const slots = op === "stopruntimesession" ? (this.stopSlots ??= new BodySlots(this.deps.bodySlots.max)) : this.deps.bodySlots;
    const releaseBody = slots.tryAcquire();
    if (!releaseBody) return this.throttle(ex, `at most ${slots.max} at once`);
    let releaseHeld: (() => void) | undefined;
    let session: Session | undefined;
    let untrack: (() => void) | undefined;
    try {
      let body: Buffer;
      try {
        body = await readBody(ex.req, opRoute.bodyLimit, this.deps.bodyIdleMs);
      } catch (err) {
        if (err instanceof BodyStalled) {
          // the rest of the body may still come: this connection cannot carry another request
          ex.res.setHeader("Connection", "close");
          return ex.sendError("ValidationException", `No request body data for ${this.deps.bodyIdleMs / 1000} s (bodyIdleTimeoutSeconds): the upload stalled`, { status: 408 });
        }
        if (!(err instanceof BodyTooLarge)) return; // the client left mid-body
        // The rest of an oversized body is never read, so this connection cannot carry another request.
        ex.res.setHeader("Connection", "close");
        return ex.sendValidation(opRoute.tooLarge());
      }
      releaseBody();
      if (opRoute.holdBody) {
        // the worst case stays maxConcurrentBodies bodies of the largest size; small ones never throttle
        const budget = slots.max * opRoute.bodyLimit;
        releaseHeld = slots.tryHold(body.byteLength, budget);
        if (!releaseHeld) return this.throttle(ex, `at most ${budget} bytes of payloads held by running invocations`);
      }
      // SigV4: the signature covers the body's hash, so it is compared once the body is in
      const signed = signature?.(body);
      if (signed && !signed.ok) return ex.sendError(signed.name, signed.message, { status: signed.status });
      const input = opRoute.parse(body);
      // validateHeaders required the session header where the operation needs one.
      const sessionId = ex.headers[SESSION_HEADER] ?? randomUUID();
      ex.record.sessionId = sessionId;
      if (opRoute.session === "acquire") {
        session = this.deps.sessions.acquire(sessionId);
        untrack = this.deps.sessions.track(session, () => {
          ex.abort();
          ex.res.destroy();
        });
      }
      await opRoute.handle({ ex, op, headers: ex.headers, body, input, sessionId, session, fault });
    } finally {
      untrack?.();
      if (session) this.deps.sessions.release(session);
      releaseHeld?.();
      releaseBody();
    }
  }

  private throttle(ex: Exchange, limit: string): void {
    // A body left unread means this connection cannot carry another request.
    ex.res.setHeader("Connection", "close");
    return ex.sendError("ThrottlingException", `Too many request bodies in memory: ${limit} (maxConcurrentBodies, --max-concurrent-bodies); retry later`, {
      headers: { "Retry-After": "1" },
    });
  }
}
