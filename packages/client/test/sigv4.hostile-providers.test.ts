import { inspect } from "node:util";
/**
 * The SigV4 entry against a real HTTP server on 127.0.0.1, signatures checked with botocore and
 * the official AWS SDK v3 client. Tests named "(was a defect)" each failed before its fix; the rest pin down what
 * was already right.
 */
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand } from "@aws-sdk/client-bedrock-agentcore";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { getPresignedWebSocketUrl, getSignedWebSocketConnection, sigv4Auth, type AwsCredentials } from "@agentcore-runtime/client/sigv4";
import { amzDate, botocoreSign } from "./helpers/botocore";
import { startServer, type Recorded, type TestServer } from "./helpers/server";

const ARN = "arn:aws:bedrock-agentcore:eu-west-3:123456789012:runtime/review_agent-abc1234567";
const SESSION = "review-s8-session-0123456789-0123456789";
const CREDS = { accessKeyId: "ASIAREVIEWS8", secretAccessKey: "review/s8+secret0123456789abcdefghijklmn", sessionToken: "IQoJreview//s8+token==" };

type Handler = (r: Recorded, res: import("node:http").ServerResponse) => void;
let server: TestServer;
let script: Handler[] = [];
let fallback: Handler | undefined;
beforeAll(async () => {
  process.emitWarning = () => undefined;
  server = await startServer((_req, res, recorded) => {
    const next = script.shift() ?? fallback;
    if (next) return next(recorded, res);
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
afterAll(() => server.close());
beforeEach(() => {
  script = [];
  fallback = undefined;
});

/** Settles within `ms` or reports "pending" (no test can hang on a call that never settles). */
function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: any; pending?: true }> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ pending: true }), ms);
    p.then(
      (value) => (clearTimeout(t), resolve({ value })),
      (error) => (clearTimeout(t), resolve({ error })),
    );
  });
}

const clients: RuntimeClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
function client(credentials: AwsCredentials | ((o?: { forceRefresh?: boolean }) => Promise<AwsCredentials>), extra: Record<string, unknown> = {}, opts: { region?: string; systemClockOffset?: number } = {}) {
  const c = new RuntimeClient({ endpoint: server.url, maxAttempts: 3, ...extra });
  c.middlewareStack.use(sigv4Auth({ credentials, ...opts }));
  clients.push(c);
  return c;
}
const invoke = (c: RuntimeClient, extra: Record<string, unknown> = {}, send: Record<string, unknown> = {}) =>
  c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: { q: 1 }, ...extra }), send);

function pairs(r: Recorded): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) out.push([r.rawHeaders[i], r.rawHeaders[i + 1]]);
  return out;
}
/** botocore's Authorization for the recorded request, over exactly the headers our signature names. */
function botocoreAuth(r: Recorded, region: string, creds: AwsCredentials): string {
  const signed = /SignedHeaders=([^,]+)/.exec(r.headers.authorization as string)![1].split(";");
  const headers: Record<string, string> = {};
  for (const [k, v] of pairs(r)) if (signed.includes(k.toLowerCase()) && !/^(x-amz-date|x-amz-security-token)$/i.test(k)) headers[k] = v;
  const [b] = botocoreSign([{ kind: "header", method: r.method, url: `${server.url}${r.url}`, headers, body: r.body, region, ...creds, timestamp: r.headers["x-amz-date"] as string }]);
  return b.headers.Authorization;
}

// ---------------------------------------------------------------------------------------------------------
// credential provider memo
// ---------------------------------------------------------------------------------------------------------

