/**
 * What goes on the wire for a WebSocket upgrade, seen by a purpose-built `ws` server on 127.0.0.1: the exact
 * URL, the headers (Node with `ws`) and the subprotocols (the platform-WebSocket form browsers use).
 */
import net from "node:net";
import type { IncomingMessage } from "node:http";
import WebSocket, { WebSocketServer } from "ws";
import {
  AbortError,
  ConnectionTimeoutError,
  connectWebSocket,
  DeadlineExceededError,
  getWebSocketConnection,
  InsecureEndpointError,
  InvalidParameterError,
  NetworkError,
  RuntimeClient,
  type WebSocketConstructorLike,
} from "@agentcore-runtime/client";

const ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_agent-AbCdE12345";
const ENCODED_ARN = "arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3Aruntime%2Fmy_agent-AbCdE12345";
const SESSION = "wire-session-0123456789abcdef0123456789";
const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3aXJlIn0.c2lnbmF0dXJl";
const B64URL = Buffer.from(TOKEN).toString("base64url");

let server: WebSocketServer;
let port: number;
const upgrades: IncomingMessage[] = [];
/** The server's end of each upgrade, by its request. */
const serverEnds = new Map<IncomingMessage, WebSocket>();

beforeAll(async () => {
  server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => (protocols.has("base64UrlBearerAuthorization") ? "base64UrlBearerAuthorization" : false),
  });
  server.on("connection", (ws, req) => {
    upgrades.push(req);
    serverEnds.set(req, ws);
    ws.on("message", (data, binary) => ws.send(data, { binary }));
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const ws of server.clients) ws.terminate();
  await new Promise((r) => server.close(r));
});

describe("getWebSocketConnection", () => {
  test("the wss:// URL from the same endpoint resolution as HTTPS: region from the ARN, encoded ARN, qualifier, session", async () => {
    const info = await getWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION, qualifier: "prod", bearerToken: TOKEN });
    expect(info.url).toBe(`wss://bedrock-agentcore.us-west-2.amazonaws.com/runtimes/${ENCODED_ARN}/ws?qualifier=prod&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${SESSION}`);
    expect(info.headers).toMatchObject({ Authorization: `Bearer ${TOKEN}`, "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": SESSION });
    expect(info.headers["x-amz-user-agent"]).toMatch(/^agentcore-runtime-js\//);
    expect(Object.keys(info.headers).map((h) => h.toLowerCase())).not.toContain("content-length");
    expect(info.protocols).toEqual([`base64UrlBearerAuthorization.${B64URL}`, "base64UrlBearerAuthorization"]);
    expect(info.protocols[0]).not.toContain("=");
    expect(info.sessionId).toBe(SESSION);
  });

  test("FIPS and dual-stack hosts, a runtime id with accountId, a generated session id", async () => {
    const fips = await getWebSocketConnection({ runtimeArn: ARN }, { useFipsEndpoint: true, useDualstackEndpoint: true, token: TOKEN });
    expect(fips.url.startsWith("wss://bedrock-agentcore-fips.us-west-2.api.aws/runtimes/")).toBe(true);
    expect(fips.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fips.url).toContain(`X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${fips.sessionId}`);
    const byId = await getWebSocketConnection({ runtimeArn: "my_agent-AbCdE12345", accountId: "123456789012" }, { region: "eu-west-1" });
    expect(byId.url).toMatch(/^wss:\/\/bedrock-agentcore\.eu-west-1\.amazonaws\.com\/runtimes\/my_agent-AbCdE12345\/ws\?accountId=123456789012&/);
    // no token anywhere: no Authorization header, no subprotocols
    expect(byId.protocols).toEqual([]);
    expect(byId.headers.Authorization).toBeUndefined();
  });

  test("a custom endpoint: http → ws, https → wss, base path kept; plain ws:// only to loopback unless allowInsecureHttp", async () => {
    const local = await getWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, { endpoint: "http://127.0.0.1:9/base/", token: TOKEN });
    expect(local.url).toBe(`ws://127.0.0.1:9/base/runtimes/${ENCODED_ARN}/ws?X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${SESSION}`);
    const tls = await getWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, { endpoint: "https://proxy.example.com", token: TOKEN });
    expect(tls.url.startsWith("wss://proxy.example.com/runtimes/")).toBe(true);
    const v6 = await getWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, { endpoint: "http://[::1]:8080", token: TOKEN });
    expect(v6.url.startsWith("ws://[::1]:8080/runtimes/")).toBe(true);
    await expect(getWebSocketConnection({ runtimeArn: ARN }, { endpoint: "http://10.0.0.5:8080", token: TOKEN })).rejects.toBeInstanceOf(InsecureEndpointError);
    const warnings: string[] = [];
    const allowed = await getWebSocketConnection(
      { runtimeArn: ARN, sessionId: SESSION },
      { endpoint: "http://10.0.0.5:8080", token: TOKEN, allowInsecureHttp: true, logger: { warn: (m: string) => warnings.push(m) } },
    );
    expect(allowed.url.startsWith("ws://10.0.0.5:8080/")).toBe(true);
    expect(warnings.join("\n")).toContain("allowInsecureHttp");
    expect(warnings.join("\n")).not.toContain(TOKEN);
  });

  test("custom headers go in the headers and (Custom-* only) in the query, for browsers", async () => {
    const info = await getWebSocketConnection(
      { runtimeArn: ARN, sessionId: SESSION, headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant": "a b&c", "X-Other": "1" } },
      { token: TOKEN },
    );
    expect(info.headers["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"]).toBe("a b&c");
    expect(info.headers["X-Other"]).toBe("1");
    expect(info.url).toContain("&X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant=a%20b%26c");
    expect(info.url).not.toContain("X-Other");
  });

  test("a RuntimeClient's token provider is used (and memoised per client)", async () => {
    let calls = 0;
    const client = new RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: async () => (calls++, TOKEN) });
    const a = await getWebSocketConnection({ runtimeArn: ARN }, client);
    const b = await getWebSocketConnection({ runtimeArn: ARN }, client);
    expect(a.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(b.protocols[0]).toBe(`base64UrlBearerAuthorization.${B64URL}`);
    expect(calls).toBe(1);
    client.destroy();
  });
});

