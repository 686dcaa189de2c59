/**
 * sigv4Auth on a RuntimeClient: credentials memoised and refreshed before they expire, every retry signed
 * afresh (each attempt's signature checked by botocore), the region chosen as documented, plain http off
 * loopback refused, and the secret key, session token and Authorization header absent from errors (streamed
 * ones too), log lines and anything inspectable.
 */
import { inspect } from "node:util";
import { AgentRuntimeError, InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { sigv4Auth, type AwsCredentials } from "@agentcore-runtime/client/sigv4";
import { amzDate, botocoreSign } from "./helpers/botocore";
import { startServer, type Recorded, type TestServer } from "./helpers/server";

const ARN = "arn:aws:bedrock-agentcore:eu-central-1:123456789012:runtime/my_agent-abc1234567";
const SESSION = "sigv4-session-0123456789-0123456789-abc";
const CREDS = { accessKeyId: "ASIABEHAVIOUR", secretAccessKey: "SeCrEtKeY/behaviour+0123456789abcdefghij", sessionToken: "SeSsIoNtOkEn//behaviour-0123456789==" };

let server: TestServer;
/** What the next responses are: shifted per request; default 200 JSON echoing nothing. */
let script: ((req: Recorded, res: import("node:http").ServerResponse) => void)[] = [];
beforeAll(async () => {
  server = await startServer((req, res, recorded) => {
    const next = script.shift();
    if (next) return next(recorded, res);
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  script = [];
});

function client(credentials: AwsCredentials | (() => Promise<AwsCredentials>) = CREDS, extra: Record<string, unknown> = {}, region?: string) {
  const c = new RuntimeClient({ endpoint: server.url, maxAttempts: 3, ...extra });
  c.middlewareStack.use(sigv4Auth({ credentials, region }));
  return c;
}

function verifiesWithBotocore(r: Recorded, region: string, creds: AwsCredentials): boolean {
  const headers: Record<string, string> = {};
  for (let i = 0; i < r.rawHeaders.length; i += 2) {
    const name = r.rawHeaders[i];
    if (!["authorization", "x-amz-date", "x-amz-security-token", "connection"].includes(name.toLowerCase())) headers[name] = r.rawHeaders[i + 1];
  }
  const date = r.headers["x-amz-date"] as string;
  const [signed] = botocoreSign([{ kind: "header", method: r.method, url: `${server.url}${r.url}`, headers, body: r.body, region, ...creds, timestamp: date }]);
  return signed.headers.Authorization === r.headers.authorization;
}

test("a provider is memoised, shared by concurrent calls, and asked again (in the background) 5 minutes before expiration", async () => {
  let calls = 0;
  let now = Date.parse("2025-06-01T12:00:00Z");
  const clock = jest.spyOn(Date, "now").mockImplementation(() => now);
  try {
    let last: Promise<unknown> = Promise.resolve();
    const provider = jest.fn(() => {
      calls++;
      const key = `ASIAKEY${calls}`;
      const fetched = new Promise((r) => setTimeout(r, 20)).then(() => ({ ...CREDS, accessKeyId: key, expiration: new Date(now + 15 * 60_000) }));
      last = fetched;
      return fetched;
    });
    const c = client(provider);
    const send = () => c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    await Promise.all([send(), send(), send()]);
    expect(provider).toHaveBeenCalledTimes(1);
    now += 9 * 60_000; // 6 minutes left: still fresh
    await send();
    expect(provider).toHaveBeenCalledTimes(1);
    now += 2 * 60_000; // 4 minutes left: inside the margin, refreshed in the background (this send signs with KEY1)
    await send();
    expect(provider).toHaveBeenCalledTimes(2);
    expect(provider).toHaveBeenLastCalledWith({ forceRefresh: true });
    await last;
    await send();
    expect(provider).toHaveBeenCalledTimes(2);
    const keys = server.requests.slice(-6).map((r) => /Credential=(\w+)\//.exec(r.headers.authorization as string)![1]);
    expect(keys).toEqual(["ASIAKEY1", "ASIAKEY1", "ASIAKEY1", "ASIAKEY1", "ASIAKEY1", "ASIAKEY2"]);
    c.destroy();
  } finally {
    clock.mockRestore();
  }
});

test("each retry is signed afresh, and every attempt's signature verifies with botocore", async () => {
  script = [
    (_r, res) => {
      res.writeHead(503, { "content-type": "application/json", "x-amzn-ErrorType": "ServiceUnavailableException" });
      res.end('{"message":"busy"}');
    },
  ];
  const c = client(CREDS, { retryStrategy: undefined, retry: { unavailable: true } });
  const before = server.requests.length;
  const out = await c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: { q: 1 } }));
  expect(out.$metadata.attempts).toBe(2);
  const [first, second] = server.requests.slice(before);
  expect(first.headers["amz-sdk-request"]).toMatch(/attempt=1/);
  expect(second.headers["amz-sdk-request"]).toMatch(/attempt=2/);
  expect(second.headers.authorization).not.toBe(first.headers.authorization);
  expect(verifiesWithBotocore(first, "eu-central-1", CREDS)).toBe(true);
  expect(verifiesWithBotocore(second, "eu-central-1", CREDS)).toBe(true);
  c.destroy();
});

test("the region: the ARN's with a custom endpoint, the option's when given", async () => {
  const before = server.requests.length;
  const a = client();
  await a.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
  const b = client(CREDS, {}, "us-gov-west-1");
  await b.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
  const [ra, rb] = server.requests.slice(before);
  expect(ra.headers.authorization).toContain("/eu-central-1/bedrock-agentcore/aws4_request");
  expect(rb.headers.authorization).toContain("/us-gov-west-1/bedrock-agentcore/aws4_request");
  expect(verifiesWithBotocore(rb, "us-gov-west-1", CREDS)).toBe(true);
  a.destroy();
  b.destroy();
});

test("plain http off loopback is refused before anything is sent, as with bearer auth", async () => {
  const c = new RuntimeClient({ endpoint: "http://agentcore.example.invalid:8080" });
  c.middlewareStack.use(sigv4Auth({ credentials: CREDS }));
  const error = await c.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e);
  expect(error.name).toBe("InsecureEndpointError");
  expect(error.message).toContain("SigV4");
});

