/**
 * Retry decisions where the outcome is known or the input is out of range (from a review of the retry code, each
 * reproduced against a server on 127.0.0.1 first): a connection that failed partway through the response head
 * (the agent ran: an invoke went out twice), an agent's in-stream ThrottlingException (classed "throttling" by
 * retryClassOf), a custom strategy's Infinity delay (send() never settled and held nothing, so Node exited
 * mid-await), a strategy's maxAttempts out of range (a retry storm), errors raised before any attempt (no
 * `$metadata.attempts`), and a hung token provider that kept a finished script alive for 30 s.
 */
import type { ServerResponse } from "node:http";
import {
  AgentRuntimeError,
  InvokeCommand,
  InvokeStreamCommand,
  retryClassOf,
  RuntimeClient,
  standardRetryStrategy,
  StopSessionCommand,
  type RetryStrategy,
} from "@agentcore-runtime/client";
import { runNodeScript } from "./helpers/child";
import { rejectionOf } from "./helpers/resilience";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";


describe("a connection that fails partway through the response head: the request reached the agent", () => {
  // what the server writes before it drops the connection: response bytes, but never a whole head
  const heads = [
    ["the status line", "HTTP/1.1 200 OK\r\n"],
    ["the status line and half a header", "HTTP/1.1 200 OK\r\nContent-Type: text/event-str"],
    ["a 503's status line", "HTTP/1.1 503 Service Unavailable\r\n"],
  ] as const;
  let server: TestServer;
  let head = "";
  beforeAll(async () => {
    server = await startServer(async (req) => {
      req.socket.write(head);
      await new Promise((r) => setTimeout(r, 20));
      req.socket.destroy();
    });
  });
  afterAll(() => server.close());

  test.each(heads)("after %s, an invoke is not sent again (it was: twice, and the call succeeded)", async (_label, bytes) => {
    head = bytes;
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const before = server.requests.length;
    const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: { prompt: "transfer $100" } })));
    client.destroy();
    expect(server.requests.length - before).toBe(1);
    expect(error.name).toBe("NetworkError");
    expect((error as { beforeResponse?: boolean }).beforeResponse).toBeUndefined();
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/bytes of the response head: .*the request reached the agent/);
    expect(retryClassOf(error)).toBe("unknownOutcome");
    expect(error.$metadata.attempts).toBe(1);
  });

  test("a stop (idempotent by its clientToken) is still retried, with the same clientToken", async () => {
    head = heads[0][1];
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: standardRetryStrategy({ maxAttempts: 3, baseDelay: 1 }) });
    const before = server.requests.length;
    const error = await rejectionOf(client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION })));
    client.destroy();
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => JSON.parse(r.body.toString()).clientToken)).size).toBe(1);
    expect(error.name).toBe("NetworkError");
    expect(error.$metadata.attempts).toBe(3);
  });

  test("a handler's failure that names no cause (Cloudflare Workers' fetch: Error('Network connection lost.')) is an unknown outcome: a stop is retried, an invoke is not", async () => {
    // workerd's fetch rejects with a plain Error and no errno code, for a refused or reset connection alike; it was
    // reported as failing before a response (claiming the request never left) and no operation retried it,
    // though RETRIES.md retries a stop after any transient failure
    head = "";
    const workersFetch = {
      async handle(request: any) {
        const url = `${request.protocol}//${request.hostname}:${request.port}${request.path}`;
        try {
          const response = await fetch(url, { method: request.method, headers: request.headers, body: request.body });
          return { response: { statusCode: response.status, headers: Object.fromEntries(response.headers), body: response.body } };
        } catch {
          throw new Error("Network connection lost.");
        }
      },
    };
    const options = { endpoint: server.url, token: TOKEN, requestHandler: workersFetch as any, retryStrategy: standardRetryStrategy({ maxAttempts: 3, baseDelay: 1 }) };
    const client = new RuntimeClient(options);
    let before = server.requests.length;
    const stop = await rejectionOf(client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION })));
    expect(server.requests.length - before).toBe(3);
    expect(stop.name).toBe("NetworkError");
    expect((stop as { beforeResponse?: boolean }).beforeResponse).toBeUndefined();
    expect(retryClassOf(stop)).toBe("unknownOutcome");
    expect(stop.message).toMatch(/Network connection lost\.\): a network error; it may have reached the agent/);
    before = server.requests.length;
    const invoke = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    expect(server.requests.length - before).toBe(1);
    expect(invoke.$metadata.attempts).toBe(1);
    client.destroy();
  });

  test("a reset before any response byte is still retried for an invoke", async () => {
    head = "";
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: standardRetryStrategy({ maxAttempts: 2, baseDelay: 1 }) });
    const before = server.requests.length;
    const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    client.destroy();
    expect(server.requests.length - before).toBe(2);
    expect((error as { beforeResponse?: boolean }).beforeResponse).toBe(true);
    expect(retryClassOf(error)).toBe("connection");
  });
});

