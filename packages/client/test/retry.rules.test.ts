import http from "node:http";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";
import { DEFAULT_RETRY, InvokeCommand, RuntimeClient, type RetryOptions } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, until, type TestServer } from "./helpers/server";
import { closedPort, commandFor, fastRetries, frame, rejectionOf, succeed, type Op } from "./helpers/resilience";

type Failure = (res: http.ServerResponse, req: http.IncomingMessage) => void;
let server: TestServer;
/** How the server fails the first `failures` requests of a test before answering like the service. */
let fail: Failure;
let failures = 0;
let op: Op = "invoke";

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (server.requests.length <= failures) fail(res, req);
    else succeed(op, res);
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  failures = 1;
});

function client(options: { retry?: RetryOptions; maxAttempts?: number; endpoint?: string; requestHandler?: HttpHandler } = {}) {
  const { retry, maxAttempts, ...rest } = options;
  return new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries({ retry, maxAttempts }), ...rest });
}

async function run(o: Op, failure: Failure, options: Parameters<typeof client>[0] = {}) {
  op = o;
  fail = failure;
  const c = client(options);
  try {
    const out = await c.send(commandFor(o)).then(
      (output) => ({ output, error: undefined }),
      (error) => ({ output: undefined, error }),
    );
    return { ...out, requests: server.requests.length };
  } finally {
    c.destroy();
  }
}

