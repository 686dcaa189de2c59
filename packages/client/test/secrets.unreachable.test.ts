import http from "node:http";
import { format, inspect } from "node:util";
import {
  ExecuteCommandCommand,
  ExecuteCommandStreamCommand,
  InvokeCommand,
  InvokeStreamCommand,
  RuntimeClient,
  StopSessionCommand,
  type Logger,
  type RuntimeClientConfig,
  type TokenProvider,
} from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { ARN, SESSION, startServer, type TestServer } from "./helpers/server";
import { fastRetries, frame } from "./helpers/resilience";

// Every error, output, client and command this suite can produce is rendered every way a user can print it;
// the bearer token (opaque or JWT-shaped) must never show. The servers echo it wherever they can.

const OPAQUE = "opaqueSecretToken-1234567890abcdef";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXRzLXRlc3QifQ.c2VjcmV0LXNpZ25hdHVyZS14eXo";

/** Everything a user could print: String, stack, JSON, inspect with hidden properties, console's %o. */
function renderings(x: unknown): string[] {
  const out: string[] = [];
  const attempt = (fn: () => unknown) => {
    try {
      out.push(String(fn()));
    } catch (e) {
      out.push(`render failed: ${(e as Error)?.message}`);
    }
  };
  attempt(() => String(x));
  attempt(() => (x as { stack?: unknown })?.stack);
  attempt(() => JSON.stringify(x));
  attempt(() => inspect(x, { showHidden: true, depth: 12 }));
  attempt(() => inspect(x, { showHidden: true, depth: 12, getters: true }));
  attempt(() => format("%o", x));
  attempt(() => format("%s %j", x, x));
  const response = (x as { $response?: { body?: unknown } } | undefined)?.$response;
  if (response?.body instanceof Uint8Array) {
    out.push(new TextDecoder().decode(response.body));
    // the whole buffer behind the bytes (what inspect with showHidden, structuredClone or postMessage reach)
    out.push(new TextDecoder().decode(new Uint8Array(response.body.buffer)));
  }
  const cause = (x as { cause?: unknown } | undefined)?.cause;
  if (cause !== undefined && cause !== null) attempt(() => JSON.stringify(cause));
  return out;
}

function assertNoToken(label: string, texts: string[], tokens: string[]) {
  for (const text of texts) {
    for (const token of tokens) {
      const at = text.indexOf(token);
      if (at >= 0) throw new Error(`${label}: the token shows in a rendering: …${text.slice(Math.max(0, at - 300), at + token.length + 40)}`);
    }
  }
}

class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  debug = (...args: unknown[]) => void this.lines.push(format("debug", ...args));
  info = (...args: unknown[]) => void this.lines.push(format("info", ...args));
  warn = (...args: unknown[]) => void this.lines.push(format("warn", ...args));
  error = (...args: unknown[]) => void this.lines.push(format("error", ...args));
}

async function drain(stream: AsyncIterable<unknown>): Promise<{ items: unknown[]; error?: unknown }> {
  const items: unknown[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items };
}

