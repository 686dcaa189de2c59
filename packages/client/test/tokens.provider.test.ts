import http from "node:http";
import { getWebSocketConnection, RuntimeClient, UnauthorizedException, type AgentRuntimeError, type TokenProvider } from "@agentcore-runtime/client";
import { tokenSource, REFRESH_AHEAD_MS } from "../src/tokens/cache";
import { startServer, type TestServer } from "./helpers/server";
import { commandFor, fastRetries, rejectionOf, succeed } from "./helpers/resilience";

/** The runtime accepts only the tokens in `valid`; anything else is a 401 like the service's. */
let valid = new Set<string>();
let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res: http.ServerResponse) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!token || !valid.has(token)) {
      res.writeHead(401, { "content-type": "application/json", "x-amzn-errortype": "UnauthorizedException", "www-authenticate": 'Bearer error="invalid_token"' });
      return void res.end(JSON.stringify({ message: "Invalid JWT" }));
    }
    succeed("stop", res);
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  valid = new Set();
});

/** token-1, token-2, … with a record of every call's options. */
function numberedProvider(options: { delayMs?: number; expiresInMs?: number } = {}) {
  const calls: { forceRefresh: boolean }[] = [];
  const provider: TokenProvider = async (o) => {
    calls.push(o);
    const n = calls.length;
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const token = `token-${n}-abcdefgh`;
    return options.expiresInMs === undefined ? token : { token, expiresAt: new Date(Date.now() + options.expiresInMs) };
  };
  return { provider, calls };
}
const ARN_FOR_WS = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agent-abcdefghij";
const sentTokens = () => server.requests.map((r) => r.headers.authorization);

describe("401 → forceRefresh → one more attempt", () => {
  test("a rejected token is re-fetched with forceRefresh: true and the request sent again", async () => {
    valid.add("token-2-abcdefgh");
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    const out = await c.send(commandFor("stop"));
    c.destroy();
    expect(out.statusCode).toBe(200);
    expect(calls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
    expect(sentTokens()).toEqual(["Bearer token-1-abcdefgh", "Bearer token-2-abcdefgh"]);
    expect(out.$metadata.attempts).toBe(2);
  });

  test("only once: a second 401 is the caller's UnauthorizedException", async () => {
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: server.url, token: provider, retryStrategy: fastRetries() });
    const error = await rejectionOf(c.send(commandFor("stop")));
    c.destroy();
    expect(UnauthorizedException.isInstance(error)).toBe(true);
    expect(calls).toHaveLength(2);
    expect(server.requests).toHaveLength(2);
  });

  test("a fixed string token or a per-call bearerToken is not retried on 401", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: "static-token-abcdefgh" });
    await rejectionOf(c.send(commandFor("stop")));
    expect(server.requests).toHaveLength(1);
    const { provider, calls } = numberedProvider();
    const c2 = new RuntimeClient({ endpoint: server.url, token: provider });
    await rejectionOf(c2.send(commandFor("stop", { bearerToken: "per-call-token-abcdefgh" })));
    c.destroy();
    c2.destroy();
    expect(server.requests).toHaveLength(2);
    expect(calls).toHaveLength(0);
  });

  test("the refreshed token is kept for later calls", async () => {
    valid.add("token-2-abcdefgh");
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    await c.send(commandFor("stop"));
    await c.send(commandFor("stop"));
    c.destroy();
    expect(calls).toHaveLength(2);
    expect(sentTokens()).toEqual(["Bearer token-1-abcdefgh", "Bearer token-2-abcdefgh", "Bearer token-2-abcdefgh"]);
  });

  test("concurrent 401s for the same stale token share one forced refresh", async () => {
    valid.add("token-2-abcdefgh");
    const { provider, calls } = numberedProvider({ delayMs: 20 });
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    const outs = await Promise.all(Array.from({ length: 8 }, () => c.send(commandFor("stop"))));
    c.destroy();
    expect(outs.every((o) => o.statusCode === 200)).toBe(true);
    expect(calls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
  });
});