const reply =
  (status: number, body: unknown = "", headers: Record<string, string> = {}): Failure =>
  (res) => {
    res.writeHead(status, { "content-type": typeof body === "string" ? "text/html" : "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
const typed = (status: number, name: string, message = "failed") =>
  reply(status, { message }, { "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazonaws.bedrockagentcore/` });

const CASES: [string, keyof typeof DEFAULT_RETRY.stop, Failure][] = [
  ["429 ThrottlingException", "throttling", typed(429, "ThrottlingException", "Rate exceeded")],
  ["409 RetryableConflictException", "conflict", typed(409, "RetryableConflictException", "Session operation in progress, please retry")],
  ["502 from a gateway (HTML body)", "gateway", reply(502, "<html><body>Bad Gateway</body></html>")],
  ["503 Service Unavailable", "unavailable", reply(503, "<html>Service Unavailable</html>")],
  ["504 Gateway Timeout", "gateway", reply(504, "<html>Gateway Timeout</html>")],
  ["500 InternalServerException", "serverError", typed(500, "InternalServerException")],
  ["424 RuntimeClientError", "coldStart", typed(424, "RuntimeClientError", "Runtime initialization time exceeded")],
];
const OPS: Op[] = ["invoke", "commands", "stop"];

describe("default retry rules per operation (DEFAULT_RETRY), counted by the server", () => {
  const table = CASES.flatMap(([label, cls, failure]) => OPS.map((o) => [label, o, DEFAULT_RETRY[o][cls], failure] as const));
  test.each(table)("%s on %s: retried = %s", async (_label, o, retried, failure) => {
    const r = await run(o, failure);
    if (retried) {
      expect(r.error).toBeUndefined();
      expect(r.requests).toBe(2);
      expect(r.output.$metadata).toMatchObject({ attempts: 2, httpStatusCode: 200 });
    } else {
      expect(r.error?.statusCode).toBeGreaterThanOrEqual(400);
      expect(r.requests).toBe(1);
      expect(r.error.$metadata.attempts).toBe(1);
    }
  });

  test("the defaults: 500 and 424 only for stop (idempotent); commands never after a response that may follow a started command", () => {
    expect(DEFAULT_RETRY.stop.serverError && DEFAULT_RETRY.stop.coldStart).toBe(true);
    expect([DEFAULT_RETRY.invoke.serverError, DEFAULT_RETRY.invoke.coldStart, DEFAULT_RETRY.commands.serverError, DEFAULT_RETRY.commands.coldStart]).toEqual([false, false, false, false]);
    expect([DEFAULT_RETRY.commands.gateway, DEFAULT_RETRY.commands.connection, DEFAULT_RETRY.commands.requestTimeout]).toEqual([false, false, false]);
  });
});

test("a plain 409 ConflictException is not retried, on any operation", async () => {
  for (const o of OPS) {
    server.requests.length = 0;
    const r = await run(o, typed(409, "ConflictException", "Conflict"));
    expect(r.error?.name).toBe("ConflictException");
    expect(r.requests).toBe(1);
  }
});

test("a client error (400, 403, 404) is never retried", async () => {
  for (const status of [400, 403, 404]) {
    server.requests.length = 0;
    const r = await run("stop", reply(status, { message: "no" }));
    expect(r.error.statusCode).toBe(status);
    expect(r.requests).toBe(1);
  }
});

describe("retry classes can be switched on or off", () => {
  test("retry: { serverError: true } retries 500 for invoke and commands", async () => {
    for (const o of ["invoke", "commands"] as const) {
      server.requests.length = 0;
      const r = await run(o, typed(500, "InternalServerException"), { retry: { serverError: true } });
      expect(r.error).toBeUndefined();
      expect(r.requests).toBe(2);
    }
  });

  test("retry: { coldStart: true } retries 424 for invoke", async () => {
    const r = await run("invoke", typed(424, "RuntimeClientError"), { retry: { coldStart: true } });
    expect(r.requests).toBe(2);
  });

  test("a per-operation switch wins over the global one: { gateway: true, invoke: { gateway: false } }", async () => {
    const options = { retry: { gateway: true, invoke: { gateway: false } } };
    expect((await run("invoke", reply(502, "bad")  , options)).requests).toBe(1);
    server.requests.length = 0;
    expect((await run("commands", reply(502, "bad"), options)).requests).toBe(2);
  });

  test("retry: { throttling: false } turns a default class off", async () => {
    const r = await run("stop", typed(429, "ThrottlingException"), { retry: { throttling: false } });
    expect(r.error.name).toBe("ThrottlingException");
    expect(r.requests).toBe(1);
  });

  test("maxAttempts bounds the attempts; the last error carries $metadata.attempts", async () => {
    failures = 100;
    const three = await run("stop", reply(503, "down"));
    expect(three.requests).toBe(3);
    expect(three.error.$metadata).toMatchObject({ attempts: 3, httpStatusCode: 503 });
    server.requests.length = 0;
    const five = await run("stop", reply(503, "down"), { maxAttempts: 5 });
    expect(five.requests).toBe(5);
    server.requests.length = 0;
    const one = await run("stop", reply(503, "down"), { maxAttempts: 1 });
    expect(one.requests).toBe(1);
  });

  test("the default client (no retryStrategy) makes 3 attempts", async () => {
    failures = 100;
    op = "stop";
    fail = reply(503, "down", { "retry-after-ms": "1" });
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const error = await rejectionOf(c.send(commandFor("stop")));
    c.destroy();
    expect(server.requests.length).toBe(3);
    expect(error.$metadata.attempts).toBe(3);
  });
});

describe("connection failures before any response byte", () => {
  /** Counts every attempt the client hands to the real Node handler. */
  function countingHandler() {
    const inner = new NodeHttpHandler({});
    const counter = { n: 0, handler: undefined as unknown as HttpHandler };
    counter.handler = {
      handle: (request: any, options: any) => {
        counter.n++;
        return inner.handle(request, options);
      },
      destroy: () => inner.destroy(),
    } as unknown as HttpHandler;
    return counter;
  }

  test.each(OPS)("ECONNREFUSED on a closed port is retried for %s (nothing was sent)", async (o) => {
    const port = await closedPort();
    const counter = countingHandler();
    const c = client({ endpoint: `http://127.0.0.1:${port}`, requestHandler: counter.handler });
    const error = await rejectionOf(c.send(commandFor(o)));
    c.destroy();
    expect(error).toMatchObject({ name: "NetworkError", code: "ECONNREFUSED", beforeResponse: true });
    expect(counter.n).toBe(3);
    expect(error.$metadata.attempts).toBe(3);
  });

  const destroyBeforeResponse: Failure = (res) => res.socket!.destroy();
  test.each(OPS.map((o) => [o, DEFAULT_RETRY[o].connection] as const))(
    "ECONNRESET (socket destroyed before the response) on %s: retried = %s",
    async (o, retried) => {
      const r = await run(o, destroyBeforeResponse);
      if (retried) {
        expect(r.error).toBeUndefined();
        expect(r.requests).toBe(2);
      } else {
        expect(r.error).toMatchObject({ name: "NetworkError", code: "ECONNRESET", beforeResponse: true });
        expect(r.requests).toBe(1);
      }
    },
  );

  test("retry: { commands: { connection: true } } opts commands in", async () => {
    const r = await run("commands", destroyBeforeResponse, { retry: { commands: { connection: true } } });
    expect(r.error).toBeUndefined();
    expect(r.requests).toBe(2);
  });
});

test.each(OPS)("%s: the session id, client token and invocation id are identical on every attempt; each attempt is signed", async (o) => {
  failures = 2;
  const r = await run(o, reply(503, "busy"));
  expect(r.requests).toBe(3);
  const sessions = new Set(server.requests.map((q) => q.headers["x-amzn-bedrock-agentcore-runtime-session-id"]));
  expect(sessions.size).toBe(1);
  expect([...sessions][0]).toMatch(/^.{33,256}$/);
  expect(new Set(server.requests.map((q) => q.headers["amz-sdk-invocation-id"])).size).toBe(1);
  expect(server.requests.map((q) => q.headers["amz-sdk-request"])).toEqual(["attempt=1; max=3", "attempt=2; max=3", "attempt=3; max=3"]);
  expect(server.requests.every((q) => q.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(new Set(server.requests.map((q) => q.body.toString("hex"))).size).toBe(1);
  if (o === "stop") expect(JSON.parse(server.requests[0].body.toString()).clientToken).toMatch(/^[0-9a-f-]{36}$/);
});

describe("never retried once the agent answered 2xx", () => {
  test("a connection dropped mid-SSE surfaces in for-await; the server saw exactly 1 request", async () => {
    const { InvokeStreamCommand } = await import("@agentcore-runtime/client");
    fail = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: "one"\n\n');
      setTimeout(() => res.socket!.destroy(), 20);
    };
    failures = 100;
    const c = client();
    const out = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    const seen: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const e of out.stream) seen.push(e.text);
      })(),
    );
    c.destroy();
    expect(seen).toEqual(["one"]);
    expect(error.name).toBe("NetworkError");
    expect(error.beforeResponse).toBeUndefined();
    expect(server.requests.length).toBe(1);
  });

  test("a dropped buffered InvokeCommand body is not retried either (the agent ran)", async () => {
    fail = (res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"partial":');
      setTimeout(() => res.socket!.destroy(), 20);
    };
    failures = 100;
    const r = await run("invoke", fail, { retry: { connection: true, serverError: true } });
    expect(r.error.name).toBe("NetworkError");
    expect(r.requests).toBe(1);
  });

  test("an in-band ThrottlingException (SSE error event) is the agent's, not the service's: not retried", async () => {
    failures = 100;
    fail = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end('data: "partial"\n\ndata: {"error": "model throttled", "error_type": "ThrottlingException", "message": "Too many tokens"}\n\n');
    };
    const r = await run("invoke", fail);
    expect(r.error.name).toBe("ThrottlingException");
    expect(r.requests).toBe(1);
  });

  test("an event-stream throttlingException frame after contentStart is not retried (the command started)", async () => {
    failures = 100;
    fail = (res) => {
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
      res.end(Buffer.concat([frame({ contentStart: {} }), frame({ message: "slow down" }, { ":message-type": "exception", ":exception-type": "throttlingException", ":content-type": "application/json" })]));
    };
    const r = await run("commands", fail);
    expect(r.error.name).toBe("ThrottlingException");
    expect(r.requests).toBe(1);
  });
});

test("an error body too large to read is cancelled, not left pinning the connection, and the retry succeeds", async () => {
  let closed = false;
  fail = (res) => {
    res.on("close", () => (closed = true));
    res.writeHead(503, { "content-type": "text/html" });
    const chunk = "x".repeat(64 * 1024);
    // 4 MiB, past the client's 1 MiB error-body limit
    for (let i = 0; i < 64; i++) res.write(chunk);
  };
  const r = await run("invoke", fail);
  expect(r.error).toBeUndefined();
  expect(r.requests).toBe(2);
  await until(() => closed, 5000);
});

test("only RuntimeClient errors are retried: a custom strategy sees operation and attempt", async () => {
  failures = 2;
  op = "invoke";
  fail = reply(500, "oops");
  const seen: [string, number, string][] = [];
  const c = new RuntimeClient({
    endpoint: server.url,
    token: TOKEN,
    retryStrategy: {
      maxAttempts: 4,
      retryDelay: (error, attempt, operation) => {
        seen.push([error.name, attempt, operation]);
        return 0;
      },
    },
  });
  const out = await c.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  c.destroy();
  expect(out.$metadata.attempts).toBe(3);
  expect(seen).toEqual([
    ["InternalServerException", 1, "invoke"],
    ["InternalServerException", 2, "invoke"],
  ]);
});
