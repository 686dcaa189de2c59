import http from "node:http";
import { InvokeCommand, InvokeStreamCommand, RuntimeClient, type Logger } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";
import { commandFor, fastRetries, rejectionOf, succeed } from "./helpers/resilience";

const OPAQUE = "opaque-token-not-a-jwt-7f3a9c2e";
let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res: http.ServerResponse) => {
    const token = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
    switch (req.headers["x-test-mode"]) {
      case "echo-token-in-error":
        res.writeHead(403, { "content-type": "application/json", "x-amzn-requestid": "rid-403" });
        return void res.end(JSON.stringify({ message: `token ${token} is not allowed`, detail: `Authorization: Bearer ${token}`, fieldList: [{ name: "t", message: token }] }));
      case "echo-token-in-body":
        res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "rid-200" });
        return void res.end(JSON.stringify({ youSent: token }));
      case "busy-once":
        if (server.requests.length === 1) {
          res.writeHead(503, { "x-amzn-requestid": "rid-503" });
          return void res.end();
        }
        return succeed("invoke", res);
      case "sse":
        res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-sse" });
        return void res.end(`data: "${token}"\n\n`);
      default:
        return succeed("invoke", res);
    }
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** Records every call on every level, as a pino-style logger whose methods need their `this`. */
class CapturingLogger implements Logger {
  readonly lines: { level: string; args: unknown[] }[] = [];
  #record(level: string, args: unknown[]) {
    this.lines.push({ level, args });
  }
  debug(...args: unknown[]) {
    this.#record("debug", args);
  }
  info(...args: unknown[]) {
    this.#record("info", args);
  }
  warn(...args: unknown[]) {
    this.#record("warn", args);
  }
  error(...args: unknown[]) {
    this.#record("error", args);
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}`).join("\n");
  }
}

const mode = (m: string) => ({ headers: { "X-Test-Mode": m } });
function setup(token: string, extra: Partial<ConstructorParameters<typeof RuntimeClient>[0]> = {}) {
  const logger = new CapturingLogger();
  const client = new RuntimeClient({ endpoint: server.url, token, logger, retryStrategy: fastRetries(), ...extra });
  return { logger, client };
}

describe.each([
  ["a JWT", TOKEN],
  ["an opaque token", OPAQUE],
])("%s never appears in a log line", (_label, token) => {
  test("request and response lines: Authorization redacted, attempt, timing and request id present", async () => {
    const { logger, client } = setup(token);
    await client.send(commandFor("invoke"));
    client.destroy();
    const text = logger.text();
    expect(text).not.toContain(token);
    expect(logger.lines.map((l) => l.level)).toEqual(["debug", "info"]);
    expect(text).toContain('"Authorization":"[REDACTED]"');
    expect(text).toMatch(/→ InvokeCommand POST http:\/\/127\.0\.0\.1:\d+\/runtimes\/arn%3Aaws%3A.*\/invocations attempt 1/);
    expect(text).toMatch(/← InvokeCommand 200 in \d+ ms attempt 1 requestId rid-ok/);
  });

  test("payloads are not logged unless logPayloads is set", async () => {
    const { logger, client } = setup(token);
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { prompt: "the secret plan" }, ...mode("echo-token-in-body") }));
    client.destroy();
    expect(logger.text()).not.toContain("secret plan");
    expect(logger.text()).not.toContain("youSent");
  });

  test("with logPayloads: request and response payloads appear, the token in them does not", async () => {
    const { logger, client } = setup(token, { logPayloads: true });
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { prompt: "the secret plan", pasted: `Bearer ${token}`, raw: token }, ...mode("echo-token-in-body") }));
    client.destroy();
    const text = logger.text();
    expect(text).toContain("the secret plan");
    expect(text).toContain("youSent");
    expect(text).not.toContain(token);
  });

  test("a token echoed in an error body is in neither the log nor the error", async () => {
    const { logger, client } = setup(token, { logPayloads: true });
    const error = await rejectionOf(client.send(commandFor("invoke", mode("echo-token-in-error"))));
    client.destroy();
    expect(error.name).toBe("AccessDeniedException");
    expect(logger.text()).not.toContain(token);
    expect(logger.text()).toMatch(/✗ InvokeCommand 403 AccessDeniedException in \d+ ms attempt 1 requestId rid-403/);
    for (const shown of [error.message, error.stack, String(error), JSON.stringify(error), JSON.stringify(error.toJSON())]) expect(shown).not.toContain(token);
  });

  test("a per-call bearerToken is redacted the same way", async () => {
    const { logger, client } = setup("client-default-token-abcdef");
    await rejectionOf(client.send(commandFor("invoke", { ...mode("echo-token-in-error"), bearerToken: token })));
    client.destroy();
    expect(logger.text()).not.toContain(token);
  });
});

test("retries: the failed attempt at warn, the retry decision and the successful attempt with its number", async () => {
  const { logger, client } = setup(TOKEN);
  const out = await client.send(commandFor("invoke", mode("busy-once")));
  client.destroy();
  expect(out.$metadata.attempts).toBe(2);
  const summary = logger.lines.map((l) => `${l.level}: ${String(l.args[0])}`);
  expect(summary).toEqual([
    expect.stringMatching(/^debug: agentcore: → InvokeCommand POST .* attempt 1/),
    expect.stringMatching(/^warn: agentcore: ✗ InvokeCommand 503/),
    expect.stringMatching(/^info: agentcore: InvokeCommand attempt 1 failed with \w+; retrying in 0 ms/),
    expect.stringMatching(/^debug: agentcore: → InvokeCommand POST .* attempt 2/),
    expect.stringMatching(/^info: agentcore: ← InvokeCommand 200/),
  ]);
  expect(logger.text()).toContain("requestId rid-503");
});

test("a stream's payload is never read by the logger; its close is logged", async () => {
  const { logger, client } = setup(TOKEN, { logPayloads: true });
  const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode("sse") }));
  for await (const _ of out.stream);
  client.destroy();
  expect(logger.text()).not.toContain(TOKEN);
  expect(logger.lines.at(-1)!.args[0]).toMatch(/InvokeStreamCommand stream closed \d+ ms after attempt 1/);
});

test("console-shaped loggers with only some levels work; nothing is logged without a logger", async () => {
  const lines: string[] = [];
  const partial = { info: (m: string) => lines.push(m) };
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, logger: partial, retryStrategy: fastRetries() });
  await client.send(commandFor("invoke"));
  await rejectionOf(client.send(commandFor("invoke", mode("echo-token-in-error"))));
  client.destroy();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("← InvokeCommand 200");
  const silent = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  await silent.send(commandFor("invoke"));
  silent.destroy();
});
