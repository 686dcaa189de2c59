import {
  AgentRuntimeError,
  type InvalidArnError,
  type InvalidParameterError,
  ExecuteCommandCommand,
  ExecuteCommandStreamCommand,
  InvokeCommand,
  RuntimeClient,
  StopSessionCommand,
} from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
let client: RuntimeClient;
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

async function rejected(send: Promise<unknown>, name: string, field?: string): Promise<AgentRuntimeError> {
  const before = server.requests.length;
  const error = (await send.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e) => e,
  )) as AgentRuntimeError;
  expect(AgentRuntimeError.isInstance(error)).toBe(true);
  expect(error.name).toBe(name);
  expect(error.$fault).toBe("client");
  if (field) expect((error as InvalidParameterError | InvalidArnError).field).toBe(field);
  expect(server.requests.length).toBe(before); // nothing reached the server
  expect(JSON.stringify(error)).not.toContain(TOKEN);
  return error;
}

describe("bad ARNs and runtime ids", () => {
  const bad = [
    "",
    "not-an-arn",
    "arn:aws:bedrock-agentcore:us-east-1:123456789012",
    "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a:b",
    "arn:aws:bedrock-agentcore::123456789012:runtime/x",
    "arn:aws:bedrock-agentcore:us-east-1::runtime/x",
    "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/",
    "arn:aws:bedrock:us-east-1:123456789012:runtime/x",
    "arn:aws:bedrock-agentcore:us-east-1:123456789012:agent/x",
    "arn:aws:bedrock-agentcore:US-EAST-1:123456789012:runtime/x",
    "arn:aws:bedrock-agentcore:us-east-1:12345:runtime/x",
    "arn:azure:bedrock-agentcore:us-east-1:123456789012:runtime/x",
    "arn:aws-cn:bedrock-agentcore:us-east-1:123456789012:runtime/x",
  ];
  test.each(bad)("%p", async (runtimeArn) => {
    await rejected(client.send(new InvokeCommand({ runtimeArn, payload: {} })), "InvalidArnError");
  });
  test("a runtime id needs accountId, and accountId must be 12 digits", async () => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", payload: {} })), "InvalidArnError");
    await rejected(client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", accountId: "42", payload: {} })), "InvalidArnError");
  });
  test("accountId that contradicts the ARN", async () => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, accountId: "999999999999", payload: {} })), "InvalidArnError");
  });
});

describe("session ids", () => {
  test.each([["short", "x".repeat(32)], ["long", "x".repeat(257)], ["empty", ""]])("%s session id is refused", async (_label, sessionId) => {
    const error = await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, sessionId, payload: {} })), "InvalidParameterError", "sessionId");
    expect(error.message).toMatch(/33–256/);
  });
  test("33 and 256 characters are accepted", async () => {
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: "s".repeat(33), payload: {} }));
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: "s".repeat(256), payload: {} }));
  });
  test("stop requires a session id", async () => {
    await rejected(client.send(new StopSessionCommand({ runtimeArn: ARN } as any)), "InvalidParameterError", "sessionId");
  });
});

describe("commands", () => {
  test.each([["empty", ""], ["too long", "x".repeat(65537)]])("%s command", async (_l, command) => {
    await rejected(client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command })), "InvalidParameterError", "command");
  });
  test.each([0, 3601, 1.5, -1, Number.NaN])("timeout %p", async (timeout) => {
    await rejected(client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, command: "ls", timeout })), "InvalidParameterError", "timeout");
  });
});

describe("headers and tokens", () => {
  test.each([
    ["CR/LF in a custom header", { headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-A": "a\r\nInjected: 1" } }, "headers.X-Amzn-Bedrock-AgentCore-Runtime-Custom-A"],
    ["LF in userId", { userId: "u\n" }, "userId"],
    ["NUL in traceId", { traceId: "t\u0000" }, "traceId"],
    ["traceId over 128 for invoke", { traceId: "t".repeat(129) }, "traceId"],
    ["tracestate over 512", { tracestate: "t".repeat(513) }, "tracestate"],
    ["baggage over 8192", { baggage: "b".repeat(8193) }, "baggage"],
    ["empty mcpSessionId", { mcpSessionId: "" }, "mcpSessionId"],
    ["non-Latin-1 in a header", { userId: "☃" }, "userId"],
    ["a header name with a space", { headers: { "Bad Name": "x" } }, "headers"],
    ["overriding Authorization", { headers: { authorization: "Bearer other" } }, "headers"],
    ["a typed header in lower case", { headers: { "content-type": "text/plain" } }, "headers"],
    ["the session header through headers", { headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "s".repeat(40) } }, "headers"],
    ["a trace header through headers", { headers: { TraceParent: "00-x" } }, "headers"],
    ["the same header twice in different case", { headers: { "X-Custom": "a", "x-custom": "b" } }, "headers"],
  ])("%s", async (_label, extra, field) => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...(extra as object) })), "InvalidParameterError", field);
  });
  test("a bearer token with CR/LF is refused, and the error does not echo it", async () => {
    const evil = `${TOKEN}\r\nX-Injected: 1`;
    const error = await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, bearerToken: evil })), "TokenProviderError");
    expect(error.message).not.toContain("X-Injected");
  });
  test("a bearer token is never sent over plain http to a non-loopback host", async () => {
    const remote = new RuntimeClient({ endpoint: "http://agent.example.com", token: TOKEN });
    await rejected(remote.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })), "InsecureEndpointError");
    remote.destroy();
  });
});