describe("connectWebSocket on the wire", () => {
  const client = () => new RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: TOKEN });

  test("Node with ws: the exact path and query, Authorization and session headers, no token subprotocol", async () => {
    const c = client();
    const ws = await connectWebSocket(c, { runtimeArn: ARN, sessionId: SESSION, qualifier: "DEFAULT", headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant": "t1" } });
    const req = upgrades.at(-1)!;
    expect(req.url).toBe(`/runtimes/${ENCODED_ARN}/ws?qualifier=DEFAULT&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${SESSION}&X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant=t1`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toBe(SESSION);
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-custom-tenant"]).toBe("t1");
    expect(req.headers["x-amz-user-agent"]).toMatch(/^agentcore-runtime-js\//);
    expect(req.headers["sec-websocket-protocol"]).toBeUndefined();
    expect(ws.protocol).toBe("");
    ws.send("ping");
    for await (const m of ws) {
      expect(m).toBe("ping");
      break;
    }
    c.destroy();
  });

  test("a WHATWG WebSocket (the browser form): the token only as the two subprotocols, the session in the query", async () => {
    const c = client();
    const ws = await connectWebSocket(c, { runtimeArn: ARN, sessionId: SESSION }, { WebSocket: WebSocket as unknown as WebSocketConstructorLike });
    const req = upgrades.at(-1)!;
    expect(req.url).toBe(`/runtimes/${ENCODED_ARN}/ws?X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${SESSION}`);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toBeUndefined();
    expect(req.headers["sec-websocket-protocol"]!.split(/,\s*/)).toEqual([`base64UrlBearerAuthorization.${B64URL}`, "base64UrlBearerAuthorization"]);
    expect(ws.protocol).toBe("base64UrlBearerAuthorization");
    ws.send(new Uint8Array([9, 8, 7]));
    ws.send("text");
    const got: unknown[] = [];
    for await (const m of ws) {
      got.push(m instanceof Uint8Array ? [...m] : m);
      if (got.length === 2) break;
    }
    expect(got).toEqual([[9, 8, 7], "text"]);
    c.destroy();
  });

  test("options.ws: the caller's own `ws` class, used as the default one is (token as a header, pings), not as a WHATWG constructor", async () => {
    const constructed: string[] = [];
    class OwnWs extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        constructed.push(String(args[0]));
      }
    }
    const c = client();
    const ws = await connectWebSocket(c, { runtimeArn: ARN, sessionId: SESSION }, { ws: OwnWs, pingIntervalMs: 100 });
    const req = upgrades.at(-1)!;
    expect(constructed).toEqual([`ws://127.0.0.1:${port}${req.url}`]);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers["sec-websocket-protocol"]).toBeUndefined();
    // pings are a `ws` feature: the server sees one within a few intervals
    const socket = serverEnds.get(req)!;
    const pinged = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 2000);
      socket.once("ping", () => (clearTimeout(t), resolve(true)));
    });
    expect(await pinged).toBe(true);
    ws.send("own");
    for await (const m of ws) {
      expect(m).toBe("own");
      break;
    }
    c.destroy();
  });

  test("options.ws refused before anything is sent: not a `ws` class, or together with options.WebSocket", async () => {
    const c = client();
    const before = upgrades.length;
    class NotWs {
      constructor(public url: string) {}
    }
    for (const options of [{ ws: NotWs }, { ws: WebSocket, WebSocket: WebSocket as unknown as WebSocketConstructorLike }, { ws: "ws" as never }]) {
      const e = await connectWebSocket(c, { runtimeArn: ARN, sessionId: SESSION }, options).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(InvalidParameterError);
      expect((e as InvalidParameterError).message).toMatch(/options\.ws/);
    }
    expect(upgrades.length).toBe(before);
    c.destroy();
  });

  test("an upgrade that never gets an answer: aborted by the signal, or cut by connectionTimeout", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${silentPort}`, token: TOKEN });
      const controller = new AbortController();
      const pending = connectWebSocket(c, { runtimeArn: ARN }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      await expect(pending).rejects.toBeInstanceOf(AbortError);
      await expect(connectWebSocket(c, { runtimeArn: ARN }, { signal: AbortSignal.timeout(200) })).rejects.toBeInstanceOf(DeadlineExceededError);
      const timed = new RuntimeClient({ endpoint: `http://127.0.0.1:${silentPort}`, token: TOKEN, connectionTimeout: 200 });
      await expect(connectWebSocket(timed, { runtimeArn: ARN })).rejects.toBeInstanceOf(ConnectionTimeoutError);
      c.destroy();
      timed.destroy();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test("nothing listening: NetworkError with the errno code", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${closedPort}`, token: TOKEN });
    const e = await connectWebSocket(c, { runtimeArn: ARN }).catch((err) => err);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.code).toBe("ECONNREFUSED");
    expect(JSON.stringify(e)).not.toContain(TOKEN);
    c.destroy();
  });
});

describe("openShell on the wire (a purpose-built shell server)", () => {
  test("the shellId in the query; the server's heartbeat answered once, the client's own heartbeats not echoed back", async () => {
    const { openShell } = await import("@agentcore-runtime/client");
    const received: Buffer[] = [];
    const shells = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    let url = "";
    shells.on("connection", (ws, req) => {
      url = req.url ?? "";
      ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: { shellId: "hb-shell", reconnected: false }, status: "Success" }))]));
      ws.send(Buffer.concat([Buffer.from([5]), Buffer.from("srv-1")]));
      ws.on("message", (data: Buffer) => {
        received.push(data);
        // echo heartbeats as the service does
        if (data[0] === 5) ws.send(data);
      });
    });
    await new Promise<void>((r) => shells.once("listening", () => r()));
    const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${(shells.address() as net.AddressInfo).port}`, token: TOKEN });
    try {
      const shell = await openShell(c, { runtimeArn: ARN, sessionId: SESSION, shellId: "hb-shell" }, { heartbeatIntervalMs: 50 });
      expect(url).toBe(`/runtimes/${ENCODED_ARN}/ws/shells?shellId=hb-shell&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${SESSION}`);
      const beats = () => received.filter((d) => d[0] === 5).map((d) => d.subarray(1).toString());
      const deadline = Date.now() + 10_000;
      while (beats().filter((b) => b.startsWith("hb-")).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(beats().filter((b) => b === "srv-1")).toEqual(["srv-1"]);
      const own = beats().filter((b) => b.startsWith("hb-"));
      expect(own.length).toBeGreaterThanOrEqual(3);
      // each of the client's heartbeats was sent once: the server's echo is not answered
      expect(new Set(own).size).toBe(own.length);
      await shell.detach();
    } finally {
      c.destroy();
      for (const ws of shells.clients) ws.terminate();
      await new Promise((r) => shells.close(r));
    }
  });
});
