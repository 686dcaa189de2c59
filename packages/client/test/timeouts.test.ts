import http from "node:http";
import { Duplex } from "node:stream";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";
import { ClientErrorNames, InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, until, type TestServer } from "./helpers/server";
import { commandFor, fastRetries, rejectionOf, succeed } from "./helpers/resilience";

let server: TestServer;
const TRICKLE_EVENTS = 30;
const timers = new Set<ReturnType<typeof setTimeout>>();
beforeAll(async () => {
  server = await startServer((req, res: http.ServerResponse) => {
    const mine = new Set<ReturnType<typeof setTimeout>>();
    res.on("close", () => mine.forEach((t) => clearTimeout(t)));
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
      mine.add(t);
    };
    switch (req.headers["x-test-mode"]) {
      case "slow-headers":
        // headers only after 15 s, far past every client limit the tests set (the timer is cleared when the client gives up)
        return later(15_000, () => succeed("stop", res));
      case "stall-after-first-event":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return void res.write('data: "first"\n\n');
      case "trickle":
        // an event every 100 ms for 3 s: never idle for long, but slow overall
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (let i = 0; i < TRICKLE_EVENTS; i++) later(100 * i, () => res.write(`data: "${i}"\n\n`));
        return later(100 * TRICKLE_EVENTS + 20, () => res.end());
      case "busy":
        res.writeHead(503, { "retry-after-ms": "20000" });
        return void res.end();
      default:
        return succeed("stop", res);
    }
  });
});
afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const headers = (mode: string) => ({ headers: { "X-Test-Mode": mode } });
const fast = (extra: ConstructorParameters<typeof RuntimeClient>[0] = {}) =>
  new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries(), ...extra });

test("the timeout errors have distinct names", () => {
  const names = [ClientErrorNames.connectionTimeout, ClientErrorNames.requestTimeout, ClientErrorNames.idleTimeout, ClientErrorNames.deadline];
  expect(names).toEqual(["ConnectionTimeoutError", "RequestTimeoutError", "IdleTimeoutError", "DeadlineExceededError"]);
});

describe("connectionTimeout → ConnectionTimeoutError", () => {
  /** The real Node handler, over an agent whose socket never finishes connecting (no network involved). */
  function neverConnecting(connectionTimeout: number): { handler: HttpHandler; sockets: () => number } {
    let sockets = 0;
    const agent = new http.Agent({ keepAlive: false });
    (agent as unknown as { createConnection: () => Duplex }).createConnection = () => {
      sockets++;
      const socket = new Duplex({ read() {}, write() {} });
      Object.assign(socket, { connecting: true });
      return socket;
    };
    return { handler: new NodeHttpHandler({ connectionTimeout, httpAgent: agent }) as unknown as HttpHandler, sockets: () => sockets };
  }

  test("the Node handler's connect timer maps to ConnectionTimeoutError, retried (nothing was sent)", async () => {
    const { handler, sockets } = neverConnecting(40);
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN, requestHandler: handler, connectionTimeout: 40, retryStrategy: fastRetries() });
    const started = Date.now();
    const error = await rejectionOf(c.send(commandFor("commands")));
    c.destroy();
    expect(error).toMatchObject({ name: "ConnectionTimeoutError", beforeResponse: true, $fault: "client" });
    expect(error.message).toContain("40 ms");
    expect(sockets()).toBe(3);
    expect(error.$metadata.attempts).toBe(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("a handler that rejects with a connect TimeoutError maps the same way; an ECONNRESET TimeoutError does not", async () => {
    const failing = (error: Error): HttpHandler => ({ handle: async () => Promise.reject(error) }) as unknown as HttpHandler;
    const connect = Object.assign(new Error("the request socket did not establish a connection with the server within 10 ms"), { name: "TimeoutError" });
    const c1 = new RuntimeClient({ endpoint: server.url, requestHandler: failing(connect), maxAttempts: 1 });
    expect(await rejectionOf(c1.send(commandFor("invoke")))).toMatchObject({ name: "ConnectionTimeoutError" });
    // @smithy/node-http-handler renames ECONNRESET errors to TimeoutError; that is a reset, not a connect timeout
    const reset = Object.assign(new Error("connect ECONNRESET 127.0.0.1:1"), { name: "TimeoutError", code: "ECONNRESET" });
    const c2 = new RuntimeClient({ endpoint: server.url, requestHandler: failing(reset), maxAttempts: 1 });
    expect(await rejectionOf(c2.send(commandFor("invoke")))).toMatchObject({ name: "NetworkError", code: "ECONNRESET" });
  });
});

describe("requestTimeout (until response headers) → RequestTimeoutError", () => {
  test("invoke: not retried by default (the agent may be running)", async () => {
    const c = fast({ requestTimeout: 50 });
    const started = Date.now();
    const error = await rejectionOf(c.send(commandFor("invoke", headers("slow-headers"))));
    c.destroy();
    expect(error).toMatchObject({ name: "RequestTimeoutError" });
    // well below the 15 s the server takes to answer
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests.length).toBe(1);
  });

  test("stop: retried (idempotent), every attempt under its own timer", async () => {
    const c = fast({ requestTimeout: 50 });
    const error = await rejectionOf(c.send(commandFor("stop", headers("slow-headers"))));
    c.destroy();
    expect(error.name).toBe("RequestTimeoutError");
    expect(server.requests.length).toBe(3);
  });

  test("a per-send requestTimeout overrides the client's", async () => {
    const c = fast({ requestTimeout: 5000 });
    const error = await rejectionOf(c.send(commandFor("invoke", headers("slow-headers")), { requestTimeout: 30 }));
    c.destroy();
    expect(error.name).toBe("RequestTimeoutError");
    // the per-send 30 ms fired, not the client's 5000 ms
    expect(error.message).toContain("within 30 ms (requestTimeout)");
  });

  test("headers in time: the timer is cleared and does not fire during a long body", async () => {
    // headers come at once; the body takes 3 s, far longer than the 1 s requestTimeout
    const c = fast({ requestTimeout: 1000 });
    const out = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...headers("trickle") }));
    const seen: string[] = [];
    for await (const e of out.stream) seen.push(e.text);
    c.destroy();
    expect(seen).toHaveLength(TRICKLE_EVENTS);
  });
});