describe("an agent's own error inside a 200 stream has no retry class, whatever its name", () => {
  let server: TestServer;
  let errorType = "";
  beforeAll(async () => {
    server = await startServer((_req, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: "hi"\n\nevent: error\ndata: ${JSON.stringify({ error: "busy", error_type: errorType, message: "slow down" })}\n\n`);
    });
  });
  afterAll(() => server.close());

  test.each(["ThrottlingException", "RetryableConflictException", "ServiceUnavailableException"])("%s (retryClassOf said throttling or conflict)", async (name) => {
    errorType = name;
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const before = server.requests.length;
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
    const events: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const event of stream) events.push(event);
      } catch (e) {
        return e as AgentRuntimeError;
      }
      throw new Error("expected the stream to fail");
    })();
    client.destroy();
    expect(events).toHaveLength(1);
    expect(error.name).toBe(name);
    expect(retryClassOf(error)).toBeUndefined();
    expect(error.retryable).toBe(false);
    expect(server.requests.length - before).toBe(1);
  });
});

describe("a strategy's bounds", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_req, res) => {
      res.writeHead(503, { "content-type": "application/json", "x-amzn-errortype": "ServiceUnavailableException" });
      res.end(JSON.stringify({ message: "busy" }));
    });
  });
  afterAll(() => server.close());

  test.each([Infinity, NaN, undefined])("a retryDelay of %p gives up at once (Infinity: send() never settled)", async (delay) => {
    const strategy: RetryStrategy = { maxAttempts: 3, retryDelay: () => delay };
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: strategy });
    const before = server.requests.length;
    const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    client.destroy();
    expect(error.statusCode).toBe(503);
    expect(server.requests.length - before).toBe(1);
    expect(error.$metadata).toMatchObject({ attempts: 1, totalRetryDelay: 0 });
  });

  test.each([Infinity, 1000, 101, 0, -1, 2.5, NaN, undefined, "3"])("retryStrategy.maxAttempts %p is refused at construction (it sent hundreds of requests)", (maxAttempts) => {
    expect(() => new RuntimeClient({ retryStrategy: { maxAttempts: maxAttempts as number, retryDelay: () => 0 } })).toThrow(
      expect.objectContaining({ name: "InvalidParameterError", field: "retryStrategy.maxAttempts" }),
    );
  });

  test("retryStrategy.maxAttempts 100 and 1 are taken", () => {
    for (const maxAttempts of [1, 100]) new RuntimeClient({ retryStrategy: { maxAttempts, retryDelay: () => 0 } }).destroy();
  });

  test.each([
    ["maxAttempts", { maxAttempts: 1000 }],
    ["maxAttempts", { maxAttempts: 0 }],
    ["maxAttempts", { maxAttempts: Infinity }],
  ])("standardRetryStrategy refuses %s out of range: %p", (field, options) => {
    expect(() => standardRetryStrategy(options)).toThrow(expect.objectContaining({ name: "InvalidParameterError", field }));
  });
});

describe("errors raised before any attempt say so in $metadata (it was {})", () => {
  let server: TestServer;
  let client: RuntimeClient;
  beforeAll(async () => {
    server = await startServer((_req, res) => {
      res.end("{}");
    });
    client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  test.each([
    ["a bad ARN", () => client.send(new InvokeCommand({ runtimeArn: "not-an-arn", payload: {} }))],
    ["a bad payload", () => client.send(new InvokeCommand({ runtimeArn: ARN, payload: new Map() }))],
    ["a bad send option", () => client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { deadline: -1 })],
    ["a signal already aborted", () => client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { abortSignal: AbortSignal.abort() })],
  ])("%s: attempts 0, totalRetryDelay 0", async (_label, send) => {
    const before = server.requests.length;
    const error = await rejectionOf(send());
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(error.$metadata).toMatchObject({ attempts: 0, totalRetryDelay: 0 });
    expect(server.requests.length).toBe(before);
  });

  test("a token provider that throws: attempts 0 (nothing went out)", async () => {
    const before = server.requests.length;
    const failing = new RuntimeClient({ endpoint: server.url, token: async () => Promise.reject(new Error("identity provider down")) });
    const error = await rejectionOf(failing.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    failing.destroy();
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(error.$metadata.attempts).toBe(0);
    expect(server.requests.length).toBe(before);
  });

  test("an http endpoint that is not loopback: attempts 0 (the token was never sent)", async () => {
    const error = await rejectionOf(new RuntimeClient({ endpoint: "http://agent.invalid:8080", token: TOKEN }).send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    expect(error.name).toBe("InsecureEndpointError");
    expect(error.$metadata).toMatchObject({ attempts: 0, totalRetryDelay: 0 });
  });

  test("a destroyed client: attempts 0", async () => {
    const gone = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    gone.destroy();
    const error = await rejectionOf(gone.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    expect(error.$metadata).toMatchObject({ attempts: 0, totalRetryDelay: 0 });
  });
});

describe("$metadata.attempts counts the requests handed to the HTTP handler", () => {
  let server: TestServer;
  let plan: number[] = [];
  beforeAll(async () => {
    server = await startServer((_req, res) => {
      const status = plan.shift() ?? 200;
      res.writeHead(status, { "content-type": "application/json", ...(status === 401 ? { "x-amzn-errortype": "UnauthorizedException" } : {}) });
      res.end(status === 200 ? "{}" : '{"message":"no"}');
    });
  });
  afterAll(() => server.close());

  test("a 401 refresh counts its two requests even when a middleware below retry drops args.sent", async () => {
    plan = [401, 401];
    const before = server.requests.length;
    const client = new RuntimeClient({ endpoint: server.url, token: async () => TOKEN });
    client.middlewareStack.addRelativeTo(
      (next: any) => (args: any) => {
        const { sent: _dropped, ...rest } = args;
        return next(rest);
      },
      { relation: "after", toMiddleware: "retryMiddleware", name: "dropsSent" },
    );
    const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    client.destroy();
    expect(error.name).toBe("UnauthorizedException");
    expect(server.requests.length - before).toBe(2);
    expect(error.$metadata.attempts).toBe(2);
  });

  test("an output after an attempt refused on the way (a token provider a custom strategy retried) says 1", async () => {
    plan = [];
    const before = server.requests.length;
    let asked = 0;
    const client = new RuntimeClient({
      endpoint: server.url,
      token: async () => {
        if (asked++ === 0) throw new Error("identity provider down");
        return TOKEN;
      },
      retryStrategy: { maxAttempts: 2, retryDelay: () => 0 },
    });
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    client.destroy();
    expect(server.requests.length - before).toBe(1);
    expect(out.$metadata.attempts).toBe(1);
  });
});

describe("a token provider that never settles does not keep a finished script alive (it did, for 30 s)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  afterAll(() => server.close());

  // the child prints how long after its start it exited; the provider's bound is 30 s
  const script = (body: string) => `
    const { RuntimeClient, InvokeCommand } = require("@agentcore-runtime/client");
    const t0 = Date.now();
    process.on("exit", () => console.log("exit " + (Date.now() - t0)));
    (async () => {
      ${body}
    })().catch((e) => { console.log("unexpected " + e.name); process.exitCode = 3; });`;

  test("a call that gave up waiting for it", async () => {
    const child = await runNodeScript(
      script(`
      const client = new RuntimeClient({ endpoint: ${JSON.stringify(server.url)}, token: () => new Promise(() => {}) });
      const e = await client.send(new InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, payload: {} }), { abortSignal: AbortSignal.timeout(100) }).then(() => undefined, (e) => e);
      console.log("ended " + e.name);`),
      { timeoutMs: 45_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.stdout).toMatch(/^ended DeadlineExceededError\nexit \d+\n$/);
    expect(Number(/exit (\d+)/.exec(child.stdout)![1])).toBeLessThan(10_000);
    expect(child.status).toBe(0);
  }, 60_000);

  test("a refresh in the background, after the call succeeded with the current token", async () => {
    const child = await runNodeScript(
      script(`
      let n = 0;
      const token = async () => (++n === 1 ? { token: "tok-1", expiresAt: new Date(Date.now() + 2000) } : new Promise(() => {}));
      const client = new RuntimeClient({ endpoint: ${JSON.stringify(server.url)}, token });
      await client.send(new InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, payload: {} }));
      await new Promise((r) => setTimeout(r, 1100)); // past the refresh point, half of the 2 s lifetime
      const out = await client.send(new InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, payload: {} }));
      console.log("ok " + out.statusCode + " " + n);`),
      { timeoutMs: 45_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.stdout).toMatch(/^ok 200 2\nexit \d+\n$/);
    expect(Number(/exit (\d+)/.exec(child.stdout)![1])).toBeLessThan(10_000);
    expect(child.status).toBe(0);
  }, 60_000);
});