describe("payload", () => {
  test("over 100,000,000 bytes is refused before sending", async () => {
    const payload = new Uint8Array(100_000_001);
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload })), "InvalidParameterError", "payload");
  });
  test("a string whose UTF-8 form is over the limit is refused", async () => {
    const payload = "é".repeat(50_000_001); // 100,000,002 bytes in UTF-8
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload })), "InvalidParameterError", "payload");
  });
  test("an object that cannot be JSON is refused", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: cyclic })), "InvalidParameterError", "payload");
  });
  test.each([
    ["Map", new Map([["a", 1]])],
    ["Set", new Set([1])],
  ])("a %s payload (which JSON would turn into {}) is refused", async (_label, payload) => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload })), "InvalidParameterError", "payload");
  });
  test("a streamed payload over the limit is refused after reading one byte past it", async () => {
    async function* huge() {
      for (let i = 0; i < 200; i++) yield new Uint8Array(1_000_000);
    }
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: huge() })), "InvalidParameterError", "payload");
  });
  test("a surrogate pair split between two string chunks is sent whole (it went out as two U+FFFD)", async () => {
    async function* split() {
      yield "a\ud83d"; // the first half of 😀
      yield "\ude00b";
    }
    const before = server.requests.length;
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: split() }));
    expect(server.requests[before].body.toString("utf8")).toBe("a😀b");
    expect(server.requests[before].body).toEqual(Buffer.from("a😀b", "utf8"));
  });
  test.each([
    ["a last chunk ending in half a pair", ["a", "b\ud83d"]],
    ["a chunk starting with a second half", ["a", "\ude00b"]],
    ["half a pair followed by bytes", ["a\ud83d", new Uint8Array([0x62])]],
    ["a lone surrogate inside a chunk", ["a\udc00b"]],
  ])("a streamed payload with an unpaired surrogate is refused: %s", async (_label, chunks) => {
    async function* stream() {
      yield* chunks as (string | Uint8Array)[];
    }
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: stream() })), "InvalidParameterError", "payload");
  });
  test("clientToken pattern and length", async () => {
    await rejected(client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION, clientToken: "short" })), "InvalidParameterError", "clientToken");
    await rejected(client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION, clientToken: "-".repeat(40) })), "InvalidParameterError", "clientToken");
  });
});

test("an AWS SDK v3-shaped retryStrategy is refused at construction, not after the first failure", () => {
  const v3Like = { mode: "standard", acquireInitialRetryToken: async () => ({}), refreshRetryTokenForRetry: async () => ({}), recordSuccess: () => undefined };
  expect(() => new RuntimeClient({ retryStrategy: v3Like as never })).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: "retryStrategy" }));
});

