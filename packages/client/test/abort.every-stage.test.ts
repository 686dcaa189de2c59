import http from "node:http";
import { getEventListeners } from "node:events";
import { InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, until, type TestServer } from "./helpers/server";
import { commandFor, fastRetries, rejectionOf, succeed } from "./helpers/resilience";

let server: TestServer;
let open = 0;
beforeAll(async () => {
  server = await startServer((req, res: http.ServerResponse) => {
    open++;
    res.on("close", () => open--);
    switch (req.headers["x-test-mode"]) {
      case "never-answer":
        return;
      case "stall-after-first-event":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return void res.write('data: "first"\n\n');
      case "busy":
        res.writeHead(503, { "retry-after-ms": "5000" });
        return void res.end();
      case "error":
        res.writeHead(404, { "content-type": "application/json" });
        return void res.end('{"message":"no such runtime"}');
      case "sse":
        res.writeHead(200, { "content-type": "text/event-stream" });
        return void res.end('data: "a"\n\ndata: "b"\n\n');
      default:
        return succeed("stop", res);
    }
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const mode = (m: string) => ({ headers: { "X-Test-Mode": m } });
const listeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

describe("abort at every stage: AbortError with the signal's reason as cause, never retried", () => {
  test("before sending: nothing reaches the server and the token provider is not asked", async () => {
    let asked = 0;
    const c = new RuntimeClient({
      endpoint: server.url,
      token: async () => {
        asked++;
        return TOKEN;
      },
    });
    const controller = new AbortController();
    const reason = new Error("changed my mind");
    controller.abort(reason);
    const error = await rejectionOf(c.send(commandFor("stop"), { abortSignal: controller.signal }));
    c.destroy();
    expect(error).toMatchObject({ name: "AbortError", cause: reason, $fault: "client" });
    expect(server.requests.length).toBe(0);
    expect(asked).toBe(0);
  });

  test("while the token provider is still fetching", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: () => new Promise(() => undefined) });
    const controller = new AbortController();
    const pending = c.send(commandFor("stop"), { abortSignal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort("user cancelled");
    const error = await rejectionOf(pending);
    c.destroy();
    expect(error).toMatchObject({ name: "AbortError", cause: "user cancelled" });
    expect(server.requests.length).toBe(0);
  });

  test("while waiting for headers, even for idempotent stop; the server sees the connection closed", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries() });
    const controller = new AbortController();
    const reason = new Error("too slow");
    const pending = c.send(commandFor("stop", mode("never-answer")), { abortSignal: controller.signal });
    await until(() => server.requests.length === 1);
    controller.abort(reason);
    const error = await rejectionOf(pending);
    expect(error).toMatchObject({ name: "AbortError", cause: reason });
    expect(error.$metadata.attempts).toBe(1);
    await until(() => open === 0, 5000);
    c.destroy();
    expect(server.requests.length).toBe(1);
  });

  test("mid-body: the pending read rejects, the events before it were delivered", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries() });
    const controller = new AbortController();
    const reason = new Error("enough");
    const out = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode("stall-after-first-event") }), {
      abortSignal: controller.signal,
    });
    const seen: string[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const e of out.stream) {
          seen.push(e.text);
          controller.abort(reason);
        }
      })(),
    );
    expect(seen).toEqual(["first"]);
    expect(error).toMatchObject({ name: "AbortError", cause: reason });
    await until(() => open === 0, 5000);
    c.destroy();
    expect(server.requests.length).toBe(1);
  });

  test("during a retry backoff: rejects at once, no further attempt", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const controller = new AbortController();
    const pending = c.send(commandFor("stop", mode("busy")), { abortSignal: controller.signal });
    await until(() => server.requests.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    controller.abort();
    const error = await rejectionOf(pending);
    c.destroy();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.name).toBe("AbortError");
    expect(error.cause).toBe(controller.signal.reason);
    expect((error.cause as Error).name).toBe("AbortError");
    expect(server.requests.length).toBe(1);
  });
});

describe("no listener is left on a long-lived AbortSignal", () => {
  const longLived = new AbortController();
  const signal = longLived.signal;
  let c: RuntimeClient;
  beforeAll(() => {
    c = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries() });
  });
  afterAll(() => c.destroy());

  test("after success, an error response, retries, a drained stream and a broken-off stream", async () => {
    expect(listeners(signal)).toBe(0);
    for (let i = 0; i < 5; i++) await c.send(commandFor("stop"), { abortSignal: signal });
    expect(listeners(signal)).toBe(0);

    await rejectionOf(c.send(commandFor("stop", mode("error")), { abortSignal: signal }));
    expect(listeners(signal)).toBe(0);

    const retrying = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries() });
    await rejectionOf(retrying.send(commandFor("stop", { headers: { "X-Test-Mode": "busy" } }), { abortSignal: signal }));
    retrying.destroy();
    expect(listeners(signal)).toBe(0);

    const drained = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode("sse") }), { abortSignal: signal });
    expect(listeners(signal)).toBe(1);
    for await (const _ of drained.stream);
    expect(listeners(signal)).toBe(0);

    const broken = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode("stall-after-first-event") }), { abortSignal: signal });
    for await (const _ of broken.stream) break;
    expect(listeners(signal)).toBe(0);

    const cancelled = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode("stall-after-first-event") }), { abortSignal: signal });
    await cancelled.stream.cancel();
    expect(listeners(signal)).toBe(0);
  });

  test("after an idle timeout, a deadline and a request timeout", async () => {
    const idle = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...mode("stall-after-first-event") }), {
      abortSignal: signal,
      idleTimeout: 30,
      // the header wait is bounded by requestTimeout, not by the tiny idle value
      requestTimeout: 10_000,
    });
    await rejectionOf((async () => {
      for await (const _ of idle.stream);
    })());
    expect(listeners(signal)).toBe(0);

    await rejectionOf(c.send(commandFor("stop", mode("never-answer")), { abortSignal: signal, deadline: 30 }));
    expect(listeners(signal)).toBe(0);

    await rejectionOf(c.send(commandFor("invoke", mode("never-answer")), { abortSignal: signal, requestTimeout: 30 }));
    expect(listeners(signal)).toBe(0);
    expect(signal.aborted).toBe(false);
  });
});