describe("credential provider memo", () => {
  test("(was a defect) a provider that throws synchronously once poisons the memo: every later call fails without asking it again", async () => {
    let calls = 0;
    const provider = ((): Promise<AwsCredentials> => {
      calls++;
      if (calls === 1) throw new Error("IMDS not ready yet");
      return Promise.resolve(CREDS);
    }) as () => Promise<AwsCredentials>;
    const c = client(provider);
    const first = await within(invoke(c), 3000);
    expect(first.error?.name).toBe("TokenProviderError");
    const second = await within(invoke(c), 3000);
    // the bearer memo (tokens/cache.ts) asks again; so does the AWS SDK's memoize: the failure is not remembered
    expect({ calls, error: second.error?.message }).toEqual({ calls: 2, error: undefined });
    expect(second.value?.$metadata.httpStatusCode).toBe(200);
  });

  test("(was a defect) a provider call that never settles is kept after every waiter aborted: later calls wait on it too", async () => {
    let calls = 0;
    const provider = (): Promise<AwsCredentials> => {
      calls++;
      return calls === 1 ? new Promise<AwsCredentials>(() => undefined) : Promise.resolve(CREDS);
    };
    const c = client(provider);
    const a = await within(invoke(c, {}, { abortSignal: AbortSignal.timeout(50) }), 3000);
    expect(a.error?.name).toMatch(/AbortError|DeadlineExceededError/);
    // the only waiter gave up: the bearer memo drops such a fetch and the next call asks the provider again
    const b = await within(invoke(c, {}, { abortSignal: AbortSignal.timeout(1500) }), 3000);
    expect({ calls, error: b.error?.name }).toEqual({ calls: 2, error: undefined });
  });

  test("(was a defect) a call without a signal waits forever for a provider that never settles (the bearer memo fails after 30 s)", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    try {
      const c = new RuntimeClient({ endpoint: server.url, maxAttempts: 1 });
      c.middlewareStack.use(sigv4Auth({ credentials: () => new Promise<AwsCredentials>(() => undefined) }));
      let settled: unknown = "pending";
      const p = invoke(c).then(
        () => (settled = "resolved"),
        (e) => (settled = e.name),
      );
      await jest.advanceTimersByTimeAsync(31_000);
      const now = settled;
      c.destroy();
      await p;
      expect(now).toBe("TokenProviderError");
    } finally {
      jest.useRealTimers();
    }
  });

  test("(was a defect) credentials inside the 5-minute margin are fetched once per request, and a hung refresh does not hold the call", async () => {
    let calls = 0;
    let hangSecond = false;
    const provider = (): Promise<AwsCredentials> => {
      calls++;
      if (hangSecond && calls % 2 === 0) return new Promise<AwsCredentials>(() => undefined);
      return Promise.resolve({ ...CREDS, expiration: new Date(Date.now() + 4 * 60_000) });
    };
    const c = client(provider);
    await invoke(c);
    calls = 0;
    await invoke(c);
    // a provider whose own cache hands out credentials with 4 minutes left (IMDS, a custom memo): one fetch per
    // request is expected (the AWS SDK's memoize makes one); the middleware's get and the signer's get make two
    const perRequest = calls;
    // a refresh that hangs runs in the background: the call signs with the still-valid credentials and succeeds
    calls = 0;
    hangSecond = true;
    const r = await within(invoke(c, {}, { deadline: 200 }), 2500);
    expect({ perRequest, outcome: r.pending ? "still pending after 2.5 s" : r.error?.name }).toEqual({ perRequest: 1, outcome: undefined });
  });

  test("(was a defect) a refresh that fails while the credentials are still valid fails the call (no refresh ahead of the hard margin)", async () => {
    let calls = 0;
    const provider = async (): Promise<AwsCredentials> => {
      calls++;
      if (calls === 1) return { ...CREDS, expiration: new Date(Date.now() + 5 * 60_000 + 1000) };
      throw new Error("STS briefly unavailable");
    };
    const c = client(provider);
    await invoke(c);
    await new Promise((r) => setTimeout(r, 1100)); // now inside the 5-minute margin, ~5 minutes before expiry
    const r = await within(invoke(c), 3000);
    // bearer memo: a failed refresh ahead of expiry keeps the current token until it expires; botocore: a failed
    // advisory refresh keeps the current credentials. Here the still-valid credentials are dropped.
    expect({ calls, error: r.error?.message }).toEqual({ calls: 2, error: undefined });
  });

  test("(was a defect) a refresh that keeps failing inside the margin is not asked again by every call: 1 s, 2 s, 4 s … 15 s apart", async () => {
    let clock = Date.now();
    const now = jest.spyOn(Date, "now").mockImplementation(() => clock);
    try {
      let calls = 0;
      const askedAt: number[] = [];
      const start = clock;
      const provider = async (): Promise<AwsCredentials> => {
        calls++;
        askedAt.push(clock - start);
        if (calls === 1) return { ...CREDS, expiration: new Date(start + 5 * 60_000 + 1000) };
        throw new Error("STS throttling");
      };
      const c = client(provider);
      await invoke(c);
      // inside the margin for 40 s (of the 4 minutes the credentials still serve), a call every 200 ms: 200 calls
      for (clock = start + 2000; clock < start + 42_000; clock += 200) {
        const r = await invoke(c).then(() => "ok", (e) => e.name);
        expect(r).toBe("ok");
      }
      const gaps = askedAt.slice(2).map((t, i) => t - askedAt[i + 1]);
      expect(gaps.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
      expect(calls).toBeLessThan(10);
    } finally {
      now.mockRestore();
    }
  });

  test("(was a defect) a session token and secret key a server echoes percent-encoded (a presigned query) are removed too", async () => {
    const temp = { accessKeyId: "ASIAREPRO00000000001", secretAccessKey: "reproSecret/0123456789abcdefABCDEF+xyzab", sessionToken: "IQoJb3JpZ2luX2Vj//////////wEaCXVzLWVhc3QtMSJH+repro==" };
    fallback = (r, res) => {
      const token = r.headers["x-amz-security-token"] as string;
      res.writeHead(403, { "content-type": "application/json", "x-amzn-errortype": "AccessDeniedException" });
      res.end(JSON.stringify({ message: `denied: ?X-Amz-Security-Token=${encodeURIComponent(token)}&lower=${encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase())}&sk=${encodeURIComponent(temp.secretAccessKey)}` }));
    };
    const e = await invoke(client(temp, { maxAttempts: 1 })).catch((x) => x);
    expect(e.name).toBe("AccessDeniedException");
    const everything = [e.message, JSON.stringify(e), inspect(e, { showHidden: true, depth: Infinity })].join("\n");
    for (const secret of [temp.sessionToken, temp.secretAccessKey]) {
      const encoded = encodeURIComponent(secret);
      expect([secret, everything.includes(encoded), everything.includes(encoded.replace(/%[0-9A-F]{2}/g, (x) => x.toLowerCase()))]).toEqual([secret, false, false]);
    }
    expect(e.message).toContain("[REDACTED]");
  });

  test("(was a defect) credentials already expired, or inside the last minute, are fetched once per request, not twice", async () => {
    for (const left of [-1000, 30_000]) {
      let calls = 0;
      const c = client(async () => {
        calls++;
        return { ...CREDS, accessKeyId: `ASIAREVIEW${calls}`, expiration: new Date(Date.now() + left) };
      });
      const before = server.requests.length;
      for (let i = 0; i < 3; i++) await invoke(c);
      // signed with what the provider gave for that request: it has nothing newer
      const keys = server.requests.slice(before).map((r) => /Credential=([^/]+)/.exec(r.headers.authorization as string)![1]);
      expect({ left, calls, keys }).toEqual({ left, calls: 3, keys: ["ASIAREVIEW1", "ASIAREVIEW2", "ASIAREVIEW3"] });
    }
  });

  test("(was a defect) credentials with a CR or LF are a TokenProviderError before anything is sent (a NetworkError after it)", async () => {
    const before = server.requests.length;
    for (const bad of [{ ...CREDS, sessionToken: "IQoJ\r\nx-evil: 1" }, { ...CREDS, accessKeyId: "ASIA\nBAD" }, { ...CREDS, secretAccessKey: "secret€key0123456789" }]) {
      // static credentials: when the middleware is made; from a provider: when the call fetches them
      expect(() => sigv4Auth({ credentials: bad })).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
      const e = await invoke(client(async () => bad, { maxAttempts: 1 })).catch((x) => x);
      expect([e.name, e.message, e.$metadata.attempts]).toEqual(["TokenProviderError", expect.stringMatching(/contains a character other than printable ASCII/), 0]);
      expect(JSON.stringify(e) + e.message).not.toContain("x-evil");
      const ws = await getSignedWebSocketConnection({ runtimeArn: ARN }, { credentials: bad }).catch((x) => x);
      expect(ws.name).toBe("TokenProviderError");
    }
    expect(server.requests.length).toBe(before);
  });

  test("(was a defect) a presigned URL's expiresAt is when the credentials expire, if that is sooner than expiresIn", async () => {
    const expiration = new Date(Date.now() + 90_000);
    const soon = await getPresignedWebSocketUrl({ runtimeArn: ARN }, { credentials: { ...CREDS, expiration }, expiresIn: 300 });
    expect(soon.expiresAt.getTime()).toBe(expiration.getTime());
    const later = await getPresignedWebSocketUrl({ runtimeArn: ARN }, { credentials: { ...CREDS, expiration: new Date(Date.now() + 3600_000) }, expiresIn: 300 });
    expect(Math.abs(later.expiresAt.getTime() - (Date.now() + 300_000))).toBeLessThan(5_000);
  });

  test("expiration as a string or an Invalid Date is refused with a clear TokenProviderError (not a crash, not a fetch per call)", async () => {
    const asString = client(async () => ({ ...CREDS, expiration: "2099-01-01T00:00:00Z" }) as unknown as AwsCredentials);
    const e = await invoke(asString).catch((x) => x);
    expect(e.name).toBe("TokenProviderError");
    expect(e.message).toMatch(/expiration must be a valid Date/);
    const provider = jest.fn(async () => ({ ...CREDS, expiration: new Date("not a date") }));
    const invalid = await invoke(client(provider)).catch((x) => x);
    expect([invalid.name, invalid.message]).toEqual(["TokenProviderError", expect.stringMatching(/expiration must be a valid Date/)]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// clock skew
// ---------------------------------------------------------------------------------------------------------

describe("clock skew", () => {
  const SKEW = 60 * 60_000; // the server's clock is an hour ahead of ours
  /** A service that refuses a signature more than 5 minutes off its own clock, telling its time in Date. */
  const skewedService: Handler = (r, res) => {
    const serverNow = Date.now() + SKEW;
    const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(r.headers["x-amz-date"] as string)!;
    const signedAt = Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]);
    res.setHeader("Date", new Date(serverNow).toUTCString());
    if (Math.abs(serverNow - signedAt) > 5 * 60_000) {
      res.writeHead(403, { "content-type": "application/json", "x-amzn-ErrorType": "InvalidSignatureException" });
      res.end(JSON.stringify({ message: `Signature expired: ${r.headers["x-amz-date"]} is now earlier than ${amzDate(new Date(serverNow - 5 * 60_000))}` }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  };

  test("reference: the official AWS SDK corrects its clock from the 403's Date header and retries, succeeding", async () => {
    fallback = skewedService;
    const official = new BedrockAgentCoreClient({ region: "eu-west-3", endpoint: server.url, credentials: CREDS, maxAttempts: 3 });
    const before = server.requests.length;
    const out = await official.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: ARN, runtimeSessionId: SESSION, payload: new TextEncoder().encode("{}") }));
    official.destroy();
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(server.requests.length - before).toBe(2);
  });

  test("(was a defect) our sigv4Auth corrects the clock from the server's Date and signs the refused request again, once", async () => {
    fallback = skewedService;
    const c = client(CREDS);
    const before = server.requests.length;
    const r = await within(invoke(c), 5000);
    const sent = server.requests.length - before;
    expect({ status: r.error?.$metadata?.httpStatusCode ?? r.value?.$metadata.httpStatusCode, sent }).toEqual({ status: 200, sent: 2 });
  });

  test("(was a defect) a systemClockOffset that is not a number within a century is an InvalidParameterError everywhere (a RangeError from the WebSocket helpers)", async () => {
    for (const offset of [NaN, Infinity, -Infinity, "1000", 1e20, 8.64e15]) {
      expect(() => sigv4Auth({ credentials: CREDS, systemClockOffset: offset as number })).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: "systemClockOffset" }));
      for (const helper of [getSignedWebSocketConnection, getPresignedWebSocketUrl]) {
        const e = await helper({ runtimeArn: ARN }, { credentials: CREDS, systemClockOffset: offset as number }).catch((x) => x);
        expect([e.name, e.field]).toEqual(["InvalidParameterError", "systemClockOffset"]);
      }
    }
    expect(() => sigv4Auth({ credentials: CREDS, systemClockOffset: -SKEW })).not.toThrow();
  });

  test("systemClockOffset given by hand is honoured (the server accepts it)", async () => {
    fallback = skewedService;
    const c = client(CREDS, {}, { systemClockOffset: SKEW });
    const out = await invoke(c);
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------
// what the signer gets right
// ---------------------------------------------------------------------------------------------------------

describe("signing (botocore as reference)", () => {
  test("query: a qualifier with reserved and Latin-1 characters; path: the ARN double-encoded", async () => {
    const c = client(CREDS);
    const before = server.requests.length;
    await invoke(c, { qualifier: "a+b&c=d%e/f~g*h'i!(j) é" });
    const r = server.requests[before];
    expect(r.url).toMatch(/^\/runtimes\/arn%3Aaws%3Abedrock-agentcore%3Aeu-west-3%3A123456789012%3Aruntime%2Freview_agent-abc1234567\/invocations\?/);
    expect(botocoreAuth(r, "eu-west-3", CREDS)).toBe(r.headers.authorization);
  });

  test("a user middleware's header: signed (collapsed spaces, mixed case) before signing; unsigned but harmless after", async () => {
    const c = client(CREDS);
    // normal priority: runs before sigv4 (low priority)
    c.middlewareStack.add(
      (next: any) => (args: any) => {
        args.request.headers["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Before"] = "a \t  b    c";
        return next(args);
      },
      { step: "finalizeRequest", priority: "normal", name: "before" },
    );
    // low priority, added after sigv4: runs after signing
    c.middlewareStack.add(
      (next: any) => (args: any) => {
        args.request.headers["X-Late-Header"] = "late";
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "after" },
    );
    const before = server.requests.length;
    await invoke(c);
    const r = server.requests[before];
    expect(r.headers.authorization).toContain("x-amzn-bedrock-agentcore-runtime-custom-before");
    expect(r.headers.authorization).not.toContain("x-late-header");
    expect(r.headers["x-late-header"]).toBe("late");
    expect(botocoreAuth(r, "eu-west-3", CREDS)).toBe(r.headers.authorization);
  });

  test("every retry is signed at its own time (x-amz-date advances) and verifies", async () => {
    script = [
      (_r, res) => {
        res.writeHead(503, { "content-type": "application/json", "x-amzn-ErrorType": "ServiceUnavailableException", "retry-after-ms": "1100" });
        res.end('{"message":"busy"}');
      },
    ];
    const c = client(CREDS, { retry: { unavailable: true } });
    const before = server.requests.length;
    await invoke(c);
    const [a, b] = server.requests.slice(before);
    expect(b.headers["x-amz-date"]).not.toBe(a.headers["x-amz-date"]);
    expect(botocoreAuth(a, "eu-west-3", CREDS)).toBe(a.headers.authorization);
    expect(botocoreAuth(b, "eu-west-3", CREDS)).toBe(b.headers.authorization);
  });

  test("a Buffer slice payload (non-zero byteOffset) is hashed over its own bytes; empty body hashes to e3b0…", async () => {
    const c = client(CREDS);
    const big = Buffer.from("xxxx{\"sliced\":true}yyyy");
    const before = server.requests.length;
    await invoke(c, { payload: big.subarray(4, big.length - 4) });
    await invoke(c, { payload: "" });
    const [a, b] = server.requests.slice(before);
    const { createHash } = await import("node:crypto");
    expect(a.body.toString()).toBe('{"sliced":true}');
    expect(a.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(a.body).digest("hex"));
    expect(b.headers["x-amz-content-sha256"]).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(botocoreAuth(a, "eu-west-3", CREDS)).toBe(a.headers.authorization);
    expect(botocoreAuth(b, "eu-west-3", CREDS)).toBe(b.headers.authorization);
  });

  test("WebSocket: reserved characters in custom parameters, presigned and header-signed, match botocore", async () => {
    const FIXED = new Date("2025-03-14T15:09:26Z");
    const input = { runtimeArn: ARN, sessionId: SESSION, qualifier: "q+1 é", headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-T": "a+b&c=d%e/~*'!()  x" } };
    const now = jest.spyOn(Date, "now").mockReturnValue(FIXED.getTime());
    let presigned, signed;
    try {
      presigned = await getPresignedWebSocketUrl(input, { credentials: CREDS });
      signed = await getSignedWebSocketConnection(input, { credentials: CREDS });
    } finally {
      now.mockRestore();
    }
    const unsigned = presigned.url.replace(/&X-Amz-Algorithm=.*$/, "").replace(/^wss:/, "https:");
    const url = new URL(signed.url);
    const headers: Record<string, string> = { host: url.host };
    for (const [k, v] of Object.entries(signed.headers)) if (!/^(authorization|x-amz-date|x-amz-security-token)$/i.test(k)) headers[k] = v as string;
    const [q, h] = botocoreSign([
      { kind: "query", method: "GET", url: unsigned, headers: {}, region: "eu-west-3", ...CREDS, timestamp: amzDate(FIXED), expires: 300 },
      { kind: "header", method: "GET", url: signed.url.replace(/^wss:/, "https:"), headers, region: "eu-west-3", ...CREDS, timestamp: amzDate(FIXED) },
    ]);
    expect(q.url).toBe(presigned.url.replace(/^wss:/, "https:"));
    expect(h.headers.Authorization).toBe(signed.headers.Authorization);
  });
});

test("(was a defect, WebSocket path, same memo) a provider that threw synchronously once is never asked again for that provider object", async () => {
  let calls = 0;
  const provider = ((): Promise<AwsCredentials> => {
    calls++;
    if (calls === 1) throw new Error("not yet");
    return Promise.resolve(CREDS);
  }) as () => Promise<AwsCredentials>;
  const first = await within(getSignedWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, { credentials: provider }), 3000);
  expect(first.error?.name).toBe("TokenProviderError");
  const second = await within(getSignedWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, { credentials: provider }), 3000);
  expect({ calls, error: second.error?.message }).toEqual({ calls: 2, error: undefined });
});