describe("a 401 refresh is once per call, and one memo per client", () => {
  test("a server answering 401 and 503 in turn: the token is refreshed once in the call, not on every retry", async () => {
    // (each retry refreshed and sent again: 2 × maxAttempts requests, a provider call per attempt)
    let n = 0;
    const flapping = await startServer((_req, res) => {
      if (n++ % 2 === 0) {
        res.writeHead(401, { "content-type": "application/json", "x-amzn-errortype": "UnauthorizedException" });
        return void res.end(JSON.stringify({ message: "Invalid JWT" }));
      }
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "unavailable" }));
    });
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: flapping.url, token: provider, maxAttempts: 3, retryStrategy: fastRetries({ maxAttempts: 3 }) });
    try {
      const error = await rejectionOf(c.send(commandFor("stop")));
      expect(error.name).toBe("UnauthorizedException");
      // 401 → refresh → 503, retried → 401: refused, the call's refresh spent
      expect(flapping.requests).toHaveLength(3);
      expect(calls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
      expect(error.$metadata.attempts).toBe(3);
    } finally {
      c.destroy();
      await flapping.close();
    }
  });

  test("the next call may refresh again", async () => {
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    await rejectionOf(c.send(commandFor("stop")));
    valid.add("token-3-abcdefgh");
    const out = await c.send(commandFor("stop"));
    c.destroy();
    expect(out.statusCode).toBe(200);
    expect(calls.map((x) => x.forceRefresh)).toEqual([false, true, true]);
    expect(sentTokens().slice(2)).toEqual(["Bearer token-2-abcdefgh", "Bearer token-3-abcdefgh"]);
  });

  test("a client's HTTP calls and WebSocket connections share its token memo (a refused token is not handed on)", async () => {
    // (each kept its own: the provider was asked again for WebSockets, which went on with a token refused by HTTP)
    valid.add("token-1-abcdefgh");
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    await c.send(commandFor("stop"));
    expect((await getWebSocketConnection({ runtimeArn: ARN_FOR_WS }, c)).headers.Authorization).toBe("Bearer token-1-abcdefgh");
    expect(calls).toHaveLength(1);
    valid = new Set(["token-2-abcdefgh"]);
    await c.send(commandFor("stop"));
    expect((await getWebSocketConnection({ runtimeArn: ARN_FOR_WS }, c)).headers.Authorization).toBe("Bearer token-2-abcdefgh");
    expect(calls).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
    c.destroy();
  });
});