describe("idleTimeout (silence between body chunks) → IdleTimeoutError", () => {
  test("stream: the events before the silence are delivered, then IdleTimeoutError; not retried", async () => {
    const c = fast({ idleTimeout: 60, requestTimeout: 10_000 });
    const out = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...headers("stall-after-first-event") }));
    const seen: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const e of out.stream) seen.push(e.text);
      })(),
    );
    c.destroy();
    expect(seen).toEqual(["first"]);
    expect(error.name).toBe("IdleTimeoutError");
    expect(server.requests.length).toBe(1);
  });

  test("buffered invoke: IdleTimeoutError, not retried", async () => {
    const c = fast();
    const error = await rejectionOf(c.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...headers("stall-after-first-event") }), { idleTimeout: 60, requestTimeout: 10_000 }));
    c.destroy();
    expect(error.name).toBe("IdleTimeoutError");
    expect(server.requests.length).toBe(1);
  });

  test("a steady trickle is never idle, however long the whole body takes", async () => {
    // events 100 ms apart, the whole body 3 s: never idle for 1 s, but three times as long overall
    const c = fast({ idleTimeout: 1000, requestTimeout: 10_000 });
    const started = Date.now();
    const out = await c.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...headers("trickle") }));
    c.destroy();
    expect(out.events).toHaveLength(TRICKLE_EVENTS);
    expect(Date.now() - started).toBeGreaterThan(1000);
  });

  test("defaults: 300 s for invoke and stop, the command's timeout + 30 s for commands; send options override, config raises", async () => {
    const seen: (number | undefined)[] = [];
    const c = fast();
    c.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        seen.push(context.idleTimeout);
        return next(args);
      },
      { step: "finalizeRequest", name: "peekIdleTimeout" },
    );
    await c.send(commandFor("invoke"));
    await c.send(commandFor("stop"));
    await c.send(commandFor("commands")).catch(() => undefined);
    await c.send(commandFor("commands", { timeout: 5 })).catch(() => undefined);
    await c.send(commandFor("commands", { timeout: 5 }), { idleTimeout: 1234 }).catch(() => undefined);
    c.destroy();
    const configured = fast({ idleTimeout: 4321 });
    configured.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        seen.push(context.idleTimeout);
        return next(args);
      },
      { step: "finalizeRequest", name: "peekIdleTimeout" },
    );
    await configured.send(commandFor("commands", { timeout: 5 })).catch(() => undefined);
    await configured.send(commandFor("invoke")).catch(() => undefined);
    configured.destroy();
    // a client-wide idleTimeout applies as is to invoke, and never below timeout + 30 s for commands
    expect(seen).toEqual([300_000, 300_000, 330_000, 35_000, 1234, 35_000, 4321]);
  });
});