/** Scripted failures that put the caller's own token everywhere a server can. */
function scripted(req: http.IncomingMessage, res: http.ServerResponse) {
  const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
  const mode = String(req.headers["x-test-mode"] ?? "");
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", "x-amzn-requestid": `rid-${mode}`, ...headers });
    res.end(JSON.stringify(body));
  };
  const deep = (level: number): unknown => (level === 0 ? [{ value: token, note: `Bearer ${token}` }] : { [`level${level}`]: deep(level - 1), token });
  switch (mode) {
    case "echo-deep":
      return json(400, {
        __type: "ValidationException",
        message: `token ${token} is malformed`,
        reason: token,
        fieldList: [{ name: "authorization", message: `got ${token}` }],
        detail: deep(9),
        nested: { list: [[[[[[token]]]]]], auth: `base64UrlBearerAuthorization.${token}` },
      });
    case "echo-headers":
      return json(403, { message: "denied" }, {
        "x-amzn-errortype": "AccessDeniedException",
        "www-authenticate": `Bearer error="invalid_token", token="${token}"`,
        "x-echo-authorization": `Bearer ${token}`,
        "x-echo-raw": token,
      });
    case "401":
      res.writeHead(401, { "content-type": "text/plain", "x-amzn-errortype": "UnauthorizedException" });
      return void res.end(`Unauthorized: ${token} expired`);
    case "500-html":
      res.writeHead(500, { "content-type": "text/html" });
      return void res.end(`<html><head><title>500</title></head><body><h1>Internal error</h1><pre>Authorization: Bearer ${token}\nraw=${token}</pre></body></html>`);
    case "429":
      return json(429, { message: `slow down ${token}`, token }, { "x-amzn-errortype": "ThrottlingException", "retry-after": "0" });
    case "424-agent":
      return json(424, { error: token, error_type: "ValueError", message: `agent saw ${token}`, traceback: [`File x, line 1: ${token}`] });
    case "reset":
      return void req.socket.destroy();
    case "sse-error-event":
      res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
      return void res.end(`data: "hello"\n\nevent: error\ndata: ${JSON.stringify({ error: token, error_type: "ValueError", message: `failed with ${token}`, detail: { deep: { deeper: [token] } } })}\n\n`);
    case "sse-inband-json":
      res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
      return void res.end(`data: "hello"\n\ndata: ${JSON.stringify({ error: `bad ${token}`, error_type: "KeyError", message: `token=${token}` })}\n\n`);
    case "sse-reset":
      res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
      res.write(`data: "hello"\n\n`);
      return void setTimeout(() => req.socket.destroy(), 20);
    case "sse-stall":
      res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
      return void res.write(`data: "hello"\n\n`);
    case "sse-truncated":
      res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
      return void res.end(`data: "hello"\n\ndata: {"partial": "${token}`);
    case "es-exception":
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-es" });
      return void res.end(
        Buffer.concat([
          frame({ contentStart: {} }),
          frame({ message: `token ${token} rejected`, detail: { a: { b: { c: token } } } }, { ":message-type": "exception", ":exception-type": "ValidationException", ":content-type": "application/json" }),
        ]),
      );
    case "es-error-frame":
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-es" });
      return void res.end(Buffer.concat([frame({ contentStart: {} }), frame(undefined, { ":message-type": "error", ":error-code": "InternalFailure", ":error-message": `failed for ${token}` })]));
    case "es-no-stop":
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-es" });
      return void res.end(Buffer.concat([frame({ contentStart: {} }), frame({ contentDelta: { stdout: `you are ${token}\n`, stderr: `Bearer ${token}` } })]));
    case "es-stall":
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-es" });
      return void res.write(frame({ contentStart: {} }));
    case "sse-ok":
      res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
      return void res.end(`data: "hello"\n\ndata: "world"\n\n`);
    case "es-ok":
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-es" });
      return void res.end(Buffer.concat([frame({ contentStart: {} }), frame({ contentDelta: { stdout: "hi\n" } }), frame({ contentStop: { exitCode: 0, status: "COMPLETED" } })]));
    case "stop-ok":
      res.writeHead(200, { "x-amzn-requestid": "rid-stop", "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": SESSION });
      return void res.end();
    default:
      return json(200, { ok: true });
  }
}

let server: TestServer;
let emulator: Emulator;
beforeAll(async () => {
  server = await startServer(scripted);
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await server.close();
  await emulator.close();
});

interface Produced {
  label: string;
  value: unknown;
  /** Rendered when it was produced: a client or an output may hold more while a call is in flight. */
  renderedThen: string[];
}