describe("memoised, one in-flight fetch shared", () => {
  test("concurrent sends share one token fetch", async () => {
    valid.add("token-1-abcdefgh");
    const { provider, calls } = numberedProvider({ delayMs: 30 });
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    await Promise.all(Array.from({ length: 10 }, () => c.send(commandFor("stop"))));
    await c.send(commandFor("stop"));
    c.destroy();
    expect(calls).toHaveLength(1);
    expect(server.requests).toHaveLength(11);
  });

  test("a token without expiresAt is used until a 401", async () => {
    valid.add("token-1-abcdefgh");
    const { provider, calls } = numberedProvider();
    const c = new RuntimeClient({ endpoint: server.url, token: provider });
    for (let i = 0; i < 5; i++) await c.send(commandFor("stop"));
    c.destroy();
    expect(calls).toHaveLength(1);
  });

  test("a failing provider is a TokenProviderError with the cause; the next send asks again", async () => {
    let n = 0;
    const c = new RuntimeClient({
      endpoint: server.url,
      token: async () => {
        if (++n === 1) throw new Error("identity provider down");
        valid.add("token-ok-abcdefgh");
        return "token-ok-abcdefgh";
      },
      retryStrategy: fastRetries(),
    });
    const error = await rejectionOf(c.send(commandFor("stop")));
    expect(error).toMatchObject({ name: "TokenProviderError" });
    expect((error.cause as Error).message).toBe("identity provider down");
    expect(server.requests).toHaveLength(0);
    expect((await c.send(commandFor("stop"))).statusCode).toBe(200);
    c.destroy();
    expect(n).toBe(2);
  });

  test("a result whose token or expiresAt getter throws is a TokenProviderError, the token kept out of it", async () => {
    // (a plain Error escaped, quoting the token)
    const results = [
      {
        get token(): string {
          throw new Error("no token today");
        },
      },
      {
        token: "tok-abcdefgh-secret",
        get expiresAt(): Date {
          throw new Error("no expiry for tok-abcdefgh-secret");
        },
      },
    ];
    for (const result of results) {
      const c = new RuntimeClient({ endpoint: server.url, token: async () => result as { token: string } });
      const error = await rejectionOf(c.send(commandFor("stop")));
      c.destroy();
      expect(error.name).toBe("TokenProviderError");
      expect(JSON.stringify(error) + String((error as AgentRuntimeError).cause)).not.toContain("tok-abcdefgh-secret");
    }
    expect(server.requests).toHaveLength(0);
  });

  test("a token with CR/LF from a provider is refused before anything is sent", async () => {
    const c = new RuntimeClient({ endpoint: server.url, token: async () => "abc\r\nX-Evil: 1" });
    const error = await rejectionOf(c.send(commandFor("stop")));
    c.destroy();
    expect(error.name).toBe("TokenProviderError");
    expect(error.message).not.toContain("X-Evil");
    expect(server.requests).toHaveLength(0);
  });
});

