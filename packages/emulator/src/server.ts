import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { defaultAgent, loadAgent } from "./agent";
import { Authenticator } from "./auth";
import { handleCommand } from "./commands";
import { CorsPolicy, isLoopbackAddress, preflightHeaders } from "./cors";
import { ValidationFailure } from "./errors";
import { Exchange } from "./exchange";
import { FaultPlan, FaultSyntaxError, applyResponseFault } from "./faults";
import { FAULT_HEADER, SESSION_HEADER } from "./headers";
import { checkPassEnv } from "./execEnv";
import { HostPolicy, checkHost } from "./hosts";
import { handleInvocation } from "./invocations";
import { formatLogLine, writeLog } from "./log";
import { killMarked } from "./procSweep";
import { matchRuntime, route, splitTarget } from "./routing";
import { BodySlots } from "./requestBody";
import { SessionLimitExceeded, SessionStore } from "./sessions";
import { handleStop } from "./stopSession";
import type { Emulator, EmulatorOptions, FaultSpec, Operation, RecordedRequest } from "./types";
import { Upstream } from "./upstream";
import { flattenHeaders, settleWithin } from "./util";
import { validateHeaders } from "./validation";

/** The longest close() waits, in all, for earlier session cleanups and for request handlers after aborting them. */
export const CLOSE_GRACE_MS = 2000;

/**
 * Upper bound of both session timeouts, in seconds: the service's maximum (it allows 60–28800). Shorter values,
 * fractions included, are accepted for tests; the bound also keeps every timer far below setTimeout's limit
 * (2^31-1 ms, above which Node fires after 1 ms).
 */
export const MAX_SESSION_SECONDS = 28800;

/** A session timeout option: a finite number of seconds, > 0 and ≤ MAX_SESSION_SECONDS. */
function sessionSeconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > MAX_SESSION_SECONDS) {
    throw new RangeError(`${name} must be a number of seconds greater than 0 and at most ${MAX_SESSION_SECONDS}, got ${String(value)}`);
  }
  return value;
}

/** Default caps: live sessions, request bodies held in memory at once. */
export const DEFAULT_MAX_SESSIONS = 1000;
export const DEFAULT_MAX_CONCURRENT_BODIES = 32;

/** A cap option: a whole number ≥ 1. */
function cap(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of at least 1, got ${String(value)}`);
  }
  return value;
}

/** The URL of a bound address: IPv6 in brackets, a zone id percent-encoded. */
function urlOf(address: string, port: number): string {
  return `http://${address.includes(":") ? `[${address.replace("%", "%25")}]` : address}:${port}`;
}

