import { AgentRuntimeError, InvokeCommand, InvokeStreamCommand, RuntimeClient, type SseEvent } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, type TestServer } from "./helpers/server";

// An opaque (non-JWT) token: only exact-token scrubbing can keep it out of errors.
const OPAQUE = "opaque_token_7f3a9c2e51d84b60";
let body: string;
let server: TestServer;
let client: RuntimeClient;
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "x-amzn-requestid": "rid-stream", "x-amzn-bedrock-agentcore-runtime-session-id": SESSION });
    res.end(body);
  });
  client = new RuntimeClient({ endpoint: server.url, token: OPAQUE, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

async function drain(): Promise<{ events: SseEvent[]; error?: AgentRuntimeError }> {
  const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
  const events: SseEvent[] = [];
  try {
    for await (const e of out.stream) events.push(e);
  } catch (e) {
    return { events, error: e as AgentRuntimeError };
  }
  return { events };
}

test('an ordinary result with "error": null is not an error', async () => {
  body = 'data: {"result":"ok","error":null}\n\ndata: {"result":"more","error":""}\n\n';
  const { events, error } = await drain();
  expect(error).toBeUndefined();
  expect(events).toHaveLength(2);
});

test("an agent error in an unterminated last event is raised, not dropped with it", async () => {
  body = 'data: "Hel"\n\ndata: {"error":"boom","error_type":"ValueError","message":"failed late"}\n';
  const { events, error } = await drain();
  expect(events.map((e) => e.text)).toEqual(["Hel"]);
  expect(error).toMatchObject({ name: "ValueError", message: "failed late" });
  const blocking = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e);
  expect(blocking).toMatchObject({ name: "ValueError" });
});

test("an error raised mid-stream carries the response's metadata, request id and session id", async () => {
  body = 'data: "a"\n\ndata: {"error":"x","error_type":"ValueError","message":"m"}\n\n';
  const { error } = await drain();
  expect(error!.requestId).toBe("rid-stream");
  expect(error!.sessionId).toBe(SESSION);
  expect(error!.$metadata).toMatchObject({ httpStatusCode: 200, requestId: "rid-stream", attempts: 1 });
});

test("an opaque token echoed by the agent inside the stream never reaches the error", async () => {
  body = `data: "a"\n\ndata: {"error":"auth","error_type":"EchoError","message":"your header was Bearer ${OPAQUE}","detail":"${OPAQUE}"}\n\n`;
  const { error } = await drain();
  expect(error!.name).toBe("EchoError");
  expect(JSON.stringify(error)).not.toContain(OPAQUE);
  expect(error!.message).not.toContain(OPAQUE);
  expect(String(error!.stack)).not.toContain(OPAQUE);
});

describe("what counts as an agent error (event: error, or string error + string error_type)", () => {
  test.each([
    ['{"tool":"search","error":"no results"}', "an ordinary event with an error field"],
    ['{"error":{"code":1},"error_type":"ToolError"}', "a non-string error"],
    ['{"error_type":"ToolError","message":"m"}', "error_type without error"],
    ['{"error":"x","error_type":7}', "a non-string error_type"],
  ])("%s is data (%s)", async (data) => {
    body = `data: ${data}\n\ndata: "after"\n\n`;
    const { events, error } = await drain();
    expect(error).toBeUndefined();
    expect(events.map((e) => e.data)).toEqual([data, '"after"']);
  });
  test("string error and string error_type is the agent's error", async () => {
    body = 'data: "a"\n\ndata: {"error":"boom","error_type":"ValueError","message":"went wrong"}\n\ndata: "never"\n\n';
    const { events, error } = await drain();
    expect(events.map((e) => e.text)).toEqual(["a"]);
    expect(error).toMatchObject({ name: "ValueError", errorType: "ValueError", message: "went wrong" });
  });
  test("event: error is an agent error whatever its data", async () => {
    body = 'data: "a"\n\nevent: error\ndata: the tool crashed\n\n';
    const { events, error } = await drain();
    expect(events.map((e) => e.text)).toEqual(["a"]);
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(error!.message).toBe("the tool crashed");
  });
});

describe("a body that ends inside an event is a truncation, never a silent partial success", () => {
  test("InvokeStreamCommand: the complete events, then TruncatedStreamError with the partial text", async () => {
    body = 'data: "a"\n\n: keepalive\n\nevent: token\ndata: "b';
    const { events, error } = await drain();
    expect(events.map((e) => e.text)).toEqual(["a"]);
    expect(error).toMatchObject({ name: "TruncatedStreamError", partial: 'event: token\ndata: "b', requestId: "rid-stream", sessionId: SESSION });
  });
  test("InvokeCommand rejects with the events so far on the error", async () => {
    body = 'data: "a"\n\ndata: "b"\n\ndata: "c';
    const error = (await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e)) as AgentRuntimeError;
    expect(error.name).toBe("TruncatedStreamError");
    expect((error.events as SseEvent[]).map((e) => e.text)).toEqual(["a", "b"]);
    expect(error.text).toBe("ab");
  });
  test("comments after the last event are not a truncation", async () => {
    body = 'data: "a"\n\n: heartbeat\n: heartbeat';
    const { events, error } = await drain();
    expect(error).toBeUndefined();
    expect(events.map((e) => e.text)).toEqual(["a"]);
  });
});
