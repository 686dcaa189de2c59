/**
 * Secrets that servers echo back (bearer tokens, OAuth client secrets and token-endpoint tokens, SigV4 secret keys and
 * session tokens) must not reach a log line, an error message, JSON.stringify(error), or anything
 * util.inspect(x, { showHidden: true, depth: Infinity }) can reach. Real servers on 127.0.0.1 only.
 *
 * Tests named "(was a leak)" each failed before its fix and show where the secret surfaced; the others confirm
 * tricky cases are safe.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { format, inspect } from "node:util";
import {
  connectWebSocket,
  fromOAuthClientCredentials,
  getWebSocketConnection,
  InvokeCommand,
  InvokeStreamCommand,
  openShell,
  RuntimeClient,
  type Logger,
  type TokenProvider,
} from "@agentcore-runtime/client";
import { sigv4Auth } from "@agentcore-runtime/client/sigv4";
import { ARN, SESSION, startServer, type TestServer } from "./helpers/server";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { WebSocketServer } = require("ws") as typeof import("ws");

const OPAQUE = "tok-SECRET-opaque-123";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzOC1yZXZpZXcifQ.czgtc2VjcmV0LXNpZ25hdHVyZQ";
const STICKY = "eyJhbGciOiJIUzI1NiJ9.eyJzdGlja3kiOjF9.c3RpY2t5LWNvb2tpZQ";

/** Every way a user prints a value: String, stack, JSON, inspect with hidden fields at any depth, %o, and the cause's JSON. */
function renderings(x: unknown): string {
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
  attempt(() => inspect(x, { showHidden: true, depth: Infinity }));
  attempt(() => format("%o", x));
  const cause = (x as { cause?: unknown } | undefined)?.cause;
  if (cause !== undefined && cause !== null) attempt(() => JSON.stringify(cause));
  return out.join("\n");
}

/** The secrets among `secrets` that show in `text`, with some context, for a readable failure. */
function shown(text: string, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const s of secrets) {
    const at = text.indexOf(s);
    if (at >= 0) hits.push(`${s} in …${text.slice(Math.max(0, at - 120), at + s.length + 20)}…`);
  }
  return hits;
}

class Lines implements Logger {
  readonly lines: string[] = [];
  debug = (...a: unknown[]) => void this.lines.push(format(...a));
  info = (...a: unknown[]) => void this.lines.push(format(...a));
  warn = (...a: unknown[]) => void this.lines.push(format(...a));
  error = (...a: unknown[]) => void this.lines.push(format(...a));
}

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

// ---------------------------------------------------------------------------------------------------------------
// OAuth client credentials: the client secret as the SDK itself encodes it on the wire
// ---------------------------------------------------------------------------------------------------------------

