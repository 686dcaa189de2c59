/**
 * Hostile and odd cases of retries, Retry-After, timers, send() options, the token memo and the 401 refresh, against
 * real HTTP servers on 127.0.0.1 through the public API. Each test guards against hangs with its own timeout.
 */
import { getMaxListeners } from "node:events";
import http from "node:http";
import { spawn, type ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import {
  ExecuteCommandCommand,
  fromOAuthClientCredentials,
  InvokeCommand,
  RuntimeClient,
  standardRetryStrategy,
  StopSessionCommand,
  type TokenProvider,
} from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, type TestServer } from "./helpers/server";
import { closedPort, commandFor, rejectionOf, succeed, type Op } from "./helpers/resilience";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The standard strategy with the real abortable timer and a controllable jitter. */
const realRetries = (o: Parameters<typeof standardRetryStrategy>[0] = {}) => standardRetryStrategy({ random: () => 0, ...o });

/** The runtime: per test, `handle` answers each request (default: success for `op`). */
let server: TestServer;
let handle: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;
let op: Op = "stop";
const clients: RuntimeClient[] = [];
function client(config: ConstructorParameters<typeof RuntimeClient>[0] = {}): RuntimeClient {
  const c = new RuntimeClient({ endpoint: server.url, ...config });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startServer((req, res) => handle(req, res));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  op = "stop";
  handle = (_req, res) => succeed(op, res);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

const bearer = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
const unauthorized = (res: http.ServerResponse) => {
  res.writeHead(401, { "content-type": "application/json", "x-amzn-errortype": "UnauthorizedException" });
  res.end(JSON.stringify({ message: "Invalid JWT" }));
};

// ---------------------------------------------------------------------------------------------------------------
// Token memo and the 401 refresh
// ---------------------------------------------------------------------------------------------------------------

describe("token provider memo", () => {
  test("50 parallel sends share one provider call; all succeed", async () => {
    let calls = 0;
    const provider: TokenProvider = async () => {
      calls++;
      await sleep(50);
      return "shared-token-abcdefgh";
    };
    const c = client({ token: provider });
    const outs = await Promise.all(Array.from({ length: 50 }, () => c.send(commandFor("stop"))));
    expect(outs.every((o) => o.statusCode === 200)).toBe(true);
    expect(calls).toBe(1);
    expect(server.requests.every((r) => r.headers.authorization === "Bearer shared-token-abcdefgh")).toBe(true);
  }, 10_000);

  test("a provider that rejects: every concurrent caller gets TokenProviderError (one provider call), nothing sent; the next send succeeds", async () => {
    let calls = 0;
    const provider: TokenProvider = async () => {
      calls++;
      await sleep(20);
      if (calls === 1) throw new Error("idp down");
      return "good-token-abcdefgh";
    };
    const c = client({ token: provider });
    const errors = await Promise.all(Array.from({ length: 10 }, () => rejectionOf(c.send(commandFor("stop")))));
    expect(errors.every((e) => e.name === "TokenProviderError" && e.retryable === false)).toBe(true);
    expect(calls).toBe(1);
    expect(server.requests).toHaveLength(0);
    expect((await c.send(commandFor("stop"))).statusCode).toBe(200);
    expect(calls).toBe(2);
  }, 10_000);

  test("a provider that never settles: the call ends at its deadline / abort, nothing is sent", async () => {
    const c = client({ token: () => new Promise(() => undefined) });
    const started = Date.now();
    const byDeadline = await rejectionOf(c.send(commandFor("invoke"), { deadline: 100 }));
    expect(byDeadline.name).toBe("DeadlineExceededError");
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user gave up")), 100);
    const byAbort = await rejectionOf(c.send(commandFor("invoke"), { abortSignal: controller.signal }));
    expect(byAbort.name).toBe("AbortError");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(0);
  }, 10_000);

  test("a provider that never settles, default settings (no deadline): the call never ends by itself; destroy() ends it", async () => {
    const c = client({ token: () => new Promise(() => undefined) });
    let settled = false;
    const pending = c.send(commandFor("stop")).finally(() => (settled = true));
    await sleep(500);
    expect(settled).toBe(false);
    c.destroy();
    expect((await rejectionOf(pending)).name).toBe("AbortError");
  }, 10_000);

  test("a call aborted while waiting for the shared fetch does not fail its concurrent siblings", async () => {
    const provider: TokenProvider = async () => {
      await sleep(150);
      return "shared-token-abcdefgh";
    };
    const c = client({ token: provider });
    const controller = new AbortController();
    const aborted = rejectionOf(c.send(commandFor("stop"), { abortSignal: controller.signal }));
    const sibling = c.send(commandFor("stop"));
    setTimeout(() => controller.abort(), 30);
    expect((await aborted).name).toBe("AbortError");
    expect((await sibling).statusCode).toBe(200);
    expect(server.requests).toHaveLength(1);
  }, 10_000);

  test("(was a defect) a provider call that hung does not block the later calls once its waiters gave up: the provider is asked again", async () => {
    let calls = 0;
    const provider: TokenProvider = () => (++calls === 1 ? new Promise<string>(() => undefined) : Promise.resolve("good-token-abcdefgh"));
    const c = client({ token: provider });
    expect((await rejectionOf(c.send(commandFor("stop"), { deadline: 100 }))).name).toBe("DeadlineExceededError");
    // a new call, long after the first one ended: the provider would answer at once
    const second = await c.send(commandFor("stop"), { deadline: 1000 }).then(
      (out) => ({ status: out.statusCode as number | undefined, error: undefined as string | undefined }),
      (e) => ({ status: undefined, error: e.name as string }),
    );
    expect({ ...second, providerCalls: calls }).toEqual({ status: 200, error: undefined, providerCalls: 2 });
  }, 10_000);

  test("(was a defect) an early refresh that hangs does not block calls while the cached token is still valid", async () => {
    let calls = 0;
    const provider: TokenProvider = () => {
      calls++;
      if (calls === 1) return Promise.resolve({ token: "valid-token-abcdefgh", expiresAt: new Date(Date.now() + 1500) });
      return new Promise(() => undefined); // the IdP stopped answering
    };
    const c = client({ token: provider });
    await c.send(commandFor("stop"));
    await sleep(800); // past the refresh point (half of 1.5 s), the token still valid for ~700 ms
    const started = Date.now();
    const second = await c.send(commandFor("stop"), { deadline: 300 }).then(
      (out) => out.statusCode as number | string,
      (e) => e.name as string,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    // the token was valid for the whole call; the docs: "kept if that early refresh fails while it is still valid"
    expect(second).toBe(200);
  }, 10_000);
});

describe("what a provider returns", () => {
  test.each([
    ["a number (epoch ms)", () => Date.now() + 3_600_000],
    ["an ISO string (from JSON)", () => new Date(Date.now() + 3_600_000).toISOString()],
  ])("(was a defect) expiresAt as %s is a typed error or accepted, never a raw TypeError", async (_label, expiresAt) => {
    const c = client({ token: (async () => ({ token: "good-token-abcdefgh", expiresAt: expiresAt() })) as unknown as TokenProvider });
    const result = await c.send(commandFor("stop")).then(
      (out) => out.statusCode as number | string,
      (e) => `${e.name}: ${e.message}`,
    );
    expect(String(result)).toMatch(/^(200|TokenProviderError: .*)$/);
  }, 10_000);

  test("a provider returning an already-expired token: the token is used, concurrent calls still share one fetch", async () => {
    let calls = 0;
    const c = client({
      token: async () => {
        calls++;
        await sleep(20);
        return { token: "expired-token-abcdefgh", expiresAt: new Date(Date.now() - 1000) };
      },
    });
    const outs = await Promise.all(Array.from({ length: 20 }, () => c.send(commandFor("stop"))));
    expect(outs.every((o) => o.statusCode === 200)).toBe(true);
    expect(calls).toBe(1);
  }, 10_000);
});

describe("401 → forceRefresh → once more", () => {
  test("a 401 twice in a row with a provider: one forced refresh, two requests, UnauthorizedException not retryable", async () => {
    handle = (_req, res) => unauthorized(res);
    const calls: boolean[] = [];
    const c = client({ token: async ({ forceRefresh }) => (calls.push(forceRefresh), `token-${calls.length}-abcdefgh`) });
    const error = await rejectionOf(c.send(commandFor("stop")));
    expect(error).toMatchObject({ name: "UnauthorizedException", statusCode: 401, retryable: false });
    expect(calls).toEqual([false, true]);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer token-1-abcdefgh", "Bearer token-2-abcdefgh"]);
    expect(error.$metadata.attempts).toBe(2);
  }, 10_000);

  test("401, refresh, then a retryable 503: the next attempt uses the refreshed token; attempts counts every request", async () => {
    handle = (req, res) => {
      if (bearer(req) !== "token-2-abcdefgh") return unauthorized(res);
      if (server.requests.length === 2) {
        res.writeHead(503, { "content-type": "text/plain" });
        return void res.end("busy");
      }
      succeed("stop", res);
    };
    const calls: boolean[] = [];
    const c = client({ token: async ({ forceRefresh }) => (calls.push(forceRefresh), `token-${calls.length}-abcdefgh`), retryStrategy: realRetries({ baseDelay: 1 }) });
    const out = await c.send(commandFor("stop"));
    expect(calls).toEqual([false, true]);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer token-1-abcdefgh", "Bearer token-2-abcdefgh", "Bearer token-2-abcdefgh"]);
    expect(out.$metadata.attempts).toBe(3);
  }, 10_000);

  test("a 401 with a fixed string token: no refresh, one request", async () => {
    handle = (_req, res) => unauthorized(res);
    const c = client({ token: "fixed-token-abcdefgh" });
    const error = await rejectionOf(c.send(commandFor("invoke")));
    expect(error.name).toBe("UnauthorizedException");
    expect(server.requests).toHaveLength(1);
    expect(error.$metadata.attempts).toBe(1);
  }, 10_000);

  test("50 concurrent calls all rejected with the same stale token: one forced refresh, all succeed", async () => {
    handle = (req, res) => (bearer(req) === "fresh-token-abcdefgh" ? succeed("stop", res) : unauthorized(res));
    const calls: boolean[] = [];
    const c = client({
      token: async ({ forceRefresh }) => {
        calls.push(forceRefresh);
        await sleep(20);
        return forceRefresh ? "fresh-token-abcdefgh" : "stale-token-abcdefgh";
      },
    });
    const outs = await Promise.all(Array.from({ length: 50 }, () => c.send(commandFor("stop"))));
    expect(outs.every((o) => o.statusCode === 200)).toBe(true);
    expect(calls).toEqual([false, true]);
  }, 10_000);

  test("(was a defect) a 401 that arrives while an early (non-forced) refresh is in flight asks the provider with forceRefresh", async () => {
    // the provider keeps its own cache (as MSAL, a secrets cache or a sidecar do): it returns its cached token
    // until it is asked with forceRefresh; the runtime rejects that cached token
    handle = async (req, res) => {
      if (bearer(req) === "fresh-token-abcdefgh") return succeed("stop", res);
      await sleep(150); // the 401 for the cached token arrives while another call's early refresh is running
      unauthorized(res);
    };
    const calls: boolean[] = [];
    const provider: TokenProvider = async ({ forceRefresh }) => {
      calls.push(forceRefresh);
      if (forceRefresh) return "fresh-token-abcdefgh";
      if (calls.length > 1) await sleep(400);
      return { token: "cached-token-abcdefgh", expiresAt: new Date(Date.now() + 200) }; // refresh point: +100 ms
    };
    const c = client({ token: provider, maxAttempts: 1 });
    const first = c.send(commandFor("stop")).then(
      (out) => out.statusCode as number | string,
      (e) => e.name as string,
    );
    await sleep(120); // past the refresh point: this call starts a non-forced refresh that takes 400 ms
    const second = c.send(commandFor("stop")).then(
      (out) => out.statusCode as number | string,
      (e) => e.name as string,
    );
    const [a, b] = await Promise.all([first, second]);
    // the first call's 401 must reach the provider as forceRefresh: true (RETRIES.md: "After a 401 the provider
    // is asked once with forceRefresh: true and the request is sent once more")
    expect({ first: a, second: b }).toEqual({ first: 200, second: 200 });
  }, 10_000);
});

// ---------------------------------------------------------------------------------------------------------------
// fromOAuthClientCredentials: its own timer
// ---------------------------------------------------------------------------------------------------------------

describe("fromOAuthClientCredentials timeout: any value a user can pass", () => {
  let tokenServer: http.Server;
  let tokenUrl = "";
  beforeAll(async () => {
    tokenServer = http.createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ access_token: "issued-token-abcdefgh", expires_in: 3600, token_type: "Bearer" }));
        }, 100),
      );
    });
    await new Promise<void>((r) => tokenServer.listen(0, "127.0.0.1", r));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth2/token`;
  });
  afterAll(() => new Promise<void>((r) => tokenServer.close(() => r())));

  test.each([10_000, 2 ** 31 - 1])("timeout %p: the token arrives after 100 ms", async (timeout) => {
    const provider = fromOAuthClientCredentials({ tokenUrl, clientId: "client-id", clientSecret: "client-secret-xyz", timeout });
    await expect(provider({ forceRefresh: false })).resolves.toMatchObject({ token: "issued-token-abcdefgh" });
  }, 10_000);

  test.each([2 ** 31, 2 ** 32, Infinity])("(was a defect) timeout %p means that long (or none), not 1 ms", async (timeout) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const provider = fromOAuthClientCredentials({ tokenUrl, clientId: "client-id", clientSecret: "client-secret-xyz", timeout });
      const got = await provider({ forceRefresh: false }).then(
        (v) => (typeof v === "string" ? v : v.token),
        (e) => `${e.name}: ${e.message}`,
      );
      expect(got).toBe("issued-token-abcdefgh");
    } finally {
      await sleep(10);
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("TimeoutOverflowWarning");
  }, 10_000);

  test("(was a defect, end to end) a client whose provider has timeout: Infinity sends", async () => {
    handle = (req, res) => (bearer(req) === "issued-token-abcdefgh" ? succeed("stop", res) : unauthorized(res));
    const c = client({ token: fromOAuthClientCredentials({ tokenUrl, clientId: "client-id", clientSecret: "client-secret-xyz", timeout: Infinity }) });
    const result = await c.send(commandFor("stop")).then(
      (out) => out.statusCode as number | string,
      (e) => `${e.name}: ${e.message}`,
    );
    expect(result).toBe(200);
  }, 10_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Retries: what is retried, Retry-After, metadata
// ---------------------------------------------------------------------------------------------------------------


describe("what is retried", () => {
  test.each(["invoke", "commands", "stop"] as Op[])("%s: a refused connection (nothing sent) is retried with the default Node handler", async (o) => {
    const port = await closedPort();
    const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: "fixed-token-abcdefgh", retryStrategy: realRetries() });
    clients.push(c);
    const error = await rejectionOf(c.send(commandFor(o)));
    expect(error).toMatchObject({ name: "NetworkError", code: "ECONNREFUSED", retryable: true });
    expect(error.$metadata.attempts).toBe(3);
  }, 10_000);

  test.each([
    ["invoke", true],
    ["commands", false],
    ["stop", true],
  ] as [Op, boolean][])("%s: request read, then the connection reset before any response byte: retried = %s, error.retryable agrees", async (o, retried) => {
    op = o;
    handle = (req, res) => {
      if (server.requests.length === 1) res.socket!.destroy();
      else succeed(o, res);
    };
    const c = client({ token: "fixed-token-abcdefgh", retryStrategy: realRetries() });
    const out = await c.send(commandFor(o)).then(
      (output) => ({ output, error: undefined }),
      (error) => ({ output: undefined, error }),
    );
    if (retried) {
      expect(out.error).toBeUndefined();
      expect(out.output!.$metadata.attempts).toBe(2);
    } else {
      expect(out.error).toMatchObject({ name: "NetworkError", code: "ECONNRESET", retryable: false });
      expect(out.error.$metadata.attempts).toBe(1);
    }
    expect(server.requests).toHaveLength(retried ? 2 : 1);
  }, 10_000);

  test.each([
    ["invoke", 500, false],
    ["invoke", 502, true],
    ["commands", 502, false],
    ["commands", 503, true],
    ["stop", 424, true],
  ] as [Op, number, boolean][])("%s %i on every attempt: error.retryable = %s equals what was retried", async (o, status, retried) => {
    op = o;
    handle = (_req, res) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end("nope");
    };
    const c = client({ token: "fixed-token-abcdefgh", retryStrategy: realRetries({ baseDelay: 1 }) });
    const error = await rejectionOf(c.send(commandFor(o)));
    expect(error.statusCode).toBe(status);
    expect(error.retryable).toBe(retried);
    expect(server.requests).toHaveLength(retried ? 3 : 1);
    expect(error.$metadata.attempts).toBe(retried ? 3 : 1);
  }, 10_000);
});

describe("Retry-After", () => {
  test("in seconds ('1'): the real wait is 1 s; attempts and totalRetryDelay on the output", async () => {
    handle = (_req, res) => {
      if (server.requests.length === 1) {
        res.writeHead(429, { "x-amzn-errortype": "ThrottlingException", "retry-after": "1", "content-type": "application/json" });
        return void res.end('{"message":"Rate exceeded"}');
      }
      succeed("stop", res);
    };
    const c = client({ token: "fixed-token-abcdefgh" });
    const started = Date.now();
    const out = await c.send(commandFor("stop"));
    const took = Date.now() - started;
    expect(out.$metadata).toMatchObject({ attempts: 2, totalRetryDelay: 1000 });
    expect(took).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(3000);
  }, 10_000);

  test("as an HTTP date ~2 s ahead: waits until then (1–2 s at one-second resolution)", async () => {
    handle = (_req, res) => {
      if (server.requests.length === 1) {
        res.writeHead(503, { "retry-after": new Date(Date.now() + 2000).toUTCString(), "content-type": "text/plain" });
        return void res.end("busy");
      }
      succeed("stop", res);
    };
    const c = client({ token: "fixed-token-abcdefgh" });
    const started = Date.now();
    const out = await c.send(commandFor("stop"));
    const took = Date.now() - started;
    expect(out.$metadata.attempts).toBe(2);
    expect(out.$metadata.totalRetryDelay).toBeGreaterThanOrEqual(900);
    expect(out.$metadata.totalRetryDelay).toBeLessThanOrEqual(2000);
    expect(took).toBeGreaterThanOrEqual(out.$metadata.totalRetryDelay! - 10);
  }, 10_000);

  test.each(["-5", "0", "abc", "1e3", "Infinity", "NaN", " ", "5, 6", `${"9".repeat(400)}`])(
    "a garbage or out-of-range Retry-After %p never makes a zero-delay storm nor an overflowed timer",
    async (value) => {
      handle = (_req, res) => {
        if (server.requests.length <= 2) {
          res.writeHead(503, { "retry-after": value, "content-type": "text/plain" });
          return void res.end("busy");
        }
        succeed("stop", res);
      };
      const c = client({ token: "fixed-token-abcdefgh", retryStrategy: realRetries({ random: () => 0.999, maxDelay: 300 }) });
      const out = await c.send(commandFor("stop"));
      expect(out.$metadata.attempts).toBe(3);
      // backoff with jitter at its top: 99 + 199 ms, or maxDelay for an enormous value
      expect(out.$metadata.totalRetryDelay).toBeGreaterThan(250);
      expect(out.$metadata.totalRetryDelay).toBeLessThanOrEqual(600);
    },
    10_000,
  );

  test("a huge Retry-After (1e15 s) is capped at maxDelay and the real timer does not fire at once", async () => {
    handle = (_req, res) => {
      if (server.requests.length === 1) {
        res.writeHead(429, { "x-amzn-errortype": "ThrottlingException", "retry-after": "1000000000000000", "content-type": "application/json" });
        return void res.end("{}");
      }
      succeed("stop", res);
    };
    const c = client({ token: "fixed-token-abcdefgh", retryStrategy: realRetries({ maxDelay: 400 }) });
    const started = Date.now();
    const out = await c.send(commandFor("stop"));
    expect(out.$metadata.totalRetryDelay).toBe(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  }, 10_000);

  test("a Retry-After past the deadline: the call ends at the deadline, not after the server's wait", async () => {
    handle = (_req, res) => {
      res.writeHead(429, { "x-amzn-errortype": "ThrottlingException", "retry-after": "10", "content-type": "application/json" });
      res.end("{}");
    };
    const c = client({ token: "fixed-token-abcdefgh" });
    const started = Date.now();
    const error = await rejectionOf(c.send(commandFor("invoke"), { deadline: 300 }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error.name).toBe("DeadlineExceededError");
    expect(error.$metadata.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
  }, 10_000);

  test("abort during a Retry-After wait: AbortError at once, the waits not completed are not counted", async () => {
    handle = (_req, res) => {
      res.writeHead(503, { "retry-after": "5", "content-type": "text/plain" });
      res.end("busy");
    };
    const c = client({ token: "fixed-token-abcdefgh" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const error = await rejectionOf(c.send(commandFor("stop"), { abortSignal: controller.signal }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toMatchObject({ name: "AbortError", retryable: false });
    expect(error.$metadata).toMatchObject({ attempts: 1, totalRetryDelay: 0 });
  }, 10_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Timeouts and send() options
// ---------------------------------------------------------------------------------------------------------------

/** A listener on 127.0.0.1 whose accept queue is full: a connect to it never completes (SYNs are dropped). */
async function unconnectablePort(): Promise<{ port: number; stop(): void }> {
  const script = [
    "import socket, sys",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    "port = s.getsockname()[1]",
    "fill = []",
    "for i in range(4):",
    "    c = socket.socket(); c.setblocking(False)",
    "    try: c.connect(('127.0.0.1', port))",
    "    except BlockingIOError: pass",
    "    fill.append(c)",
    "print(port, flush=True)",
    "sys.stdin.read()",
  ].join("\n");
  const child: ChildProcess = spawn("python3", ["-c", script], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.stdout!.once("data", (d) => resolve(Number(String(d).trim())));
  });
  return { port, stop: () => child.kill() };
}

describe("connecting", () => {
  test("a deadline shorter than the connect: DeadlineExceededError at the deadline, not retried", async () => {
    const target = await unconnectablePort();
    try {
      const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${target.port}`, token: "fixed-token-abcdefgh", connectionTimeout: 5000 });
      clients.push(c);
      const started = Date.now();
      const error = await rejectionOf(c.send(commandFor("commands"), { deadline: 200 }));
      expect(error.name).toBe("DeadlineExceededError");
      expect(Date.now() - started).toBeLessThan(1500);
      expect(error.$metadata.attempts).toBe(1);
    } finally {
      target.stop();
    }
  }, 10_000);

  test.each(["invoke", "commands", "stop"] as Op[])("%s: connectionTimeout → ConnectionTimeoutError, retried (nothing was sent), retryable", async (o) => {
    const target = await unconnectablePort();
    try {
      const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${target.port}`, token: "fixed-token-abcdefgh", connectionTimeout: 100, retryStrategy: realRetries() });
      clients.push(c);
      const started = Date.now();
      const error = await rejectionOf(c.send(commandFor(o)));
      expect(error).toMatchObject({ name: "ConnectionTimeoutError", retryable: true });
      expect(error.$metadata.attempts).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      target.stop();
    }
  }, 10_000);

  test("connectionTimeout 2^31 is not 1 ms: a slow server still answers", async () => {
    handle = async (_req, res) => {
      await sleep(100);
      succeed("stop", res);
    };
    const c = client({ token: "fixed-token-abcdefgh", connectionTimeout: 2 ** 31, requestTimeout: 2 ** 31 + 5, deadline: 2 ** 33, idleTimeout: 2 ** 40 });
    expect((await c.send(commandFor("stop"))).statusCode).toBe(200);
  }, 10_000);
});

describe("send() options", () => {
  test("per-call requestTimeout overrides the client's; not retried for invoke, retried for stop", async () => {
    handle = async (_req, res) => {
      await sleep(300);
      if (!res.destroyed) succeed(op, res);
    };
    const c = client({ token: "fixed-token-abcdefgh", requestTimeout: 10_000, retryStrategy: realRetries() });
    op = "invoke";
    const invoke = await rejectionOf(c.send(commandFor("invoke"), { requestTimeout: 50 }));
    expect(invoke).toMatchObject({ name: "RequestTimeoutError", retryable: false });
    expect(invoke.$metadata.attempts).toBe(1);
    op = "stop";
    const stop = await rejectionOf(c.send(commandFor("stop"), { requestTimeout: 50 }));
    expect(stop).toMatchObject({ name: "RequestTimeoutError", retryable: true });
    expect(stop.$metadata.attempts).toBe(3);
  }, 10_000);

  test("per-call deadline: Infinity lifts the client's deadline for that call", async () => {
    handle = async (_req, res) => {
      await sleep(300);
      succeed("stop", res);
    };
    const c = client({ token: "fixed-token-abcdefgh", deadline: 100 });
    expect((await rejectionOf(c.send(commandFor("stop")))).name).toBe("DeadlineExceededError");
    expect((await c.send(commandFor("stop"), { deadline: Infinity })).statusCode).toBe(200);
  }, 10_000);

  test.each([0, -1, NaN, "100", null, true, {}])("per-call deadline %p is rejected before anything is sent", async (value) => {
    const c = client({ token: "fixed-token-abcdefgh" });
    await expect(c.send(commandFor("stop"), { deadline: value } as object)).rejects.toMatchObject({ name: "InvalidParameterError", field: "deadline" });
    expect(server.requests).toHaveLength(0);
  });

  test("200 concurrent calls with default settings all succeed", async () => {
    op = "invoke";
    handle = async (_req, res) => {
      await sleep(30);
      succeed("invoke", res);
    };
    const c = client({ token: "fixed-token-abcdefgh" });
    const outs = await Promise.all(Array.from({ length: 200 }, () => c.send(new InvokeCommand({ runtimeArn: ARN, payload: { n: 1 } }))));
    expect(outs.every((o) => o.$metadata.httpStatusCode === 200 && o.$metadata.attempts === 1)).toBe(true);
  }, 20_000);

  test("(was minor) one AbortSignal shared by 50 concurrent calls stays under Node's listener-leak threshold (MaxListenersExceededWarning)", async () => {
    // jest's sandboxed process does not see Node's warning: count the SDK's concurrent listeners on the signal
    const controller = new AbortController();
    const signal = controller.signal;
    let live = 0;
    let most = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    Object.assign(signal, {
      addEventListener: (...a: Parameters<AbortSignal["addEventListener"]>) => ((most = Math.max(most, ++live)), add(...a)),
      removeEventListener: (...a: Parameters<AbortSignal["removeEventListener"]>) => (live--, remove(...a)),
    });
    const c = client({ token: "fixed-token-abcdefgh" });
    const outs = await Promise.all(Array.from({ length: 50 }, () => c.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION }), { abortSignal: signal })));
    expect(outs).toHaveLength(50);
    expect(live).toBe(0); // every listener removed
    expect(most).toBeLessThanOrEqual(getMaxListeners(signal)); // Node warns "Possible EventTarget memory leak" past this
  }, 10_000);

  test("commands with a huge idleTimeout per call still complete (timer not clamped to 1 ms)", async () => {
    op = "commands";
    handle = async (_req, res) => {
      await sleep(100);
      succeed("commands", res);
    };
    const c = client({ token: "fixed-token-abcdefgh" });
    const out = await c.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "echo hi" }), { idleTimeout: 2 ** 31 + 1, requestTimeout: 2 ** 32 });
    expect(out.stdout).toBe("hi\n");
  }, 10_000);
});
