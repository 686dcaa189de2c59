import { randomUUID } from "node:crypto";
import http from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import type { Duplex } from "node:stream";
import { type AgentModule, defaultAgent, loadAgentModule } from "./agent";
import { Authenticator, checkAuthOptions } from "./auth";
import { MAX_COMMAND_BODY, handleCommand } from "./commands";
import { CorsPolicy, isLoopbackAddress } from "./cors";
import { ValidationFailure, errorTypeHeader } from "./errors";
import { FaultPlan } from "./faults";
import { checkPassEnv } from "./execEnv";
import { HostPolicy, checkHost } from "./hosts";
import { handleInvocation } from "./invocations";
import { killMarked } from "./procSweep";
import { BodySlots } from "./requestBody";
import { SessionStore } from "./sessions";
import { type SigV4Credentials, SigV4Verifier, generateCredentials } from "./sigv4";
import { ShellRegistry } from "./shells";
import { WebSocketEndpoints, echoWebSocket } from "./websocket";
import { type ParsedRequest, RequestPipeline } from "./pipeline";
import { handleStop, StopLedger } from "./stopSession";
import type { Emulator, EmulatorOptions, RecordedRequest } from "./types";
import { Upstream } from "./upstream";
import { settleWithin } from "./util";
import { type CommandRequest, parseCommandBody, parseStopBody } from "./validation";

/** The longest close() waits, in all, for earlier session cleanups and for request handlers after aborting them. */
export const CLOSE_GRACE_MS = 2000;
/** A request head not complete within this is answered 408 and the connection closed (against slowloris). */
export const HEADERS_TIMEOUT_MS = 60_000;

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