describe("deadline (the whole call) → DeadlineExceededError", () => {
  test("while waiting for headers", async () => {
    const c = fast({ deadline: 80 });
    const started = Date.now();
    const error = await rejectionOf(c.send(commandFor("stop", headers("slow-headers"))));
    c.destroy();
    expect(error.name).toBe("DeadlineExceededError");
    // well below the 15 s the server takes to answer
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests.length).toBe(1);
  });

  test("mid-stream, although the body is never idle for long", async () => {
    // events every 100 ms for 3 s, never idle for 1 s; the 1 s deadline ends the call part way
    const c = fast({ idleTimeout: 1000, requestTimeout: 10_000 });
    const out = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...headers("trickle") }), { deadline: 1000 });
    const seen: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const e of out.stream) seen.push(e.text);
      })(),
    );
    c.destroy();
    expect(error.name).toBe("DeadlineExceededError");
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThan(TRICKLE_EVENTS);
  });

  test("during a retry backoff, with the attempts so far on $metadata", async () => {
    // the server asks for a 20 s backoff; the 1 s deadline ends the call during it
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN, deadline: 1000 });
    const started = Date.now();
    const error = await rejectionOf(c.send(commandFor("stop", headers("busy"))));
    c.destroy();
    expect(error.name).toBe("DeadlineExceededError");
    expect(error.$metadata.attempts).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests.length).toBe(1);
  });

  test("a call that finishes in time leaves the deadline unfired", async () => {
    // watch the deadline timer itself rather than sleeping past a short deadline
    const set = jest.spyOn(global, "setTimeout");
    const cleared = jest.spyOn(global, "clearTimeout");
    try {
      const c = fast({ deadline: 2000 });
      const out = await c.send(commandFor("stop"));
      const deadlineTimers = set.mock.calls.flatMap(([, ms], i) => (ms === 2000 ? [set.mock.results[i].value] : []));
      expect(deadlineTimers).toHaveLength(1);
      // cleared once the call finished (before destroy), so it can never fire
      await until(() => cleared.mock.calls.some(([t]) => t === deadlineTimers[0]), 1000);
      c.destroy();
      expect(out.statusCode).toBe(200);
    } finally {
      set.mockRestore();
      cleared.mockRestore();
    }
  });
});

describe("defaults that keep a call from hanging", () => {
  test("without requestTimeout, the idle timeout also bounds the wait for response headers", async () => {
    const client = fast({ idleTimeout: 150, maxAttempts: 1 });
    const started = Date.now();
    const error = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...headers("slow-headers") })).catch((e) => e);
    expect(error.name).toBe("RequestTimeoutError");
    expect(error.message).toContain("idleTimeout");
    // well below the 15 s the server takes to answer
    expect(Date.now() - started).toBeLessThan(5000);
    client.destroy();
  });

  test("a client-wide idleTimeout shorter than a command's timeout does not cut the command short", async () => {
    const { ExecuteCommandCommand } = await import("@agentcore-runtime/client");
    const seen: number[] = [];
    const client = fast({ idleTimeout: 100, maxAttempts: 1 });
    // observe the idle timeout each command resolved to, without waiting for it
    client.middlewareStack.add(
      (next, context) => async (args) => {
        seen.push((context as { idleTimeout?: number }).idleTimeout!);
        throw new Error("stop here");
      },
      { step: "build", name: "peek" },
    );
    await client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "sleep 600", timeout: 900 })).catch(() => undefined);
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })).catch(() => undefined);
    await client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "x" }), { idleTimeout: 50 }).catch(() => undefined);
    expect(seen).toEqual([930_000, 100, 50]);
    client.destroy();
  });
});
