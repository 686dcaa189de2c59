import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, InvokeAgentRuntimeCommandCommand, StopRuntimeSessionCommand } from "@aws-sdk/client-bedrock-agentcore";
import { HttpBearerAuthSigner } from "@smithy/core";
import { ExecuteCommandCommand, InvokeCommand, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";
import { SESSION, startServer, TOKEN, type Recorded, type TestServer } from "./helpers/server";

// Headers both SDKs add for their own bookkeeping; everything else must match byte for byte.
const BOOKKEEPING = new Set(["user-agent", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "host", "connection"]);

function wire(r: Recorded) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (!BOOKKEEPING.has(k)) headers[k] = String(v);
  return { method: r.method, url: r.url, headers, body: r.body.toString("utf8") };
}

let server: TestServer;
let ours: RuntimeClient;
let official: BedrockAgentCoreClient;

beforeAll(async () => {
  process.emitWarning = () => undefined; // the official SDK warns about Node 20 support; not our concern here
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  ours = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  official = new BedrockAgentCoreClient({
    region: "us-east-1",
    endpoint: server.url,
    maxAttempts: 1,
    token: { token: TOKEN },
    httpAuthSchemeProvider: () => [{ schemeId: "smithy.api#httpBearerAuth" }],
    httpAuthSchemes: [{ schemeId: "smithy.api#httpBearerAuth", identityProvider: () => async () => ({ token: TOKEN }), signer: new HttpBearerAuthSigner() }],
  } as any);
});
afterAll(async () => {
  ours.destroy();
  official.destroy();
  await server.close();
});

async function both(sendOurs: () => Promise<unknown>, sendOfficial: () => Promise<unknown>) {
  const before = server.requests.length;
  await sendOurs();
  await sendOfficial().catch(() => undefined); // its deserializer may dislike our canned reply; only the request matters
  const [a, b] = server.requests.slice(before);
  return { ours: wire(a), official: wire(b) };
}

// The client accepts only the service's runtime id pattern, so the ARN's only reserved characters are ':' and
// '/'; escaping of `!*'()` (which encodeURIComponent leaves alone) is covered by the path-encoding unit test.
const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abc1234567";

test("invoke with every modelled header and query parameter", async () => {
  const payload = '{"prompt":"héllo"}';
  const { ours: a, official: b } = await both(
    () =>
      ours.send(
        new InvokeCommand({
          runtimeArn: ARN,
          payload,
          qualifier: "prod",
          accountId: "123456789012",
          sessionId: SESSION,
          userId: "user-1",
          mcpSessionId: "mcp-s",
          mcpProtocolVersion: "2025-06-18",
          traceId: "Root=1-abc",
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          tracestate: "rojo=00f067aa0ba902b7",
          baggage: "userId=alice",
          contentType: "application/json",
          accept: "application/json",
        }),
      ),
    () =>
      official.send(
        new InvokeAgentRuntimeCommand({
          agentRuntimeArn: ARN,
          payload: new TextEncoder().encode(payload),
          qualifier: "prod",
          accountId: "123456789012",
          runtimeSessionId: SESSION,
          runtimeUserId: "user-1",
          mcpSessionId: "mcp-s",
          mcpProtocolVersion: "2025-06-18",
          traceId: "Root=1-abc",
          traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          traceState: "rojo=00f067aa0ba902b7",
          baggage: "userId=alice",
          contentType: "application/json",
          accept: "application/json",
        }),
      ),
  );
  expect(a).toEqual(b);
  expect(a.url).toContain("/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fmy_agent-abc1234567/invocations");
  expect(a.headers.authorization).toBe(`Bearer ${TOKEN}`);
});

test("invoke with only the required input: no qualifier or accountId query, generated session id", async () => {
  const { ours: a, official: b } = await both(
    () => ours.send(new InvokeCommand({ runtimeArn: ARN, payload: "x", contentType: "application/octet-stream", accept: "application/json" })),
    () => official.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: ARN, payload: new TextEncoder().encode("x"), accept: "application/json" })),
  );
  // both generate a fresh UUID: compare its shape, then the rest exactly
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  expect(a.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toMatch(uuid);
  expect(b.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toMatch(uuid);
  delete a.headers["x-amzn-bedrock-agentcore-runtime-session-id"];
  delete b.headers["x-amzn-bedrock-agentcore-runtime-session-id"];
  expect(a).toEqual(b);
  expect(a.url).not.toContain("?");
});

test("commands: JSON body, trace headers, Accept for the event stream", async () => {
  const { ours: a, official: b } = await both(
    () => ours.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "ls -la /tmp", timeout: 10, traceId: "t-1", baggage: "k=v" })).catch(() => undefined),
    () =>
      official.send(
        new InvokeAgentRuntimeCommandCommand({
          agentRuntimeArn: ARN,
          runtimeSessionId: SESSION,
          body: { command: "ls -la /tmp", timeout: 10 },
          traceId: "t-1",
          baggage: "k=v",
          accept: "application/vnd.amazon.eventstream",
        }),
      ),
  );
  expect(a).toEqual(b);
  expect(JSON.parse(a.body)).toEqual({ command: "ls -la /tmp", timeout: 10 });
});

test("stop session: JSON clientToken body and the session header", async () => {
  const clientToken = "c0ffee00-1111-2222-3333-444455556666";
  const { ours: a, official: b } = await both(
    () => ours.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION, clientToken, qualifier: "DEFAULT" })),
    () => official.send(new StopRuntimeSessionCommand({ agentRuntimeArn: ARN, runtimeSessionId: SESSION, clientToken, qualifier: "DEFAULT" })),
  );
  expect(a).toEqual(b);
});

test("stop session without a clientToken generates a UUID like the official SDK", async () => {
  const { ours: a, official: b } = await both(
    () => ours.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION })),
    () => official.send(new StopRuntimeSessionCommand({ agentRuntimeArn: ARN, runtimeSessionId: SESSION })),
  );
  expect(JSON.parse(a.body).clientToken).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.parse(b.body).clientToken).toMatch(/^[0-9a-f-]{36}$/);
  expect({ ...a, body: "" }).toEqual({ ...b, body: "" });
});