/** Smallest maxCommandOutputBytes: room for the start and stop frames and some output. */
export const MIN_COMMAND_RESPONSE_BYTES = 1024;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Starts the emulator on a loopback port and resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "123456789012";
  const runtimeId = options.runtimeId ?? "emulator_agent-abcdefghij";
  if (!REGION.test(region)) throw new Error(`Invalid region: ${region}`);
  if (!/^\d{12}$/.test(accountId)) throw new Error(`Invalid accountId (12 digits): ${accountId}`);
  if (!runtimeId || /[/:]/.test(runtimeId)) throw new Error(`Invalid runtimeId: ${runtimeId}`);
  if (options.agent !== undefined && options.upstream !== undefined) throw new Error("Options agent and upstream are exclusive");
  const idleSeconds = sessionSeconds("sessionIdleTimeoutSeconds", options.sessionIdleTimeoutSeconds, 900);
  const lifetimeSeconds = sessionSeconds("sessionMaxLifetimeSeconds", options.sessionMaxLifetimeSeconds, MAX_SESSION_SECONDS);
  const maxOutputBytes = options.maxCommandOutputBytes ?? 100_000_000;
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < MIN_COMMAND_RESPONSE_BYTES) {
    throw new RangeError(`maxCommandOutputBytes must be a whole number of at least ${MIN_COMMAND_RESPONSE_BYTES}, got ${String(maxOutputBytes)}`);
  }
  const host = checkHost(options.host ?? "127.0.0.1");
  const port = options.port ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be a whole number from 0 to 65535, got ${String(port)}`);
  }
  const exec = options.exec === true;
  const allowRemoteExec = options.allowRemoteExec === true;
  const remoteExecRefused = (address: string) =>
    new RangeError(
      `exec runs shell commands for every caller, so it is refused on the non-loopback address ${address}; ` +
        "bind loopback (the default host) or set allowRemoteExec (--allow-remote-exec) to accept that risk",
    );
  if (exec && !allowRemoteExec && isIP(host) !== 0 && !isLoopbackAddress(host)) throw remoteExecRefused(host);
  if (options.allowedHosts !== undefined && !Array.isArray(options.allowedHosts)) throw new TypeError("allowedHosts must be an array of host names");
  for (const name of options.allowedHosts ?? []) checkHost(name);
  const cors = new CorsPolicy(options.allowedOrigins, options.allowPrivateNetwork === true);
  const passEnv = checkPassEnv(options.passEnv);
  const maxSessions = cap("maxSessions", options.maxSessions, DEFAULT_MAX_SESSIONS);
  const bodySlots = new BodySlots(cap("maxConcurrentBodies", options.maxConcurrentBodies, DEFAULT_MAX_CONCURRENT_BODIES));
  const runtimeArn = `arn:${partitionOf(region)}:bedrock-agentcore:${region}:${accountId}:runtime/${runtimeId}`;

  const handler = typeof options.agent === "string" ? await loadAgent(options.agent) : (options.agent ?? defaultAgent);
  const upstream = options.upstream !== undefined ? new Upstream(options.upstream) : undefined;
  const auth = await Authenticator.create(options.auth);
  const faults = new FaultPlan(options.faults);
  // exec: every process a command starts carries AGENTCORE_EMULATOR_RUN=<runTag>.<session>.<command>.
  const runTag = randomUUID();
  const sessions = new SessionStore({
    // A session that ran commands has a folder; only then can it have left processes behind.
    onEnd: exec ? async (session) => session.dir && killMarked(`${runTag}.${session.tag}.`) : undefined,
    idleMs: idleSeconds * 1000,
    maxLifetimeMs: lifetimeSeconds * 1000,
    maxSessions,
    baseDir: options.workDir ?? tmpdir(),
  });
  const maxPayloadBytes = options.maxPayloadBytes ?? 100_000_000;
  const requests: RecordedRequest[] = [];
  const exchanges = new Set<Exchange>();
  const inflight = new Set<Promise<void>>();
  // Requests are refused until the bound address has been checked.
  let closing = true;
  let url = "";
  let hosts: HostPolicy | undefined;

  async function operation(ex: Exchange, op: Operation, segment: string, query: URLSearchParams): Promise<void> {
    const { req } = ex;
    const match = matchRuntime(segment, query, { runtimeArn, runtimeId, accountId });
    if (!match.ok) {
      if ("notFound" in match) return ex.sendError("ResourceNotFoundException", match.notFound);
      return ex.sendValidation(match.invalid);
    }
    const outcome = await auth.verify(single(req.headers.authorization));
    if (!outcome.ok) {
      const headers: Record<string, string> = {};
      if (outcome.status === 401) {
        const metadata = `Bearer resource_metadata="${url}/.well-known/oauth-protected-resource"`;
        headers["WWW-Authenticate"] = outcome.invalidToken ? `${metadata}, error="invalid_token"` : metadata;
      }
      return ex.sendError(outcome.name, outcome.message, { status: outcome.status, headers });
    }
    let fault: FaultSpec | undefined;
    const faultHeader = single(req.headers[FAULT_HEADER]);
    try {
      if (faultHeader !== undefined) fault = faults.fromHeader(op, faultHeader, single(req.headers[SESSION_HEADER]));
    } catch (err) {
      if (!(err instanceof FaultSyntaxError)) throw err;
      const problem = { name: "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault", message: err.message };
      return ex.sendValidation(new ValidationFailure(err.message, "FieldValidationFailed", [problem]));
    }
    fault ??= faults.fromConfig(op);
    if (fault) {
      ex.record.fault = fault.mode;
      if (await applyResponseFault(ex, fault)) return;
    }
    validateHeaders(op, req.headers);
    const releaseBody = bodySlots.tryAcquire();
    if (!releaseBody) {
      // The body stays unread, so this connection cannot carry another request.
      ex.res.setHeader("Connection", "close");
      return ex.sendError(
        "ThrottlingException",
        `Too many request bodies in memory: at most ${bodySlots.max} at once (maxConcurrentBodies, --max-concurrent-bodies); retry later`,
        { headers: { "Retry-After": "1" } },
      );
    }
    try {
      if (op === "invocations") return await handleInvocation(ex, { sessions, handler, upstream, maxPayloadBytes }, fault);
      if (op === "commands") return await handleCommand(ex, { sessions, exec, maxOutputBytes, runTag, passEnv, releaseBody }, fault);
      return await handleStop(ex, sessions, releaseBody);
    } finally {
      releaseBody();
    }
  }

  async function handle(ex: Exchange): Promise<void> {
    const { req, res, record } = ex;
    const r = route(req.method ?? "GET", req.url ?? "/");
    if (r.kind === "preflight") record.op = "preflight";
    if (r.kind === "op") record.op = r.op;
    // DNS rebinding: a page whose name now points at this address still sends its own name as Host.
    if (!hosts!.allows(req.headers.host)) {
      return ex.sendError(
        "AccessDeniedException",
        `Host ${JSON.stringify(req.headers.host)} is not allowed: it does not name the emulator's address (allowedHosts, --allowed-host)`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !cors.allows(origin)) {
      return ex.sendError(
        "AccessDeniedException",
        `Origin ${JSON.stringify(origin)} is not allowed (allowedOrigins, --allowed-origin; default: loopback origins)`,
      );
    }
    switch (r.kind) {
      case "preflight":
        res.writeHead(204, { ...preflightHeaders(req, cors), "x-amzn-RequestId": ex.requestId });
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
      case "op":
        record.op = r.op;
        return operation(ex, r.op, r.segment, r.query);
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (closing) {
      req.socket.destroy();
      return;
    }
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
    if (options.recordRequests !== false) requests.push(record);
    const ex = new Exchange(req, res, record, cors);
    exchanges.add(ex);
    res.once("close", () => {
      exchanges.delete(ex);
      if (options.log) writeLog(options.log, formatLogLine(record, Date.now() - ex.startedAt));
    });
    const done: Promise<void> = handle(ex)
      .catch((err: unknown) => {
        if (err instanceof ValidationFailure) return ex.sendValidation(err);
        if (err instanceof SessionLimitExceeded) return ex.sendError("ServiceQuotaExceededException", err.message);
        if (!res.headersSent) ex.sendError("InternalServerException", "Internal server error");
        else res.destroy();
      })
      .finally(() => inflight.delete(done));
    inflight.add(done);
  }

  const server = http.createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  // A host name may have resolved to a non-loopback address: checked on what was actually bound.
  if (exec && !allowRemoteExec && !isLoopbackAddress(bound.address)) {
    await new Promise((resolve) => server.close(resolve));
    upstream?.close();
    throw remoteExecRefused(`${bound.address} (${host})`);
  }
  try {
    hosts = new HostPolicy(bound.address, host, options.allowedHosts);
  } catch (err) {
    await new Promise((resolve) => server.close(resolve));
    upstream?.close();
    throw err;
  }
  url = urlOf(bound.address, bound.port);
  auth.setDefaultIssuer(url);
  closing = false;

  let closed: Promise<void> | undefined;
  return {
    url,
    runtimeArn,
    runtimeId,
    region,
    accountId,
    issuer: auth.issuer,
    jwksUrl: `${url}/.well-known/jwks.json`,
    requests,
    issueToken: (claims, opts) => auth.issueToken(claims, opts),
    setFaults: (list) => faults.set(list),
    sessionIds: () => sessions.ids(),
    close() {
      closed ??= (async () => {
        closing = true;
        // One budget for the waits below, so they cannot add up past CLOSE_GRACE_MS.
        const deadline = Date.now() + CLOSE_GRACE_MS;
        const left = () => Math.max(0, deadline - Date.now());
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const ex of exchanges) ex.abort();
        // However many sessions: their streams stop now; one sweep kills every process of this emulator and one
        // removal takes every session folder, instead of a /proc scan and a removal per session.
        await sessions.closeAll(left());
        server.closeAllConnections();
        upstream?.close();
        if (exec) await killMarked(`${runTag}.`);
        await sessions.removeFolders();
        // Handlers stop when their exchange aborts; one that does not (an agent ignoring ctx.signal) is left
        // behind after CLOSE_GRACE_MS rather than holding close() forever.
        await settleWithin(Promise.all([Promise.all([...inflight]), serverClosed]), left());
        server.closeAllConnections();
      })();
      return closed;
    },
  };
}