describe("refreshed ahead of expiresAt", () => {
  test("through the client: a token close to expiry is replaced in the background, for the sends after", async () => {
    valid.add("token-1-abcdefgh").add("token-2-abcdefgh");
    // a controlled clock, set up before the client exists: slow sends cannot cross the refresh point by accident
    let clock = Date.now();
    const now = jest.spyOn(Date, "now").mockImplementation(() => clock);
    try {
      const { provider, calls } = numberedProvider({ expiresInMs: 300 });
      const c = new RuntimeClient({ endpoint: server.url, token: provider });
      await c.send(commandFor("stop"));
      clock += 149;
      await c.send(commandFor("stop"));
      // the refresh point is half the 300 ms lifetime, well before the token lapses: this send starts the
      // refresh and goes with the token it has (still valid); the next one has the new token
      clock += 11;
      await c.send(commandFor("stop"));
      await c.send(commandFor("stop"));
      c.destroy();
      expect(calls).toEqual([{ forceRefresh: false }, { forceRefresh: false }]);
    } finally {
      now.mockRestore();
    }
    expect(sentTokens()).toEqual(["Bearer token-1-abcdefgh", "Bearer token-1-abcdefgh", "Bearer token-1-abcdefgh", "Bearer token-2-abcdefgh"]);
  });

  test("a provider that throws at once (not a rejected promise) fails that call; the next call asks it again", async () => {
    let asked = 0;
    const provider = (() => {
      if (++asked === 1) throw new Error("not configured yet");
      return Promise.resolve("late-token-abcdefgh");
    }) as unknown as Parameters<typeof tokenSource>[0];
    const source = tokenSource(provider);
    await expect(source.get()).rejects.toMatchObject({ name: "TokenProviderError" });
    await expect(source.get()).resolves.toBe("late-token-abcdefgh");
    expect(asked).toBe(2);
  });

  test("the refresh point: 60 s before expiry for long-lived tokens, half the lifetime for short ones", async () => {
    let now = 1_000_000;
    const hour = 3_600_000;
    let lifetime = hour;
    let fetched = 0;
    const source = tokenSource(async () => ({ token: `t${++fetched}-abcdefgh`, expiresAt: new Date(now + lifetime) }), () => now);
    await source.get();
    now += hour - REFRESH_AHEAD_MS - 1;
    await source.get();
    expect(fetched).toBe(1);
    now += 1;
    await source.get();
    expect(fetched).toBe(2);
    // that refresh runs in the background: let it finish
    await new Promise((r) => setImmediate(r));

    lifetime = 30_000;
    now += hour;
    await source.get();
    expect(fetched).toBe(3);
    now += 14_999;
    await source.get();
    expect(fetched).toBe(3);
    now += 1;
    await source.get();
    expect(fetched).toBe(4);
  });

  test("a failing refresh ahead of expiry is not retried by every call: 1 s, 2 s, 4 s … 15 s apart, never past the expiry; a success resets it", async () => {
    let now = 0;
    let fail = false;
    let calls = 0;
    const source = tokenSource(async () => {
      calls++;
      if (fail) throw new Error("idp down");
      return { token: `t${calls}-abcdefgh`, expiresAt: new Date(now + 600_000) };
    }, () => now);
    await source.get();
    fail = true;
    // from the refresh point to the expiry, a call every 10 ms: 6,000 calls
    const askedAt: number[] = [];
    for (now = 540_000; now < 600_000; now += 10) {
      const before = calls;
      await expect(source.get()).resolves.toBe("t1-abcdefgh");
      // (a background refresh: let it settle)
      await new Promise((r) => setImmediate(r));
      if (calls > before) askedAt.push(now);
    }
    const gaps = askedAt.slice(1).map((t, i) => t - askedAt[i]);
    expect(gaps.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 15_000]);
    expect(gaps.every((g) => g <= 15_000)).toBe(true);
    expect(askedAt.length).toBeLessThan(12);
    // recovered: the new token's failures start again from 1 s
    fail = false;
    now = 600_000;
    const renewed = await source.get();
    expect(renewed).toBe(`t${calls}-abcdefgh`);
    fail = true;
    const before = calls;
    now = 1_140_000; // the new token's refresh point
    await source.get();
    await new Promise((r) => setImmediate(r));
    now += 999;
    await source.get();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(before + 1);
    now += 1;
    await source.get();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(before + 2);
  });

  test("expiresAt in epoch seconds (a JWT's exp) is read as seconds, not as a time in 1970 that expires every call", async () => {
    let now = 1_700_000_000_000;
    let calls = 0;
    const source = tokenSource(async () => ({ token: `s${++calls}-abcdefgh`, expiresAt: (now / 1000 + 3600) as unknown as Date }), () => now);
    for (let i = 0; i < 100; i++) await source.get();
    expect(calls).toBe(1);
    now += 3600_000 - 59_000; // inside the refresh window: refreshed once in the background
    await source.get();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
  });

  test("expiresAt as a string of epoch digits (seconds or milliseconds) is that time, not a token that never expires", async () => {
    // (new Date("1700003600") is an Invalid Date: the token was kept until a 401)
    for (const spell of [(ms: number) => String(ms / 1000), (ms: number) => String(ms)]) {
      let now = 1_700_000_000_000;
      let calls = 0;
      const source = tokenSource(async () => ({ token: `d${++calls}-abcdefgh`, expiresAt: spell(now + 3600_000) as unknown as Date }), () => now);
      await source.get();
      await source.get();
      expect(calls).toBe(1);
      now += 3600_000 + 1; // expired: fetched again, waited for
      expect(await source.get()).toBe("d2-abcdefgh");
    }
  });

  test("a failed refresh ahead of expiry keeps using the still-valid token; once expired, the failure surfaces", async () => {
    let now = 0;
    let fail = false;
    const source = tokenSource(async () => {
      if (fail) throw new Error("idp down");
      return { token: "good-token-abcdefgh", expiresAt: new Date(now + 600_000) };
    }, () => now);
    await source.get();
    fail = true;
    now = 590_000;
    await expect(source.get()).resolves.toBe("good-token-abcdefgh");
    now = 600_001;
    await expect(source.get()).rejects.toMatchObject({ name: "TokenProviderError" });
    await expect(source.get(true)).rejects.toMatchObject({ name: "TokenProviderError" });
  });
});
