/**
 * connectWebSocket against the emulator's real `/ws`: echo in order, binary, 1,000 messages, every close code
 * through the emulator's fault mechanism, refused upgrades as typed errors, abort, and no token in anything a
 * caller can print.
 */
import { inspect } from "node:util";
import {
  AbortError,
  AgentRuntimeError,
  connectWebSocket,
  getWebSocketConnection,
  InsecureEndpointError,
  InvalidArnError,
  InvalidParameterError,
  ResourceNotFoundException,
  RuntimeClient,
  ThrottlingException,
  UnauthorizedException,
  WebSocketClosedError,
  type WebSocketConnection,
  type WebSocketMessage,
} from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

const FAULT = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault";
let emulator: Emulator;
let client: RuntimeClient;
let token: string;
let n = 0;
const session = () => `websocket-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;

async function drain(connection: AsyncIterable<WebSocketMessage>): Promise<{ messages: WebSocketMessage[]; error?: AgentRuntimeError }> {
  const messages: WebSocketMessage[] = [];
  try {
    for await (const m of connection) messages.push(m);
  } catch (e) {
    return { messages, error: e as AgentRuntimeError };
  }
  return { messages };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, wsMaxFramesPerSecond: 100_000 });
  token = await emulator.issueToken();
  client = new RuntimeClient({ endpoint: emulator.url, token });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe("connectWebSocket against the emulator", () => {
  test("echoes text (as {echo}), JSON values and bytes in order; close() ends the iteration normally", async () => {
    const sessionId = session();
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, sessionId });
    expect(ws.sessionId).toBe(sessionId);
    expect(ws.responseHeaders["x-amzn-bedrock-agentcore-runtime-session-id"]).toBe(sessionId);
    expect(emulator.sessionIds()).toContain(sessionId);
    ws.send("hello");
    ws.send({ n: 1, list: [true] });
    ws.send(new Uint8Array([0, 1, 255]));
    const received: WebSocketMessage[] = [];
    for await (const message of ws) {
      received.push(message);
      if (received.length === 3) ws.close();
    }
    expect(received[0]).toBe('{"echo":"hello"}');
    expect(JSON.parse(received[1] as string)).toEqual({ echo: '{"n":1,"list":[true]}' });
    expect(received[2]).toBeInstanceOf(Uint8Array);
    expect([...(received[2] as Uint8Array)]).toEqual([0, 1, 255]);
    expect((await ws.closed).code).toBe(1000);
  });

  test("1,000 text and 1,000 binary messages arrive in order", async () => {
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn });
    for (let i = 0; i < 1000; i++) {
      ws.send(`m${i}`);
      ws.send(new Uint8Array([i & 0xff, i >> 8]));
    }
    const got: WebSocketMessage[] = [];
    for await (const m of ws) {
      got.push(m);
      if (got.length === 2000) break; // breaking out closes the connection
    }
    for (let i = 0; i < 1000; i++) {
      expect(JSON.parse(got[2 * i] as string)).toEqual({ echo: `m${i}` });
      expect([...(got[2 * i + 1] as Uint8Array)]).toEqual([i & 0xff, i >> 8]);
    }
    expect((await ws.closed).code).toBe(1000);
  });

  test("a server close with 1000 (the session stopped) ends the iteration normally", async () => {
    const sessionId = session();
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, sessionId });
    const drained = drain(ws);
    const stop = await fetch(`${emulator.url}/runtimes/${encodeURIComponent(emulator.runtimeArn)}/stopruntimesession`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": sessionId },
    });
    expect(stop.status).toBe(200);
    const { error } = await drained;
    expect(error).toBeUndefined();
    expect((await ws.closed).code).toBe(1000);
  });

  test.each([1008, 1009, 1011, 1001])("a close with %i after the messages before it is a WebSocketClosedError", async (code) => {
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, headers: { [FAULT]: `close; closeCode=${code}; afterEvents=2` } });
    for (let i = 0; i < 3; i++) ws.send(`x${i}`);
    const { messages, error } = await drain(ws);
    expect(messages).toEqual(['{"echo":"x0"}', '{"echo":"x1"}']);
    expect(WebSocketClosedError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(WebSocketClosedError);
    expect(error).toBeInstanceOf(AgentRuntimeError);
    expect((error as WebSocketClosedError).code).toBe(code);
    expect((error as WebSocketClosedError).message).toContain(String(code));
    expect((error as WebSocketClosedError).retryable).toBe(code === 1001);
  });

  test("a dropped connection (no close frame) is WebSocketClosedError 1006", async () => {
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, headers: { [FAULT]: "drop; afterEvents=1" } });
    ws.send("before");
    const { messages, error } = await drain(ws);
    expect(messages).toEqual(['{"echo":"before"}']);
    expect((error as WebSocketClosedError).name).toBe("WebSocketClosedError");
    expect((error as WebSocketClosedError).code).toBe(1006);
  });

  test("a refused upgrade is the same typed error as an HTTPS call: 401, 404, 429", async () => {
    const anonymous = new RuntimeClient({ endpoint: emulator.url });
    const e401 = await connectWebSocket(anonymous, { runtimeArn: emulator.runtimeArn }).catch((e) => e);
    expect(e401).toBeInstanceOf(UnauthorizedException);
    expect(e401.statusCode).toBe(401);
    const bad = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, bearerToken: "not.a.jwt" }).catch((e) => e);
    expect(UnauthorizedException.isInstance(bad)).toBe(true);
    const other = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other-0123456789";
    const e404 = await connectWebSocket(client, { runtimeArn: other }).catch((e) => e);
    expect(e404).toBeInstanceOf(ResourceNotFoundException);
    expect(e404.statusCode).toBe(404);
    expect(e404.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const e429 = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, headers: { [FAULT]: "throttle" } }).catch((e) => e);
    expect(e429).toBeInstanceOf(ThrottlingException);
    anonymous.destroy();
  });

  test("a token provider is asked again after a 401 on the upgrade, and the connection opens", async () => {
    const calls: boolean[] = [];
    const provider = async ({ forceRefresh }: { forceRefresh: boolean }) => {
      calls.push(forceRefresh);
      return forceRefresh ? token : "stale.token.value";
    };
    const local = new RuntimeClient({ endpoint: emulator.url, token: provider });
    const ws = await connectWebSocket(local, { runtimeArn: emulator.runtimeArn });
    expect(calls).toEqual([false, true]);
    ws.send("again");
    for await (const m of ws) {
      expect(m).toBe('{"echo":"again"}');
      break;
    }
    // memoised per client: the next connection asks nobody
    const again = await connectWebSocket(local, { runtimeArn: emulator.runtimeArn });
    expect(calls).toEqual([false, true]);
    again.close();
    local.destroy();
  });

  test("an aborted signal refuses to connect (AbortError); aborting closes an open connection", async () => {
    const before = new AbortController();
    before.abort(new Error("stop"));
    await expect(connectWebSocket(client, { runtimeArn: emulator.runtimeArn }, { signal: before.signal })).rejects.toBeInstanceOf(AbortError);

    const later = new AbortController();
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn }, { signal: later.signal });
    const drained = drain(ws);
    ws.send("one");
    later.abort();
    const { error } = await drained;
    expect(error).toBeInstanceOf(AbortError);
    expect((await ws.closed).code).toBe(1000);
  });

  test("the same input validation as the HTTPS commands, before anything is sent", async () => {
    const sent = emulator.requests.length;
    await expect(connectWebSocket(client, { runtimeArn: "not-an-arn" })).rejects.toBeInstanceOf(InvalidArnError);
    await expect(connectWebSocket(client, { runtimeArn: emulator.runtimeArn, sessionId: "short" })).rejects.toMatchObject({ name: "InvalidParameterError", field: "sessionId" });
    await expect(connectWebSocket(client, { runtimeArn: emulator.runtimeArn, headers: { Authorization: "x" } })).rejects.toMatchObject({ name: "InvalidParameterError", field: "headers" });
    await expect(connectWebSocket(client, { runtimeArn: emulator.runtimeArn, qualifier: "a\r\nb" })).rejects.toBeInstanceOf(InvalidParameterError);
    const remote = new RuntimeClient({ endpoint: "http://10.1.2.3:8080", token });
    await expect(connectWebSocket(remote, { runtimeArn: emulator.runtimeArn })).rejects.toBeInstanceOf(InsecureEndpointError);
    remote.destroy();
    expect(emulator.requests.length).toBe(sent);
  });

  test("no token in errors, inspected objects or the connection info's console form", async () => {
    const secret = "opaque-secret-token-0123456789";
    const e = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, bearerToken: secret }).catch((err) => err);
    expect(UnauthorizedException.isInstance(e)).toBe(true);
    const shown = [inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e), e.stack, String(e.$response && new TextDecoder().decode(e.$response.body))].join("\n");
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(Buffer.from(secret).toString("base64url"));

    const ws: WebSocketConnection = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn });
    const view = inspect(ws, { depth: 10, showHidden: true }) + JSON.stringify(ws);
    expect(view).not.toContain(token);
    ws.close();
    const fault = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, headers: { [FAULT]: "close; closeCode=1011; afterEvents=0" } });
    const { error } = await drain(fault);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(token);

    const info = await getWebSocketConnection({ runtimeArn: emulator.runtimeArn, bearerToken: secret }, client);
    expect(info.headers.Authorization).toBe(`Bearer ${secret}`);
    const printed = inspect(info, { depth: 10 });
    expect(printed).not.toContain(secret);
    expect(printed).not.toContain(Buffer.from(secret).toString("base64url"));
    expect(printed).toContain("[REDACTED]");
    // explicit serialisation (handing the info to a browser) keeps the values
    expect(JSON.parse(JSON.stringify(info)).protocols[0]).toBe(`base64UrlBearerAuthorization.${Buffer.from(secret).toString("base64url")}`);
  });
});