/** Runs every scenario with one token, returning what it produced and what it logged. */
async function produceEverything(token: string, emulatorToken: string) {
  const produced: Produced[] = [];
  const logger = new CapturingLogger();
  const clients: RuntimeClient[] = [];
  const client = (config: RuntimeClientConfig) => {
    const c = new RuntimeClient({ logger, logPayloads: true, retryStrategy: fastRetries({ maxAttempts: 2 }), ...config });
    clients.push(c);
    produced.push({ label: "client", value: c, renderedThen: renderings(c) });
    return c;
  };
  const keep = (label: string, value: unknown) => produced.push({ label, value, renderedThen: renderings(value) });
  const mode = (m: string) => ({ "X-Test-Mode": m });

  const withToken = client({ endpoint: server.url, token, idleTimeout: 300 });
  const anonymous = client({ endpoint: server.url, idleTimeout: 300 });
  const run = async (label: string, c: RuntimeClient, command: { input: unknown }) => {
    keep(`${label} command`, command);
    try {
      const out = await c.send(command as any, { idleTimeout: 500 });
      keep(`${label} output`, out);
      const stream = (out as { stream?: AsyncIterable<unknown> }).stream;
      if (stream) {
        keep(`${label} output with its stream open`, out);
        // the events are the agent's own output, delivered as sent; only what the SDK adds is checked
        const { error } = await drain(stream);
        if (error) keep(`${label} stream error`, error);
        keep(`${label} output after the stream`, out);
      }
    } catch (e) {
      keep(`${label} error`, e);
    }
  };

  // scripted failures, with the client's token and with a per-call token
  const invokeModes = ["echo-deep", "echo-headers", "401", "500-html", "429", "424-agent", "reset", "sse-error-event", "sse-inband-json", "sse-reset", "sse-stall", "sse-truncated", "sse-ok", "ok"];
  for (const m of invokeModes) {
    await run(`invoke ${m}`, withToken, new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: mode(m) }));
    await run(`invoke-stream ${m}`, withToken, new InvokeStreamCommand({ runtimeArn: ARN, payload: {}, headers: mode(m) }));
    await run(`invoke per-call ${m}`, anonymous, new InvokeCommand({ runtimeArn: ARN, payload: {}, bearerToken: token, headers: mode(m) }));
  }
  for (const m of ["es-exception", "es-error-frame", "es-no-stop", "es-stall", "es-ok", "echo-deep", "401", "reset"]) {
    await run(`exec ${m}`, withToken, new ExecuteCommandCommand({ runtimeArn: ARN, command: "true", headers: mode(m) }));
    await run(`exec-stream ${m}`, anonymous, new ExecuteCommandStreamCommand({ runtimeArn: ARN, command: "true", bearerToken: token, headers: mode(m) }));
  }
  for (const m of ["stop-ok", "echo-deep", "echo-headers"]) {
    await run(`stop ${m}`, withToken, new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION, headers: mode(m) }));
  }

  // a stream left open while the client is inspected: its socket holds the request that carried the token
  const open = await withToken.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {}, headers: mode("sse-stall") }));
  keep("open stream output", open);
  keep("client with an open stream", withToken);
  const openIterator = open.stream[Symbol.asyncIterator]();
  keep("first event", await openIterator.next());
  keep("client with an open stream after a read", withToken);
  await openIterator.return?.();

  // client-side failures that still saw the token
  await run("insecure endpoint", client({ endpoint: "http://example.com", token }), new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  await run("abort", withToken, new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: mode("sse-stall"), accept: "text/event-stream" }));
  const aborter = new AbortController();
  const aborted = withToken.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {}, headers: mode("sse-stall") }), { abortSignal: aborter.signal });
  const abortedOut = await aborted;
  const pending = drain(abortedOut.stream);
  aborter.abort(new Error(`user aborted with ${token}`));
  keep("aborted stream", await pending);

  // token providers: one whose refresh fails quoting the token, one that throws with it at once, one with a bad value
  let calls = 0;
  const refreshFails: TokenProvider = async ({ forceRefresh }) => {
    calls++;
    if (forceRefresh) throw Object.assign(new Error(`refresh refused: ${token} is revoked`), { token, response: { headers: { authorization: `Bearer ${token}` } } });
    return token;
  };
  await run("provider refresh fails", client({ endpoint: server.url, token: refreshFails }), new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: mode("401") }));
  expect(calls).toBe(2);
  const throwsBearer: TokenProvider = async () => {
    throw new Error(`could not mint: last credential was Bearer ${token}`);
  };
  await run("provider throws", client({ endpoint: server.url, token: throwsBearer }), new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  const badValue: TokenProvider = async () => `${token}\r\nX-Injected: 1`;
  await run("provider bad value", client({ endpoint: server.url, token: badValue }), new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  await run("bad per-call token", anonymous, new InvokeCommand({ runtimeArn: ARN, payload: {}, bearerToken: `${token}\n` }));
  let refreshed = 0;
  const rotating: TokenProvider = async () => (refreshed++ === 0 ? token : `${token}-second`);
  await run("provider rotates after 401", client({ endpoint: server.url, token: rotating }), new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: mode("echo-deep") }));

  // the emulator and its faults (the scripted server above is the one that echoes the token)
  const emu = client({ endpoint: emulator.url, token: emulatorToken, idleTimeout: 300 });
  const emuPerCall = client({ endpoint: emulator.url, idleTimeout: 300 });
  const runtimeArn = emulator.runtimeArn;
  const fault = (spec: string) => ({ "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault": spec });
  let n = 0;
  const session = () => `secrets-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;
  await run("emulator invoke", emu, new InvokeCommand({ runtimeArn, payload: { prompt: "hi" }, sessionId: session() }));
  await run("emulator invoke per-call", emuPerCall, new InvokeCommand({ runtimeArn, payload: { prompt: "hi" }, bearerToken: emulatorToken, sessionId: session() }));
  await run("emulator opaque token", emuPerCall, new InvokeCommand({ runtimeArn, payload: { prompt: "hi" }, bearerToken: OPAQUE, sessionId: session() }));
  await run("emulator stream", emu, new InvokeStreamCommand({ runtimeArn, payload: { prompt: "hello there" }, sessionId: session() }));
  await run("emulator agent fails", emu, new InvokeCommand({ runtimeArn, payload: { prompt: "fail" }, sessionId: session() }));
  await run("emulator agent fails streaming", emu, new InvokeStreamCommand({ runtimeArn, payload: { prompt: "fail" }, sessionId: session() }));
  await run("emulator exec", emu, new ExecuteCommandCommand({ runtimeArn, command: "echo hi", sessionId: session() }));
  await run("emulator exec stream", emu, new ExecuteCommandStreamCommand({ runtimeArn, command: "echo hi", sessionId: session() }));
  await run("emulator stop", emu, new StopSessionCommand({ runtimeArn, sessionId: session() }));
  for (const spec of [
    `error; status=400; type=ValidationException; message=bad request`,
    `error; status=403; type=AccessDeniedException; message=denied`,
    `500; message=oops`,
    "500-html",
    "throttle",
    "reset",
    "drop",
    "stall",
    "corrupt-crc",
    `exception; message=boom`,
    `error-frame; message=frame`,
  ]) {
    await run(`emulator invoke fault ${spec}`, emu, new InvokeCommand({ runtimeArn, payload: { prompt: "a few words here" }, sessionId: session(), headers: fault(spec) }));
    await run(`emulator stream fault ${spec}`, emu, new InvokeStreamCommand({ runtimeArn, payload: { prompt: "a few words here" }, sessionId: session(), headers: fault(spec) }));
    await run(`emulator exec fault ${spec}`, emuPerCall, new ExecuteCommandCommand({ runtimeArn, command: "echo hi", bearerToken: emulatorToken, sessionId: session(), headers: fault(spec) }));
    await run(`emulator exec stream fault ${spec}`, emu, new ExecuteCommandStreamCommand({ runtimeArn, command: "echo hi", sessionId: session(), headers: fault(spec) }));
  }

  for (const c of clients) c.destroy();
  for (const c of clients) keep("destroyed client", c);
  return { produced, logger };
}

describe.each([
  ["an opaque token", OPAQUE],
  ["a JWT-shaped token", JWT],
])("%s is unreachable", (_label, token) => {
  let result: Awaited<ReturnType<typeof produceEverything>>;
  let emulatorToken: string;
  beforeAll(async () => {
    emulatorToken = await emulator.issueToken();
    result = await produceEverything(token, emulatorToken);
  }, 60_000);

  test("the suite produced errors of many kinds", () => {
    const names = new Set(result.produced.filter((p) => p.label.endsWith("error")).map((p) => (p.value as Error).name));
    expect(names.size).toBeGreaterThanOrEqual(10);
  });

  const whileOpen = (p: Produced) => p.label.startsWith("client with an open stream");

  test("no error, output, client or command shows the token, however it is printed", () => {
    const failures: string[] = [];
    for (const { label, value, renderedThen } of result.produced.filter((p) => !whileOpen(p))) {
      try {
        assertNoToken(`${label} (when produced)`, renderedThen, [token, emulatorToken]);
        assertNoToken(`${label} (at the end)`, renderings(value), [token, emulatorToken]);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    expect(failures).toEqual([]);
  });

  test("a client inspected while its stream is open shows no token (its sockets hold the request headers)", () => {
    const open = result.produced.filter(whileOpen);
    expect(open.length).toBe(2);
    const failures: string[] = [];
    for (const { label, renderedThen } of open) {
      try {
        assertNoToken(label, renderedThen, [token, emulatorToken]);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    expect(failures).toEqual([]);
  });

  test("$response is a frozen snapshot of status, headers and the bytes read, not the live response", () => {
    const error = result.produced.find((p) => p.label === "invoke echo-headers error")!.value as { $response?: Record<string, unknown> };
    const response = error.$response!;
    expect(Object.isFrozen(response)).toBe(true);
    for (const key of Reflect.ownKeys(response)) expect(["statusCode", "reason", "headers", "body"]).toContain(key);
    expect(response.statusCode).toBe(403);
    expect(response.body).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(response.body as Uint8Array)).toBe('{"message":"denied"}');
    expect((response.headers as Record<string, string>)["x-echo-raw"]).toBe("[REDACTED]");
    expect(Object.keys(error)).not.toContain("$response");
  });

  test("a redacted error body is a buffer of its own: the bytes it was redacted from are not behind it", async () => {
    // a handler that answers with a string body (it is encoded by the SDK) echoing the token, then a second call
    // whose payload is encoded after it: neither the original text nor other calls' bytes share the copy's buffer
    const echo = { metadata: { handlerProtocol: "http/1.1" }, handle: async () => ({ response: { statusCode: 403, headers: { "content-type": "application/json" }, body: `{"message":"denied for ${token}"}` } }), updateHttpClientConfig() {}, httpHandlerConfigs: () => ({}) };
    const client = new RuntimeClient({ endpoint: "https://127.0.0.1:1", token, requestHandler: echo as never, maxAttempts: 1 });
    const caught = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { n: 1 } })).catch((e: unknown) => e);
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { n: 2 } })).catch(() => undefined);
    const body = (caught as { $response: { body: Uint8Array } }).$response.body;
    expect(new TextDecoder().decode(body)).toBe('{"message":"denied for [REDACTED]"}');
    expect(body.byteOffset).toBe(0);
    expect(body.buffer.byteLength).toBe(body.byteLength);
    assertNoToken("403 with a string body", renderings(caught), [token]);
    client.destroy();
  });

  test("no log line at debug level with payloads shows the token", () => {
    expect(result.logger.lines.length).toBeGreaterThan(50);
    const hits = result.logger.lines.filter((line) => line.includes(token) || line.includes(emulatorToken));
    expect(hits).toEqual([]);
  });
});
