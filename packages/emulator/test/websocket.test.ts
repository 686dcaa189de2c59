import { once } from "node:events";
import { startEmulator, type Emulator, type WebSocketHandler } from "../src";
import { FAULT, sessionId } from "./helpers";
import { Client, SESSION_HEADER, refusal, until, wsBase } from "./wsHelpers";

describe("WebSocket /ws", () => {
  let emu: Emulator;
  let token: string;
  beforeAll(async () => {
    emu = await startEmulator();
    token = await emu.issueToken();
  });
  afterAll(() => emu.close());
  const url = () => `${wsBase(emu)}/ws`;

  it("echoes 1,000 text and 1,000 binary messages in order (text as {echo}, bytes as bytes)", async () => {
    const fast = await startEmulator({ wsMaxFramesPerSecond: 100_000 });
    try {
      const client = await Client.open(`${wsBase(fast)}/ws`, { token: await fast.issueToken(), headers: { [SESSION_HEADER]: sessionId("echo") } });
      for (let i = 0; i < 1000; i++) {
        client.ws.send(`m${i}`);
        client.ws.send(Buffer.from([i & 0xff, (i >> 8) & 0xff, 7]));
      }
      await until(() => client.messages.length === 2000, "2000 echoes");
      for (let i = 0; i < 1000; i++) {
        const text = client.messages[2 * i]!;
        const bytes = client.messages[2 * i + 1]!;
        expect(text.binary).toBe(false);
        expect(JSON.parse(text.data.toString())).toEqual({ echo: `m${i}` });
        expect(bytes.binary).toBe(true);
        expect([...bytes.data]).toEqual([i & 0xff, (i >> 8) & 0xff, 7]);
      }
      client.ws.close(1000);
      expect((await client.closed).code).toBe(1000);
    } finally {
      await fast.close();
    }
  });

  it("returns the session id (and request id) on the 101, from the header or the query parameter", async () => {
    const id = sessionId("ws-query");
    const client = await Client.open(`${url()}?${SESSION_HEADER}=${id}`, { token });
    expect(client.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toBe(id);
    expect(client.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(emu.sessionIds()).toContain(id);
    client.ws.close();
    await client.closed;
  });

  it.each([1008, 1009, 1011])("fault header `close; closeCode=%i` closes with that code", async (code) => {
    const client = await Client.open(url(), { token, headers: { [FAULT]: `close; closeCode=${code}; afterEvents=0` } });
    expect((await client.closed).code).toBe(code);
  });

  it("fault `close` after N messages: the N echoes arrive, then the close", async () => {
    const client = await Client.open(url(), { token, headers: { [FAULT]: "close; closeCode=1011; afterEvents=2" } });
    for (let i = 0; i < 5; i++) client.ws.send(`x${i}`);
    expect((await client.closed).code).toBe(1011);
    expect(client.messages.map((m) => JSON.parse(m.data.toString()).echo)).toEqual(["x0", "x1"]);
  });

  it("fault `drop` destroys the socket without a close frame: the client sees 1006", async () => {
    const client = await Client.open(url(), { token, headers: { [FAULT]: "drop; afterEvents=1" } });
    client.ws.send("before");
    expect((await client.closed).code).toBe(1006);
    expect(client.messages.map((m) => m.data.toString())).toEqual(['{"echo":"before"}']);
  });

  it("the fault header may come as a query parameter (browsers cannot set headers)", async () => {
    const client = await Client.open(`${url()}?X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault=${encodeURIComponent("close; closeCode=1009; afterEvents=0")}`, { token });
    expect((await client.closed).code).toBe(1009);
  });

  it("rejects a close fault with a code a server may not send", async () => {
    const r = await refusal(url(), { headers: { Authorization: `Bearer ${token}`, [FAULT]: "close; closeCode=1006" } });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain("closeCode");
  });

  it("a configured fault for op=ws applies to upgrades only", async () => {
    emu.setFaults([{ mode: "close", closeCode: 1008, afterEvents: 0, op: "ws", times: 1 }]);
    try {
      const client = await Client.open(url(), { token });
      expect((await client.closed).code).toBe(1008);
      const next = await Client.open(url(), { token });
      next.ws.send("ok");
      await until(() => next.messages.length === 1, "echo after the fault was used up");
      next.ws.close();
    } finally {
      emu.setFaults([]);
    }
  });

  it("a response fault refuses the upgrade like an HTTP call (429 ThrottlingException)", async () => {
    const r = await refusal(url(), { headers: { Authorization: `Bearer ${token}`, [FAULT]: "throttle; retryAfter=2" } });
    expect(r.status).toBe(429);
    expect(r.headers["x-amzn-errortype"]).toMatch(/^ThrottlingException:/);
    expect(r.headers["retry-after"]).toBe("2");
  });

  it("401 without a token, with WWW-Authenticate resource metadata", async () => {
    const r = await refusal(url());
    expect(r.status).toBe(401);
    expect(r.headers["x-amzn-errortype"]).toMatch(/^UnauthorizedException:/);
    expect(r.headers["www-authenticate"]).toBe(`Bearer resource_metadata="${emu.url}/.well-known/oauth-protected-resource"`);
  });

  it("401 invalid_token for a bad token (header or subprotocol)", async () => {
    const r = await refusal(url(), { headers: { Authorization: "Bearer not.a.jwt" } });
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toContain('error="invalid_token"');
    const viaProtocol = await refusal(url(), {
      protocols: [`base64UrlBearerAuthorization.${Buffer.from("not.a.jwt").toString("base64url")}`, "base64UrlBearerAuthorization"],
    });
    expect(viaProtocol.status).toBe(401);
    expect(viaProtocol.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("403 for SigV4 (Authorization method mismatch)", async () => {
    const r = await refusal(url(), { headers: { Authorization: "AWS4-HMAC-SHA256 Credential=x" } });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe("Authorization method mismatch");
  });

  it("404 ResourceNotFoundException for another runtime; 404 UnknownOperationException for an unknown path", async () => {
    const other = encodeURIComponent("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other-0123456789");
    const r = await refusal(`${emu.url.replace(/^http/, "ws")}/runtimes/${other}/ws`, { headers: { Authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
    expect(r.headers["x-amzn-errortype"]).toMatch(/^ResourceNotFoundException:/);
    const unknown = await refusal(`${wsBase(emu)}/wss`, { headers: { Authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers["x-amzn-errortype"]).toMatch(/^UnknownOperationException:/);
  });

  it("400 ValidationException for a session id shorter than 33 characters (header or query)", async () => {
    for (const r of [
      await refusal(url(), { headers: { Authorization: `Bearer ${token}`, [SESSION_HEADER]: "short" } }),
      await refusal(`${url()}?${SESSION_HEADER}=short`, { headers: { Authorization: `Bearer ${token}` } }),
    ]) {
      expect(r.status).toBe(400);
      expect(r.body.fieldList[0].name).toBe("runtimeSessionId");
    }
  });

  it("403 for a Host that does not name the emulator, or an Origin that is not allowed", async () => {
    const host = await refusal(url(), { headers: { Authorization: `Bearer ${token}`, Host: "evil.example" } });
    expect(host.status).toBe(403);
    expect(host.body.message).toContain("Host");
    const origin = await refusal(url(), { headers: { Authorization: `Bearer ${token}`, Origin: "https://evil.example" } });
    expect(origin.status).toBe(403);
    expect(origin.body.message).toContain("Origin");
  });

  it("subprotocol auth: the token in base64UrlBearerAuthorization.<base64url>, the server selects base64UrlBearerAuthorization", async () => {
    const encoded = Buffer.from(token).toString("base64url");
    expect(encoded).not.toContain("=");
    const client = await Client.open(url(), { protocols: [`base64UrlBearerAuthorization.${encoded}`, "base64UrlBearerAuthorization"] });
    expect(client.ws.protocol).toBe("base64UrlBearerAuthorization");
    client.ws.send("via protocol");
    await until(() => client.messages.length === 1, "echo");
    expect(JSON.parse(client.messages[0]!.data.toString())).toEqual({ echo: "via protocol" });
    client.ws.close();
  });

  it("accepts a 64 KiB message and closes with 1009 past it", async () => {
    const client = await Client.open(url(), { token });
    client.ws.send(Buffer.alloc(65536, 1));
    await until(() => client.messages.length === 1, "the 64 KiB echo");
    expect(client.messages[0]!.data.byteLength).toBe(65536);
    client.ws.send(Buffer.alloc(65537, 1));
    expect((await client.closed).code).toBe(1009);
  });

  it("closes with 1008 past 250 frames per second", async () => {
    const client = await Client.open(url(), { token });
    for (let i = 0; i < 400; i++) client.ws.send(`f${i}`);
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain("250");
    expect(client.messages.length).toBeLessThanOrEqual(250);
  });

  it("closes with 1008 when the connection lifetime (wsMaxConnectionSeconds) is over", async () => {
    const short = await startEmulator({ wsMaxConnectionSeconds: 0.3 });
    try {
      const client = await Client.open(`${wsBase(short)}/ws`, { token: await short.issueToken() });
      const closed = await client.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toContain("lifetime");
    } finally {
      await short.close();
    }
  });

  it("stopping the session closes its WebSockets with 1000", async () => {
    const id = sessionId("ws-stop");
    const client = await Client.open(url(), { token, headers: { [SESSION_HEADER]: id } });
    const stop = await fetch(`${emu.url}/runtimes/${encodeURIComponent(emu.runtimeArn)}/stopruntimesession`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, [SESSION_HEADER]: id },
    });
    expect(stop.status).toBe(200);
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(closed.reason).toBe("Session ended");
    expect(emu.sessionIds()).not.toContain(id);
  });

  // PROTOCOL: the session idle timer is reset by any frame. An open but silent socket used to hold its session
  // for ever, so an application with no heartbeat passed here and lost its session in production.
  it("frames keep a WebSocket's session from idling out; a socket silent for the idle timeout ends it, closed with 1000", async () => {
    const idle = await startEmulator({ sessionIdleTimeoutSeconds: 0.3 });
    try {
      const id = sessionId("ws-idle");
      const client = await Client.open(`${wsBase(idle)}/ws`, { token: await idle.issueToken(), headers: { [SESSION_HEADER]: id } });
      // 800 ms of traffic, a message or a ping every 100 ms: past the 300 ms timeout several times over
      for (let i = 0; i < 8; i++) {
        if (i % 2) client.ws.ping();
        else client.ws.send(`m${i}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(idle.sessionIds()).toContain(id);
      const started = Date.now();
      expect(await client.closed).toEqual({ code: 1000, reason: "Session ended" });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(idle.sessionIds()).not.toContain(id);
    } finally {
      await idle.close();
    }
  });

  it("close() of the emulator closes an open WebSocket with 1001", async () => {
    const emulator = await startEmulator();
    const client = await Client.open(`${wsBase(emulator)}/ws`, { token: await emulator.issueToken() });
    const started = Date.now();
    await emulator.close();
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await client.closed).code).toBe(1001);
  });

  it("records the upgrade (op ws, status 101) and logs it", async () => {
    const lines: string[] = [];
    const logged = await startEmulator({ log: (line) => lines.push(line) });
    try {
      const client = await Client.open(`${wsBase(logged)}/ws`, { token: await logged.issueToken() });
      client.ws.close();
      await client.closed;
      await until(() => lines.length === 1, "the log line");
      expect(lines[0]).toContain("op=ws");
      expect(lines[0]).toContain(" 101 ");
      expect(lines[0]).not.toContain((await logged.issueToken()).slice(0, 20));
      expect(logged.requests[0]).toMatchObject({ op: "ws", status: 101 });
    } finally {
      await logged.close();
    }
  });
});

describe("a user agent's websocket handler", () => {
  it("gets the connection and context; returning closes with 1000, throwing with 1011", async () => {
    const seen: any[] = [];
    const handler: WebSocketHandler = async (conn, ctx) => {
      seen.push({ sessionId: ctx.sessionId, custom: ctx.headers["x-amzn-bedrock-agentcore-runtime-custom-mode"], auth: ctx.headers.authorization });
      for await (const message of conn) {
        if (message.type === "text" && message.data === "boom") throw new Error("boom");
        if (message.type === "text" && message.data === "bye") return;
        await conn.send(message.type === "text" ? message.data.toUpperCase() : message.data);
      }
    };
    const emu = await startEmulator({ websocket: handler });
    try {
      const token = await emu.issueToken();
      const id = sessionId("user-ws");
      const client = await Client.open(`${wsBase(emu)}/ws?X-Amzn-Bedrock-AgentCore-Runtime-Custom-Mode=loud`, { token, headers: { [SESSION_HEADER]: id } });
      client.ws.send("hello");
      await until(() => client.messages.length === 1, "the reply");
      expect(client.messages[0]!.data.toString()).toBe("HELLO");
      client.ws.send("bye");
      expect((await client.closed).code).toBe(1000);
      expect(seen).toEqual([{ sessionId: id, custom: "loud", auth: undefined }]);

      const failing = await Client.open(`${wsBase(emu)}/ws`, { token });
      failing.ws.send("boom");
      expect((await failing.closed).code).toBe(1011);
    } finally {
      await emu.close();
    }
  });

  it("is loaded from an agent module's `websocket` export", async () => {
    const emu = await startEmulator({ agent: `${__dirname}/fixtures/ws-agent.cjs` });
    try {
      const client = await Client.open(`${wsBase(emu)}/ws`, { token: await emu.issueToken() });
      client.ws.send("ping");
      await until(() => client.messages.length === 1, "the reply");
      expect(client.messages[0]!.data.toString()).toBe("module:ping");
      client.ws.close();
      await once(client.ws, "close");
    } finally {
      await emu.close();
    }
  });
});