describe("OAuth client credentials", () => {
  // Entra ID (Azure AD) client secrets contain '~' and '.'; URLSearchParams sends '~' as %7E
  const CLIENT_ID = "s8-client";
  const SECRET = "Qx8Q~s8SECRETvalue.abc_DEF-ghi~jkl";
  const FORM_ENCODED = new URLSearchParams({ v: SECRET }).toString().slice(2);
  let server: TestServer;
  let reply: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void = () => undefined;

  beforeAll(async () => {
    server = await startServer((req, res, recorded) => reply(req, res, recorded.body.toString()));
  });
  afterAll(() => server.close());

  test("the encoded form differs from the raw secret (the precondition of the next tests)", () => {
    expect(FORM_ENCODED).not.toBe(SECRET);
    expect(FORM_ENCODED).toContain("%7E");
  });

  test("(was a leak) client_secret_post: a 400 whose non-JSON body echoes the posted form puts the form-encoded secret in the error message", async () => {
    reply = (_req, res, body) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(`Bad request: could not parse ${body}`);
    };
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET, clientAuthentication: "client_secret_post" });
    const error = await rejection(provider({ forceRefresh: false }) as Promise<unknown>);
    expect(error.name).toBe("TokenProviderError");
    // the raw secret is removed; the form-encoded one the SDK itself sent is not
    expect(shown(renderings(error), [SECRET, FORM_ENCODED])).toEqual([]);
  });

  test("(was a leak) client_secret_post: an OAuth error_description quoting the posted client_secret parameter", async () => {
    reply = (_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "invalid_client", error_description: `client_secret=${FORM_ENCODED} does not match` }));
    };
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET, clientAuthentication: "client_secret_post" });
    const error = await rejection(provider({ forceRefresh: false }) as Promise<unknown>);
    expect(error.oauthError).toBe("invalid_client");
    expect(shown(renderings(error), [SECRET, FORM_ENCODED])).toEqual([]);
  });

  test("(was a leak) client_secret_basic (the default): an error_description quoting the decoded Basic credential (id:secret, form-encoded per RFC 6749)", async () => {
    reply = (req, res) => {
      const decoded = Buffer.from(String(req.headers.authorization ?? "").replace(/^Basic\s+/i, ""), "base64").toString();
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "invalid_client", error_description: `unknown client credentials ${decoded}` }));
    };
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET });
    const error = await rejection(provider({ forceRefresh: false }) as Promise<unknown>);
    expect(error.message).toContain("unknown client credentials");
    expect(shown(renderings(error), [SECRET, FORM_ENCODED])).toEqual([]);
  });

  test("(was a leak) client_secret_post: a fetch whose error carries the request (as fetch wrappers' errors do) keeps the form-encoded secret in `cause`", async () => {
    const throwing: typeof fetch = async (url, init) => {
      throw Object.assign(new TypeError("fetch failed"), { request: { url: String(url), method: init?.method, headers: init?.headers, body: init?.body } });
    };
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET, clientAuthentication: "client_secret_post", fetch: throwing });
    const error = await rejection(provider({ forceRefresh: false }) as Promise<unknown>);
    expect(error.name).toBe("TokenProviderError");
    expect(shown(renderings(error), [SECRET, FORM_ENCODED])).toEqual([]);
  });

  test("client_secret_basic: the same throwing fetch is scrubbed (Basic credential and raw secret are known)", async () => {
    const throwing: typeof fetch = async (url, init) => {
      throw Object.assign(new TypeError("fetch failed"), { request: { url: String(url), headers: init?.headers, body: init?.body } });
    };
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET, fetch: throwing });
    const error = await rejection(provider({ forceRefresh: false }) as Promise<unknown>);
    const basic = Buffer.from(`${CLIENT_ID}:${FORM_ENCODED}`).toString("base64");
    expect(shown(renderings(error), [SECRET, FORM_ENCODED, basic])).toEqual([]);
  });

  test("the provider function itself shows nothing of its options (closure state is unreachable)", () => {
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET });
    const client = new RuntimeClient({ endpoint: server.url, token: provider });
    expect(shown(renderings(provider) + renderings(client) + renderings(client.config) + renderings(client.middlewareStack), [SECRET, FORM_ENCODED])).toEqual([]);
    client.destroy();
  });

  test("(was a leak) a token-endpoint error body carrying a refresh_token that its error_description quotes", async () => {
    const REFRESH = "rt-SECRET-opaque-refresh-456";
    reply = (_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "invalid_grant", error_description: `refresh token ${REFRESH} was revoked`, refresh_token: REFRESH }));
    };
    const provider = fromOAuthClientCredentials({ tokenUrl: `${server.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET });
    const error = await rejection(provider({ forceRefresh: false }) as Promise<unknown>);
    // the access_token of the same body would be removed (tokens.oauth.test.ts); a refresh_token is not
    expect(shown(renderings(error), [REFRESH])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// SigV4: the session token echoed by a 200, with logPayloads
// ---------------------------------------------------------------------------------------------------------------

describe("SigV4", () => {
  const CREDS = { accessKeyId: "ASIAS8REVIEW0000001", secretAccessKey: "s8SECRETaccessKey/abc+0123456789abcdefghij", sessionToken: "s8SESSIONtoken//opaque-0123456789==" };
  let server: TestServer;
  let mode = "echo-200";
  beforeAll(async () => {
    server = await startServer((req, res) => {
      const echo = { sawToken: req.headers["x-amz-security-token"], sawAuthorization: req.headers.authorization };
      if (mode === "echo-200") {
        res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "rid-s8" });
        return void res.end(JSON.stringify(echo));
      }
      res.writeHead(400, { "content-type": "application/json", "x-amzn-errortype": "ValidationException" });
      res.end(JSON.stringify({ message: `bad token ${echo.sawToken}`, ...echo }));
    });
  });
  afterAll(() => server.close());

  function client(logger: Logger) {
    const c = new RuntimeClient({ endpoint: server.url, logger, logPayloads: true, maxAttempts: 1 });
    c.middlewareStack.use(sigv4Auth({ credentials: CREDS }));
    return c;
  }

  test("(was a leak) with logPayloads, a 200 body echoing X-Amz-Security-Token puts the session token in the response log line", async () => {
    mode = "echo-200";
    const logger = new Lines();
    const c = client(logger);
    const out = await c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, accept: "application/json" }));
    // the output is the agent's own reply (it really did echo it): only the SDK's log line is in question
    expect((out.json as { sawToken?: string }).sawToken).toBe(CREDS.sessionToken);
    c.destroy();
    // the bearer path removes the attempt's token from this line (logger.redaction.test.ts); SigV4's is not
    expect(shown(logger.lines.join("\n"), [CREDS.sessionToken, CREDS.secretAccessKey])).toEqual([]);
  });

  test("a 400 echoing the session token: error and log lines are clean (the SigV4 middleware redacts before the logger)", async () => {
    mode = "echo-400";
    const logger = new Lines();
    const c = client(logger);
    const error = await rejection(c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })));
    c.destroy();
    expect(error.name).toBe("ValidationException");
    expect(shown(renderings(error) + logger.lines.join("\n") + renderings(c), [CREDS.sessionToken, CREDS.secretAccessKey])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Bearer over HTTPS calls: what the SDK adds to a successful output
// ---------------------------------------------------------------------------------------------------------------

describe("bearer: outputs and errors", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      const mode = String(req.headers["x-test-mode"] ?? "");
      if (mode === "rid-echo") {
        res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": token, "x-amzn-trace-id": `Root=1-abc;Self=${token}`, baggage: `t=${token}`, "mcp-session-id": token });
        return void res.end(JSON.stringify({ ok: true }));
      }
      if (mode === "bad-head") {
        // a malformed response (an invalid header line) whose bytes quote the token: Node's parse error keeps them
        req.socket.end(`HTTP/1.1 401 Unauthorized\r\nX-Echo: ${token}\r\nBad Header Line ${token}\r\n\r\n`);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  afterAll(() => server.close());

  test.each([
    ["(was a leak) an opaque", OPAQUE],
    ["(safe) a JWT-shaped", JWT],
  ])("%s token echoed in x-amzn-requestid, x-amzn-trace-id, baggage and mcp-session-id of a 200 does not reach the output", async (_label, token) => {
    const c = new RuntimeClient({ endpoint: server.url, token, maxAttempts: 1 });
    const out = await c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, headers: { "X-Test-Mode": "rid-echo" } }));
    c.destroy();
    // serde.ts metadataFrom() redacts by pattern only ("nothing shaped like a credential is copied from it")
    expect(shown(renderings(out), [token])).toEqual([]);
    // the rest of each value is the server's, as sent
    expect(out).toMatchObject({ traceId: "Root=1-abc;Self=[REDACTED]", baggage: "t=[REDACTED]", $metadata: { requestId: "[REDACTED]" }, json: { ok: true } });
  });

  test("a malformed response quoting the token: Node's parse error (rawPacket bytes included) is redacted in the NetworkError", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: OPAQUE, maxAttempts: 1 });
    const error = await rejection(c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, headers: { "X-Test-Mode": "bad-head" } })));
    c.destroy();
    expect(error.name).toBe("NetworkError");
    const raw = error.cause?.rawPacket as Uint8Array | undefined;
    expect(raw).toBeInstanceOf(Uint8Array);
    // inspect prints bytes as numbers: the packet is decoded to see the text it carries
    expect(shown(renderings(error) + Buffer.from(raw!).toString("latin1"), [OPAQUE])).toEqual([]);
  });

  test("a token provider: non-string results, CR/LF, an Error quoting an earlier token; client, config, stack, command before/after", async () => {
    let n = 0;
    const provider: TokenProvider = async ({ forceRefresh }) => {
      n++;
      if (n === 1) return OPAQUE;
      if (forceRefresh) throw new Error(`refresh failed; ${OPAQUE} is revoked`, { cause: new Error(`inner ${OPAQUE}`) });
      return OPAQUE;
    };
    const denied = await startServer((_req, res) => {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": `Bearer realm="x", error="invalid_token", token="${OPAQUE}"`, "set-cookie": `s=${OPAQUE}; Path=/` });
      res.end(JSON.stringify({ message: `token ${OPAQUE} expired` }));
    });
    const c = new RuntimeClient({ endpoint: denied.url, token: provider, maxAttempts: 1 });
    const command = new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} });
    const before = renderings(command);
    const error = await rejection(c.send(command));
    expect(error.name).toBe("TokenProviderError");
    const texts = [before, renderings(command), renderings(error), renderings(c), renderings(c.config), renderings(c.middlewareStack), renderings(error.$response)];
    for (const bad of [42, { access_token: OPAQUE }, `${OPAQUE}\r\nX: 1`, "", ` ${OPAQUE}`]) {
      const c2 = new RuntimeClient({ endpoint: denied.url, token: async () => bad as string, maxAttempts: 1 });
      texts.push(renderings(await rejection(c2.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })))));
      c2.destroy();
    }
    c.destroy();
    await denied.close();
    expect(shown(texts.join("\n"), [OPAQUE])).toEqual([]);
  });

  test("a 401 echoing the token in www-authenticate, set-cookie and the body: error, $response (body decoded) and cause chain are clean", async () => {
    const denied = await startServer((req, res) => {
      const token = String(req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      res.writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": `Bearer realm="x", error="invalid_token", token="${token}"`,
        "set-cookie": [`s=${token}; Path=/`, `t=${encodeURIComponent(token)}`],
      });
      res.end(`Unauthorized: ${token}`);
    });
    const texts: string[] = [];
    for (const token of [OPAQUE, JWT]) {
      const c = new RuntimeClient({ endpoint: denied.url, token, maxAttempts: 1 });
      const error = await rejection(c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })));
      expect(error.name).toBe("UnauthorizedException");
      texts.push(renderings(error), renderings(error.$response), Buffer.from(error.$response.body).toString());
      c.destroy();
    }
    await denied.close();
    expect(shown(texts.join("\n"), [OPAQUE, JWT])).toEqual([]);
  });

  test("a user middleware outside bearer auth (initialize, build, finalizeRequest high) sees no token in args, context or errors", async () => {
    const denied = await startServer((req, res) => {
      res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" });
      res.end(JSON.stringify({ message: `denied ${req.headers.authorization}` }));
    });
    const c = new RuntimeClient({ endpoint: denied.url, token: OPAQUE, maxAttempts: 1 });
    const seen: string[] = [];
    const spy = (step: string) => (next: any, context: any) => async (args: any) => {
      seen.push(renderings(args), renderings(context));
      try {
        return await next(args);
      } catch (e) {
        seen.push(`${step}: ${renderings(e)}`);
        throw e;
      }
    };
    c.middlewareStack.add(spy("initialize"), { step: "initialize", name: "s8-init" });
    c.middlewareStack.add(spy("build"), { step: "build", name: "s8-build" });
    c.middlewareStack.add(spy("finalize-high"), { step: "finalizeRequest", name: "s8-high", priority: "high" });
    await rejection(c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, bearerToken: OPAQUE })));
    c.destroy();
    await denied.close();
    expect(seen.length).toBeGreaterThan(5);
    expect(shown(seen.join("\n"), [OPAQUE])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// WebSockets and shells against a real `ws` server on 127.0.0.1
// ---------------------------------------------------------------------------------------------------------------

describe("WebSockets and shells", () => {
  let httpServer: http.Server;
  let url: string;
  let wss: InstanceType<typeof WebSocketServer>;
  beforeAll(async () => {
    httpServer = http.createServer();
    wss = new WebSocketServer({ server: httpServer });
    // a proxy that echoes the credential in the 101 response
    wss.on("headers", (headers, req) => {
      const token = String(req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      if (token) headers.push(`X-Echo-Token: ${token}`);
      // a sticky-session cookie that merely looks like a token: the server's, kept as sent
      headers.push(`Set-Cookie: AWSALB=${STICKY}; Path=/`);
    });
    wss.on("connection", (socket, req) => {
      const token = String(req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
      const status = (body: unknown) => socket.send(Buffer.concat([Buffer.from([0x03]), Buffer.from(JSON.stringify(body))]));
      if ((req.url ?? "").includes("/ws/shells") && String(req.headers["x-amzn-bedrock-agentcore-runtime-custom-mode"]) === "fail-later") {
        // confirmed, then the shell fails with a STATUS quoting the token, then a normal close
        status({ status: "Success", metadata: { reconnected: false, bytesDropped: 0 } });
        setTimeout(() => {
          status({ status: "Failure", reason: "InternalError", code: 500, message: `shell crashed holding ${token}` });
          socket.close(1000);
        }, 20);
        return;
      }
      if ((req.url ?? "").includes("/ws/shells")) {
        // the shell is refused in a STATUS frame whose message quotes the token
        const status = { status: "Failure", reason: "Unauthorized", code: 403, message: `shell refused for token ${token}` };
        socket.send(Buffer.concat([Buffer.from([0x03]), Buffer.from(JSON.stringify(status))]));
        return;
      }
      socket.on("message", (data) => socket.send(data));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });

  test.each([
    ["(was a leak) an opaque", OPAQUE],
    ["(safe) a JWT-shaped", JWT],
  ])("%s token in a shell's failure STATUS message reaches openShell's rejection", async (_label, token) => {
    const client = new RuntimeClient({ endpoint: url, token });
    const error = await rejection(openShell(client, { runtimeArn: ARN, sessionId: SESSION }, { reconnect: false, heartbeatIntervalMs: 0 }));
    client.destroy();
    expect(String(error.message)).toContain("shell refused for token");
    // HTTP in-band errors get the call's tokens removed (bearerAuth mapErrors); shell STATUS errors do not
    expect(shown(renderings(error), [token])).toEqual([]);
  });

  test("(was a leak) a STATUS failure after the shell was confirmed: shell.exit rejects with the token, and inspect(shell) shows it", async () => {
    const client = new RuntimeClient({ endpoint: url, token: OPAQUE });
    const shell = await openShell(client, { runtimeArn: ARN, sessionId: SESSION, headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Mode": "fail-later" } }, { reconnect: false, heartbeatIntervalMs: 0 });
    const error = await rejection(shell.exit);
    const inspectedShell = inspect(shell, { showHidden: true, depth: Infinity });
    client.destroy();
    expect(String(error.message)).toContain("shell crashed holding");
    expect({ error: shown(renderings(error), [OPAQUE]), shell: shown(inspectedShell, [OPAQUE]) }).toEqual({ error: [], shell: [] });
  });

  test("(was a leak) a token echoed in a 101 response header is kept raw in connection.responseHeaders (reached by inspect); a token-like cookie stays", async () => {
    const client = new RuntimeClient({ endpoint: url, token: OPAQUE });
    const ws = await connectWebSocket(client, { runtimeArn: ARN, sessionId: SESSION });
    const text = renderings(ws);
    ws.close();
    await ws.closed;
    client.destroy();
    // an error's $response.headers would carry [REDACTED] for the same header
    expect(shown(text, [OPAQUE])).toEqual([]);
    expect(ws.responseHeaders["x-echo-token"]).toBe("[REDACTED]");
    expect(ws.responseHeaders["set-cookie"]).toBe(`AWSALB=${STICKY}; Path=/`);
  });

  test("getWebSocketConnection: inspect (showHidden, depth Infinity, %o) hides the token; JSON keeps it, as documented", async () => {
    const client = new RuntimeClient({ endpoint: url, token: OPAQUE });
    const info = await getWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, client);
    const inspected = [inspect(info, { showHidden: true, depth: Infinity }), format("%o", info), inspect({ nested: [info] }, { showHidden: true, depth: Infinity })].join("\n");
    expect(shown(inspected, [OPAQUE, Buffer.from(OPAQUE).toString("base64url")])).toEqual([]);
    // documented: "JSON.stringify keeps it, to hand it to a page"; the headers/protocols objects themselves carry it by design
    expect(JSON.stringify(info)).toContain(OPAQUE);
    expect(info.headers.Authorization).toBe(`Bearer ${OPAQUE}`);
    client.destroy();
  });
});
