import http from "node:http";
import { AgentRuntimeError, RuntimeClient, standardRetryStrategy } from "@agentcore-runtime/client";
import { startServer, TOKEN, type TestServer } from "./helpers/server";
import { commandFor, fastRetries, rejectionOf, succeed } from "./helpers/resilience";

let server: TestServer;
let headers: Record<string, string> = {};
let status = 429;
let failures = 1;

beforeAll(async () => {
  server = await startServer((_req, res: http.ServerResponse) => {
    if (server.requests.length > failures) return succeed("stop", res);
    res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": status === 429 ? "ThrottlingException" : "ServiceUnavailableException", ...headers });
    res.end(JSON.stringify({ message: "slow down" }));
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  headers = {};
  status = 429;
  failures = 1;
});

async function sleepsFor(strategy: Parameters<typeof fastRetries>[0] & { sleeps: number[] }) {
  const c = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: fastRetries(strategy) });
  try {
    return await c.send(commandFor("stop")).then(
      (out) => out.$metadata,
      (e) => e.$metadata,
    );
  } finally {
    c.destroy();
  }
}

describe("Retry-After and retry-after-ms replace the jittered backoff", () => {
  test("Retry-After in seconds", async () => {
    headers = { "Retry-After": "2" };
    const sleeps: number[] = [];
    const meta = await sleepsFor({ sleeps });
    expect(sleeps).toEqual([2000]);
    expect(meta).toMatchObject({ attempts: 2, totalRetryDelay: 2000 });
  });

  test("Retry-After as an HTTP date, against the strategy's clock", async () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    headers = { "Retry-After": "Wed, 21 Oct 2015 07:28:03 GMT" };
    const sleeps: number[] = [];
    await sleepsFor({ sleeps, now: () => now });
    expect(sleeps).toEqual([3000]);
  });

  // a zero, negative, past or malformed value must never turn retries into a zero-delay storm
  test.each<[Record<string, string>, string]>([
    [{ "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" }, "an HTTP date in the past"],
    [{ "Retry-After": "-5" }, "negative seconds"],
    [{ "Retry-After": "0" }, "zero seconds"],
    [{ "retry-after-ms": "0" }, "zero ms"],
    [{ "retry-after-ms": "-100" }, "negative ms"],
    [{ "retry-after-ms": "1e3", "Retry-After": "-1" }, "malformed ms and negative seconds"],
    [{ "Retry-After": "NaN" }, "NaN"],
  ])("%p (%s) falls back to the normal backoff", async (h) => {
    headers = h;
    const sleeps: number[] = [];
    await sleepsFor({ sleeps, random: () => 0.5 });
    expect(sleeps).toEqual([250]);
  });

  test("retry-after-ms wins over Retry-After", async () => {
    headers = { "retry-after-ms": "150", "Retry-After": "9" };
    const sleeps: number[] = [];
    await sleepsFor({ sleeps });
    expect(sleeps).toEqual([150]);
  });

  test("a server's wait is capped at maxDelay", async () => {
    headers = { "Retry-After": "3600" };
    const sleeps: number[] = [];
    await sleepsFor({ sleeps, maxDelay: 5000 });
    expect(sleeps).toEqual([5000]);
  });

  test("an unreadable Retry-After falls back to the backoff", async () => {
    headers = { "Retry-After": "soon" };
    const sleeps: number[] = [];
    await sleepsFor({ sleeps, random: () => 0.5 });
    // throttling: full jitter over [0, 500) on the first retry
    expect(sleeps).toEqual([250]);
  });

  test("the real timer waits what the server asked (retry-after-ms: 60)", async () => {
    headers = { "retry-after-ms": "60" };
    const c = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const started = Date.now();
    const out = await c.send(commandFor("stop"));
    c.destroy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(out.$metadata).toMatchObject({ attempts: 2, totalRetryDelay: 60 });
  });
});

describe("exponential backoff with full jitter", () => {
  test("random at its top: each wait stays under base·2^(n-1) (503: base 100)", async () => {
    status = 503;
    failures = 100;
    const sleeps: number[] = [];
    const meta = await sleepsFor({ sleeps, maxAttempts: 6, random: () => 0.999999 });
    expect(sleeps).toEqual([99, 199, 399, 799, 1599]);
    expect(meta).toMatchObject({ attempts: 6, totalRetryDelay: sleeps.reduce((a, b) => a + b) });
  });

  test("random at 0: no wait at all (full jitter starts at zero)", async () => {
    status = 503;
    failures = 100;
    const sleeps: number[] = [];
    await sleepsFor({ sleeps, maxAttempts: 4, random: () => 0 });
    expect(sleeps).toEqual([0, 0, 0]);
  });

  test("throttling backs off from 500 ms, and every wait is capped at maxDelay", async () => {
    failures = 100;
    const sleeps: number[] = [];
    await sleepsFor({ sleeps, maxAttempts: 6, random: () => 0.5, maxDelay: 3000 });
    expect(sleeps).toEqual([250, 500, 1000, 1500, 1500]);
  });

  test("the bounds hold for any random draw", () => {
    const strategy = standardRetryStrategy({ random: Math.random });
    const e = new AgentRuntimeError({ message: "unavailable", statusCode: 503 });
    for (let attempt = 1; attempt <= 8; attempt++) {
      for (let i = 0; i < 200; i++) {
        const d = strategy.retryDelay(e, attempt, "invoke")!;
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(20_000, 100 * 2 ** (attempt - 1)));
      }
    }
  });
});

test("abort during a server-requested wait rejects at once with AbortError and no retry", async () => {
  headers = { "retry-after-ms": "5000" };
  const c = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const controller = new AbortController();
  const reason = new Error("stop waiting");
  const pending = c.send(commandFor("stop"), { abortSignal: controller.signal });
  while (server.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  controller.abort(reason);
  const error = await rejectionOf(pending);
  c.destroy();
  expect(Date.now() - started).toBeLessThan(2000);
  expect(error).toMatchObject({ name: "AbortError", cause: reason });
  expect(error.$metadata.attempts).toBe(1);
  expect(server.requests.length).toBe(1);
});

test("a call aborted during a backoff reports the attempts made and only the waits completed", async () => {
  status = 503;
  failures = 100;
  const controller = new AbortController();
  const sleeps: number[] = [];
  const strategy = standardRetryStrategy({
    maxAttempts: 5,
    random: () => 0.5,
    // the first wait completes; the caller aborts during the second
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (sleeps.length === 2) {
        controller.abort();
        throw signal.reason;
      }
    },
  });
  const c = new RuntimeClient({ endpoint: server.url, token: TOKEN, retryStrategy: strategy });
  try {
    const error = (await rejectionOf(c.send(commandFor("stop"), { abortSignal: controller.signal }))) as AgentRuntimeError;
    expect(error.name).toBe("AbortError");
    expect(sleeps).toEqual([50, 100]);
    expect(error.$metadata).toMatchObject({ attempts: 2, totalRetryDelay: 50 });
  } finally {
    c.destroy();
  }
});
