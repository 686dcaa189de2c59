import { InvokeCommand, InvokeStreamCommand, RuntimeClient, type SseEvent } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

type Reply = { headers: Record<string, string>; body: string };
let reply: Reply;
let server: TestServer;
let client: RuntimeClient;
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, reply.headers);
    res.end(reply.body);
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

test("response headers of the contract are surfaced on the output", async () => {
  reply = {
    headers: {
      "content-type": "application/json",
      "x-amzn-bedrock-agentcore-runtime-session-id": SESSION,
      "mcp-session-id": "mcp-1",
      "mcp-protocol-version": "2025-06-18",
      "x-amzn-trace-id": "Root=1-a",
      traceparent: "00-abc-def-01",
      tracestate: "k=v",
      baggage: "b=1",
      "x-amzn-requestid": "rid-7",
    },
    body: '{"answer":42}',
  };
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  expect(out).toMatchObject({
    statusCode: 200,
    contentType: "application/json",
    sessionId: SESSION,
    mcpSessionId: "mcp-1",
    mcpProtocolVersion: "2025-06-18",
    traceId: "Root=1-a",
    traceparent: "00-abc-def-01",
    tracestate: "k=v",
    baggage: "b=1",
    json: { answer: 42 },
    text: '{"answer":42}',
    $metadata: { httpStatusCode: 200, requestId: "rid-7", attempts: 1, totalRetryDelay: 0 },
  });
  expect(out.events).toBeUndefined();
});

test("a JSON string body is unwrapped into text", async () => {
  reply = { headers: { "content-type": "application/json; charset=utf-8" }, body: '"Hello \\u00e9"' };
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  expect(out.json).toBe("Hello é");
  expect(out.text).toBe("Hello é");
});

test("a body that says JSON but is not is a clear error carrying the text", async () => {
  reply = { headers: { "content-type": "application/json" }, body: "{not json" };
  await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }))).rejects.toMatchObject({ name: "InvalidResponseError", text: "{not json" });
});

test("a plain-text body is text and bytes, with no json", async () => {
  reply = { headers: { "content-type": "text/plain" }, body: "héllo" };
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: "raw", contentType: "text/plain" }));
  expect(out.text).toBe("héllo");
  expect(Buffer.from(out.body).toString()).toBe("héllo");
  expect(out.json).toBeUndefined();
  expect(server.requests.at(-1)!.body.toString()).toBe("raw");
  expect(server.requests.at(-1)!.headers["content-type"]).toBe("text/plain");
});

test("a non-SSE body arrives on the stream as one event holding the whole body", async () => {
  reply = { headers: { "content-type": "application/json" }, body: '"whole"' };
  const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
  const events: SseEvent[] = [];
  for await (const e of out.stream) events.push(e);
  expect(events).toEqual([{ data: '"whole"', text: "whole" }]);
});

test("Uint8Array payloads are sent byte for byte", async () => {
  reply = { headers: { "content-type": "application/json" }, body: "{}" };
  const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
  await client.send(new InvokeCommand({ runtimeArn: ARN, payload: bytes, contentType: "application/octet-stream" }));
  expect([...server.requests.at(-1)!.body]).toEqual([0, 1, 2, 250, 255]);
  expect(server.requests.at(-1)!.headers["content-length"]).toBe("5");
});

test("the session id is generated once per call and kept across retries", async () => {
  let calls = 0;
  const flaky = await startServer((_req, res) => {
    calls++;
    if (calls === 1) {
      res.writeHead(429, { "x-amzn-errortype": "ThrottlingException", "retry-after-ms": "1" });
      res.end('{"message":"slow down"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  const local = new RuntimeClient({ endpoint: flaky.url, token: TOKEN });
  const out = await local.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  const ids = flaky.requests.map((r) => r.headers["x-amzn-bedrock-agentcore-runtime-session-id"]);
  expect(ids).toHaveLength(2);
  expect(ids[0]).toBe(ids[1]);
  expect(out.$metadata.attempts).toBe(2);
  expect(flaky.requests.map((r) => r.headers["amz-sdk-request"])).toEqual(["attempt=1; max=3", "attempt=2; max=3"]);
  local.destroy();
  await flaky.close();
});

test.each([
  ["a Blob", () => new Blob(['{"from":"blob"}'])],
  ["a web ReadableStream", () => new Blob(['{"from":"blob"}']).stream()],
  ["an async iterable of strings and bytes", () => (async function* () {
    yield '{"from":';
    yield new TextEncoder().encode('"blob"}');
  })()],
])("%s payload is read and sent byte for byte", async (_label, make) => {
  reply = { headers: { "content-type": "application/json" }, body: "{}" };
  await client.send(new InvokeCommand({ runtimeArn: ARN, payload: make() }));
  const got = server.requests.at(-1)!;
  expect(got.body.toString()).toBe('{"from":"blob"}');
  expect(got.headers["content-length"]).toBe("15");
});