describe("input that slipped through", () => {
  const ACCOUNT = "123456789012";
  const noLineBreaks = (error: AgentRuntimeError) => expect(error.message).not.toMatch(/[\r\n]/);

  test.each([".", "..", "", "%2e%2e", "a/..", "../my_agent-abcdefghij", "my_agent-abcdefghij/..", "my agent-abcdefghij", "my_agent-abc", "1agent-abcdefghij", "my_agent-abcdefgh\ud800j", "\ud800"])(
    "runtime id %p is refused, naming runtimeArn",
    async (runtimeArn) => {
      const error = await rejected(client.send(new InvokeCommand({ runtimeArn, accountId: ACCOUNT, payload: {} })), "InvalidArnError", "runtimeArn");
      noLineBreaks(error);
    },
  );
  test.each(["..", ".", "my_agent-abcdefghij/..", "x", "my_agent-abcdefgh\udc00j"])("an ARN whose runtime id is %p is refused", async (id) => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: `arn:aws:bedrock-agentcore:us-east-1:${ACCOUNT}:runtime/${id}`, payload: {} })), "InvalidArnError", "runtimeArn");
  });
  test("a valid runtime id with accountId is sent as one path segment", async () => {
    const before = server.requests.length;
    await client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", accountId: ACCOUNT, payload: {} }));
    expect(server.requests[before].url).toBe(`/runtimes/my_agent-abcdefghij/invocations?accountId=${ACCOUNT}`);
  });
  test("accountId that is not a string, or missing with a bare id, names accountId", async () => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", accountId: 123456789012 as never, payload: {} })), "InvalidArnError", "accountId");
    await rejected(client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", payload: {} })), "InvalidArnError", "accountId");
  });
  test.each([
    ["runtimeArn", { runtimeArn: "bad\r\nX-Injected: 1" }],
    ["runtimeArn", { runtimeArn: "arn:aws:bedrock-agentcore:us-east-1\r\n:123456789012:runtime/x" }],
    ["runtimeArn", { runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a\nb" }],
    ["accountId", { runtimeArn: ARN, accountId: "1\r\n2" }],
    ["headers", { headers: { "X-A\r\nX-Injected": "1" } }],
    ["headers", { headers: { "\n\n\n": "1" } }],
  ])("an error about %s never echoes CR or LF", async (field, extra) => {
    const error = await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...(extra as object) })), field === "headers" ? "InvalidParameterError" : "InvalidArnError", field);
    noLineBreaks(error);
    expect(error.message).toMatch(/\\r|\\n/); // shown escaped instead
  });
  test.each([
    ["sessionId", { sessionId: `${"s".repeat(40)}\ud800` }],
    ["qualifier", { qualifier: "prod\udfff" }],
    ["userId", { userId: "\ud83d" }],
    ["headers.X-Amzn-Bedrock-AgentCore-Runtime-Custom-A", { headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-A": "a\udc00b" } }],
    ["headers", { headers: { "X-\ud800": "1" } }],
  ])("a lone surrogate in %s is refused", async (field, extra) => {
    const error = await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...(extra as object) })), "InvalidParameterError", field);
    expect(error.message).not.toMatch(/[\ud800-\udfff]/);
  });
  test("a header value over 8192 bytes is refused; 8192 is sent", async () => {
    const name = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Big";
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: { [name]: "v".repeat(8193) } })), "InvalidParameterError", `headers.${name}`);
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, contentType: "c".repeat(8193) })), "InvalidParameterError", "contentType");
    const before = server.requests.length;
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: { [name]: "v".repeat(8192) } }));
    expect(server.requests[before].headers[name.toLowerCase()]).toBe("v".repeat(8192));
  });
  test("headers totalling over 16 KiB are refused, naming the largest", async () => {
    const headers = { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-A": "a".repeat(8000), "X-Amzn-Bedrock-AgentCore-Runtime-Custom-B": "b".repeat(8100) };
    const error = await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers, baggage: "k=v" })), "InvalidParameterError", "headers");
    expect(error.message).toMatch(/16384/);
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, baggage: "b".repeat(8192), contentType: "c".repeat(8192) })), "InvalidParameterError");
  });
  test("a header value with leading or trailing whitespace (which HTTP strips) is refused", async () => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: { "X-A": " padded" } })), "InvalidParameterError", "headers.X-A");
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, userId: "user " })), "InvalidParameterError", "userId");
  });
  test.each([
    ["null", () => null],
    ["a string", () => "X-A: 1"],
    ["an array", () => [["X-A", "1"]]],
    ["a Map", () => new Map([["X-A", "1"]])],
    ["a Headers", () => new Headers({ "X-A": "1" })],
    ["a class instance", () => new (class Custom { "X-A" = "1"; })()],
    ["an object whose getter throws", () => Object.defineProperty({}, "X-A", { enumerable: true, get: () => { throw new RangeError("boom"); } })],
  ])("headers that is %s is refused, naming headers", async (_label, make) => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: make() as never })), "InvalidParameterError", "headers");
  });
  test("a null-prototype object of headers is a plain object and is sent", async () => {
    const headers = Object.assign(Object.create(null), { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-A": "1" });
    const before = server.requests.length;
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers }));
    expect(server.requests[before].headers["x-amzn-bedrock-agentcore-runtime-custom-a"]).toBe("1");
  });
  test.each(["Upgrade", "TE", "keep-alive", "Trailer"])("the hop-by-hop header %p is refused", async (name) => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: { [name]: "x" } })), "InvalidParameterError", "headers");
  });
  test("a userAgentAppId with CR/LF is refused before sending, typed", async () => {
    const app = new RuntimeClient({ endpoint: server.url, token: TOKEN, userAgentAppId: "app\r\nX-Injected: 1" });
    const error = await rejected(app.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })), "InvalidParameterError", "userAgentAppId");
    noLineBreaks(error);
    app.destroy();
  });
  test.each([
    ["qualifier", { qualifier: "a&b=c#d e%2e+f;g/h?i" }],
    ["qualifier", { qualifier: "é-Latin-1" }],
  ])("a %s with URL-reserved characters arrives intact", async (_field, extra) => {
    const before = server.requests.length;
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, ...extra }));
    expect(new URL(server.requests[before].url, server.url).searchParams.get("qualifier")).toBe(extra.qualifier);
  });
});

describe("payload text that UTF-8 cannot carry", () => {
  test("a string payload with a lone surrogate is refused before sending (it would arrive as U+FFFD)", async () => {
    await rejected(client.send(new InvokeCommand({ runtimeArn: ARN, payload: "a\ud800b" })), "InvalidParameterError", "payload");
  });
  test("an object payload with a lone surrogate is sent as a JSON escape, losslessly", async () => {
    const before = server.requests.length;
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { text: "a\ud800b" } }));
    expect(server.requests[before].body.toString("utf8")).toBe('{"text":"a\\ud800b"}');
  });
});