/** A seconds option: a finite number > 0 (fractions allowed, for tests). */
function positiveSeconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a number of seconds greater than 0, got ${String(value)}`);
  }
  return value;
}

/** WebSocket and shell defaults: the service's limits (PROTOCOL.md). */
export const DEFAULT_WS_MAX_FRAME_BYTES = 64 * 1024;
export const DEFAULT_WS_MAX_FRAMES_PER_SECOND = 250;
export const DEFAULT_MAX_SHELLS_PER_SESSION = 10;
export const DEFAULT_SHELL_REPLAY_BYTES = 256 * 1024;

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

/** The service's runtime id pattern: the client refuses other ids, so a runtime named otherwise could never be called. */
export const RUNTIME_ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}$/;

/**
 * Request headers node:http accepts, in bytes. Node's default (16 KiB) is less than a client may send: up to
 * 16 KiB of its own headers plus Authorization, whose JWT can be several KB.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** Largest stop body read: `{"clientToken": ≤ 256 chars}` needs far less. */
const MAX_STOP_BODY = 64 * 1024;

/** Node's own statuses for the parser errors that are not a plain 400 Bad Request. */
const CLIENT_ERRORS = new Map([
  ["HPE_HEADER_OVERFLOW", { status: 431, message: `Request headers too large: at most ${MAX_HEADER_BYTES} bytes` }],
  ["HPE_CHUNK_EXTENSIONS_OVERFLOW", { status: 413, message: "Chunk extensions too large" }],
  ["ERR_HTTP_REQUEST_TIMEOUT", { status: 408, message: "The request headers were not received in time" }],
]);

/**
 * node:http's 'clientError' listener: what its parser refuses (a bad chunk size, a character not allowed in a
 * header, headers past MAX_HEADER_BYTES, a request head not received within headersTimeout) is answered in the service's
 * error shape instead of Node's bare status line, then the connection is closed (the parser cannot go on). As in
 * Node's own handler, nothing is written once a response has started on the connection or the socket is gone.
 * Each answer is logged once, with the status sent (RequestPipeline.refused).
 */
function answerClientError(pipeline: RequestPipeline, err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
  // Node's field for the response in flight on the connection: the one its own handler checks.
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (err.code !== "ECONNRESET" && socket.writable && !inFlight?.headersSent) {
    // llhttp's reason is a fixed phrase ("Invalid character in chunk size"), never the client's bytes.
    const { status, message } = CLIENT_ERRORS.get(err.code ?? "") ?? { status: 400, message: `Malformed HTTP request: ${err.reason ?? err.message}` };
    const requestId = pipeline.refused(inFlight ?? undefined, status);
    const body = JSON.stringify({ message });
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
        "Content-Type: application/json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-amzn-ErrorType: ${errorTypeHeader("ValidationException")}\r\n` +
        `x-amzn-RequestId: ${requestId}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

interface ListenOptions {
  host: string;
  port: number;
  exec: boolean;
  allowRemoteExec: boolean;
  allowedHosts?: string[];
}

function refuseRemoteExec(address: string): RangeError {
  return new RangeError(
    `exec runs shell commands for every caller, so it is refused on the non-loopback address ${address}; ` +
      "bind loopback (the default host) or set allowRemoteExec (--allow-remote-exec) to accept that risk",
  );
}

/**
 * Binds the server and hands the pipeline its address. A host name may resolve to a non-loopback address: exec
 * is checked on what was actually bound, and the Host policy is built from it.
 */
async function listen(
  pipeline: RequestPipeline,
  endpoints: WebSocketEndpoints,
  opts: ListenOptions,
): Promise<{ server: http.Server; url: string }> {
  // requestTimeout 0: Node's default (300 s for a whole request) would cut a slow upload that keeps sending; a body
  // is cut only when it stalls (bodyIdleMs), and a head that never completes still is by headersTimeout (60 s)
  // (explicitly: with requestTimeout 0, node:http's default headersTimeout is min(60 s, requestTimeout), i.e. none)
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS }, pipeline.onRequest);
  server.on("upgrade", endpoints.onUpgrade);
  // no count limit (node's default drops headers past 2,000 without a word: a session id after them went unchecked);
  // maxHeaderSize bounds them
  server.maxHeadersCount = 0;
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(pipeline, err, socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  try {
    if (opts.exec && !opts.allowRemoteExec && !isLoopbackAddress(bound.address)) throw refuseRemoteExec(`${bound.address} (${opts.host})`);
    const url = urlOf(bound.address, bound.port);
    pipeline.bound = { url, hosts: new HostPolicy(bound.address, opts.host, opts.allowedHosts) };
    return { server, url };
  } catch (err) {
    await new Promise((resolve) => server.close(resolve));
    throw err;
  }
}

/** Starts the emulator on a loopback port and resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "123456789012";
  const runtimeId = options.runtimeId ?? "emulator_agent-abcdefghij";
  if (!REGION.test(region)) throw new Error(`Invalid region: ${region}`);
  if (!/^\d{12}$/.test(accountId)) throw new Error(`Invalid accountId (12 digits): ${accountId}`);
  if (typeof runtimeId !== "string" || !RUNTIME_ID_PATTERN.test(runtimeId)) {
    throw new RangeError(`runtimeId must match ${RUNTIME_ID_PATTERN.source} (e.g. my_agent-abcdefghij), got ${JSON.stringify(runtimeId)}`);
  }
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
  if (exec && !allowRemoteExec && isIP(host) !== 0 && !isLoopbackAddress(host)) throw refuseRemoteExec(host);
  if (options.allowedHosts !== undefined && !Array.isArray(options.allowedHosts)) throw new TypeError("allowedHosts must be an array of host names");
  for (const name of options.allowedHosts ?? []) checkHost(name);
  const cors = new CorsPolicy(options.allowedOrigins, options.allowPrivateNetwork === true);
  const passEnv = checkPassEnv(options.passEnv);
  const maxSessions = cap("maxSessions", options.maxSessions, DEFAULT_MAX_SESSIONS);
  const bodySlots = new BodySlots(cap("maxConcurrentBodies", options.maxConcurrentBodies, DEFAULT_MAX_CONCURRENT_BODIES));
  const bodyIdle = options.bodyIdleTimeoutSeconds;
  if (bodyIdle !== undefined && (typeof bodyIdle !== "number" || !(bodyIdle > 0))) {
    throw new RangeError(`bodyIdleTimeoutSeconds must be a number of seconds greater than 0 (Infinity for none), got ${String(bodyIdle)}`);
  }
  // (setTimeout cannot wait 2^31 ms or more: such a wait, like Infinity, is none)
  const bodyIdleMs = bodyIdle === undefined ? 30_000 : bodyIdle * 1000 < 2 ** 31 - 1 ? bodyIdle * 1000 : Infinity;
  const runtimeArn = `arn:${partitionOf(region)}:bedrock-agentcore:${region}:${accountId}:runtime/${runtimeId}`;
  checkAuthOptions(options.auth);
  const iam = sigv4Setup(options, region, accountId, runtimeId);

  const wsLimits = {
    maxFrameBytes: cap("wsMaxFrameBytes", options.wsMaxFrameBytes, DEFAULT_WS_MAX_FRAME_BYTES),
    maxFramesPerSecond: cap("wsMaxFramesPerSecond", options.wsMaxFramesPerSecond, DEFAULT_WS_MAX_FRAMES_PER_SECOND),
    maxConnectionMs: positiveSeconds("wsMaxConnectionSeconds", options.wsMaxConnectionSeconds, 3600) * 1000,
  };
  const maxShellsPerSession = cap("maxShellsPerSession", options.maxShellsPerSession, DEFAULT_MAX_SHELLS_PER_SESSION);
  const shellReplayBytes = cap("shellReplayBytes", options.shellReplayBytes, DEFAULT_SHELL_REPLAY_BYTES);
  const agentModule: AgentModule = typeof options.agent === "string" ? await loadAgentModule(options.agent) : { handler: options.agent };
  const handler = agentModule.handler ?? defaultAgent;
  const wsHandler = options.websocket ?? agentModule.websocket ?? echoWebSocket;
  const upstream = options.upstream !== undefined ? new Upstream(options.upstream) : undefined;
  const auth = await Authenticator.create(options.auth, options.log);
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
  const stops = new StopLedger();
  const maxPayloadBytes = options.maxPayloadBytes ?? 100_000_000;
  const requests: RecordedRequest[] = [];
  const pipeline = new RequestPipeline(
    {
      runtime: { runtimeArn, runtimeId, accountId },
      auth,
      sigv4: iam.pipeline,
      faults,
      sessions,
      cors,
      bodySlots,
      bodyIdleMs,
      log: options.log,
      recordRequests: options.recordRequests !== false,
      requests,
    },
    {
      invocations: {
        bodyLimit: maxPayloadBytes,
        tooLarge: () => ValidationFailure.field("payload", `Member must have length less than or equal to ${maxPayloadBytes}`),
        holdBody: true,
        parse: (body: Buffer) => body,
        session: "acquire",
        handle: (req: ParsedRequest<Buffer>) => handleInvocation(req, { handler, upstream }),
      },
      commands: {
        bodyLimit: MAX_COMMAND_BODY,
        tooLarge: () => ValidationFailure.field("command", "Member must have length less than or equal to 65536"),
        holdBody: false,
        parse: parseCommandBody,
        session: "acquire",
        handle: (req: ParsedRequest<CommandRequest>) => handleCommand(req, { sessions, exec, maxOutputBytes, runTag, passEnv }),
      },
      stopruntimesession: {
        bodyLimit: MAX_STOP_BODY,
        tooLarge: () => ValidationFailure.field("clientToken", "Member must have length less than or equal to 256"),
        holdBody: false,
        parse: parseStopBody,
        session: "id",
        handle: (req: ParsedRequest<{ clientToken?: string }>) => handleStop(req, sessions, stops),
      },
    },
  );

  const shells = new ShellRegistry({ exec, runTag, passEnv, sessions, maxShellsPerSession, replayBytes: shellReplayBytes });
  const endpoints = new WebSocketEndpoints({
    pipeline,
    sessions,
    shells,
    handler: wsHandler,
    limits: wsLimits,
    maxFrameBytes: wsLimits.maxFrameBytes,
  });

  let server: http.Server;
  let url: string;
  try {
    ({ server, url } = await listen(pipeline, endpoints, { host, port, exec, allowRemoteExec, allowedHosts: options.allowedHosts }));
  } catch (err) {
    upstream?.close();
    throw err;
  }
  auth.setDefaultIssuer(url);
  pipeline.closing = false;

  let closed: Promise<void> | undefined;
  return {
    url,
    runtimeArn,
    runtimeId,
    region,
    accountId,
    issuer: auth.issuer,
    jwksUrl: `${url}/.well-known/jwks.json`,
    ...iam.public,
    requests,
    issueToken: (claims, opts) => auth.issueToken(claims, opts),
    setFaults: (list) => faults.set(list),
    sessionIds: () => sessions.ids(),
    close() {
      closed ??= (async () => {
        pipeline.closing = true;
        auth.close();
        // One budget for the waits below, so they cannot add up past CLOSE_GRACE_MS.
        const deadline = Date.now() + CLOSE_GRACE_MS;
        const left = () => Math.max(0, deadline - Date.now());
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const ex of pipeline.exchanges) ex.abort();
        // WebSockets get 1001 (going away); those that do not finish the closing handshake in time are cut.
        await endpoints.closeAll(Math.min(500, left()));
        // However many sessions: their streams stop now; one sweep kills every process of this emulator and one
        // removal takes every session folder, instead of a /proc scan and a removal per session.
        await sessions.closeAll(left());
        server.closeAllConnections();
        upstream?.close();
        if (exec) await killMarked(`${runTag}.`);
        await sessions.removeFolders();
        // Handlers stop when their exchange aborts; one that does not (an agent ignoring ctx.signal) is left
        // behind after CLOSE_GRACE_MS rather than holding close() forever.
        await settleWithin(Promise.all([Promise.all([...pipeline.inflight]), serverClosed]), left());
        server.closeAllConnections();
      })();
      return closed;
    },
  };
}

/**
 * IAM (SigV4) runtimes: `auth.mode: "sigv4"` makes the runtime take SigV4 instead of JWTs; `sigv4RuntimeId`
 * adds a second runtime that takes SigV4 next to a JWT one. Both check the configured `auth.credentials`
 * (default: one generated pair, reported as `credentials`).
 */
function sigv4Setup(options: EmulatorOptions, region: string, accountId: string, runtimeId: string) {
  const mode = options.auth?.mode ?? "jwt";
  if (mode !== "jwt" && mode !== "sigv4") throw new RangeError(`auth.mode must be "jwt" or "sigv4", got ${JSON.stringify(mode)}`);
  const second = options.sigv4RuntimeId;
  if (second !== undefined) {
    if (typeof second !== "string" || !RUNTIME_ID_PATTERN.test(second)) {
      throw new RangeError(`sigv4RuntimeId must match ${RUNTIME_ID_PATTERN.source}, got ${JSON.stringify(second)}`);
    }
    if (second === runtimeId) throw new RangeError("sigv4RuntimeId must differ from runtimeId");
  }
  if (mode === "jwt" && second === undefined) {
    if (options.auth?.credentials !== undefined) throw new RangeError('auth.credentials needs auth.mode "sigv4" or sigv4RuntimeId');
    return { pipeline: undefined, public: { authMode: mode } as const };
  }
  const given = options.auth?.credentials;
  const list: SigV4Credentials[] = given === undefined ? [generateCredentials()] : Array.isArray(given) ? given : [given];
  for (const c of list) {
    if (!c || typeof c.accessKeyId !== "string" || !c.accessKeyId || typeof c.secretAccessKey !== "string" || !c.secretAccessKey) {
      throw new RangeError("auth.credentials: each needs a non-empty accessKeyId and secretAccessKey");
    }
  }
  const verifier = new SigV4Verifier(list, region);
  const arn = second === undefined ? undefined : `arn:${partitionOf(region)}:bedrock-agentcore:${region}:${accountId}:runtime/${second}`;
  return {
    pipeline: { verifier, main: mode === "sigv4", runtime: arn === undefined ? undefined : { runtimeArn: arn, runtimeId: second!, accountId } },
    public: { authMode: mode, credentials: { ...list[0] }, ...(arn === undefined ? {} : { sigv4RuntimeArn: arn, sigv4RuntimeId: second }) },
  };
}