test("secrets and the Authorization header appear in no error, log line or inspected object", async () => {
  // a hostile server that echoes everything it got, in the error body and again in a streamed error event
  script = [
    (r, res) => {
      res.writeHead(403, { "content-type": "application/json", "x-amzn-ErrorType": "AccessDeniedException" });
      res.end(JSON.stringify({ message: `denied: ${r.headers.authorization} token ${r.headers["x-amz-security-token"]} key ${CREDS.secretAccessKey}` }));
    },
    (r, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: "hi"\n\nevent: error\ndata: ${JSON.stringify({ error: `boom ${r.headers.authorization} ${r.headers["x-amz-security-token"]}`, error_type: "Leak" })}\n\n`);
    },
  ];
  const lines: string[] = [];
  const logger = { debug: (l: string) => lines.push(l), info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
  const c = client(async () => CREDS, { logger, maxAttempts: 1 });
  const denied = await c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })).catch((e) => e);
  expect(AgentRuntimeError.isInstance(denied)).toBe(true);
  expect(denied.name).toBe("AccessDeniedException");
  const sent = server.requests[server.requests.length - 1];
  const signature = /Signature=(\w+)/.exec(sent.headers.authorization as string)![1];
  const stream = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
  let streamed: unknown;
  try {
    for await (const _ of stream.stream);
  } catch (e) {
    streamed = e;
  }
  expect(streamed).toBeDefined();
  const shown = [inspect(denied, { depth: 8, showHidden: true }), String(denied.stack), inspect(streamed, { depth: 8, showHidden: true }), ...lines, inspect(c, { depth: 8, showHidden: true })].join("\n");
  expect(shown).toContain("denied:");
  expect(shown).toContain("boom");
  for (const secret of [CREDS.secretAccessKey, CREDS.sessionToken, signature, "AWS4-HMAC-SHA256 Credential="]) expect([secret, shown.includes(secret)]).toEqual([secret, false]);
  c.destroy();
});

test("a failing provider is a TokenProviderError; an abort while waiting for credentials is an AbortError", async () => {
  const failing = client(async () => {
    throw new Error("no credentials in this environment");
  });
  const e1 = await failing.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e);
  expect(e1.name).toBe("TokenProviderError");
  expect(e1.message).toContain("no credentials in this environment");
  const slow = client(() => new Promise<AwsCredentials>(() => undefined));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  const e2 = await slow.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { abortSignal: controller.signal }).catch((e) => e);
  expect(e2.name).toBe("AbortError");
  failing.destroy();
  slow.destroy();
});

test("bad options fail at construction", () => {
  expect(() => sigv4Auth({} as never)).toThrow(/credentials/);
  expect(() => sigv4Auth({ credentials: { accessKeyId: "", secretAccessKey: "x" } })).toThrow(/accessKeyId and secretAccessKey/);
  expect(() => sigv4Auth({ credentials: CREDS, systemClockOffset: NaN })).toThrow(/systemClockOffset/);
});

test("the logger's request line carries no signature: signing happens inside it", async () => {
  const lines: string[] = [];
  const c = client(CREDS, { logger: { debug: (l: string) => lines.push(l), info: (l: string) => lines.push(l) } });
  await c.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
  expect(lines.join("\n")).toContain("→ InvokeCommand");
  expect(lines.join("\n")).not.toMatch(/AWS4-HMAC|Signature=|SeSsIoN/);
  expect(server.requests[server.requests.length - 1].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  c.destroy();
});

test("amzDate helper sanity", () => {
  expect(amzDate(new Date("2025-01-02T03:04:05.678Z"))).toBe("20250102T030405Z");
});
