/**
 * `connectWebSocket` pings (Node with `ws`): a peer that stops answering is found and the connection dropped
 * (1006, retryable) instead of the iteration waiting for ever; a peer that answers stays connected however quiet;
 * a reader that holds the connection back is not taken for a dead peer. Before, `/ws` sent no pings: a silent peer
 * was noticed only by the caller's own timeouts. Against purpose-built `ws` servers on 127.0.0.1 and the emulator.
 */
import net from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { connectWebSocket, InvalidParameterError, RuntimeClient, WebSocketClosedError } from "@agentcore-runtime/client";
import { startEmulator } from "@agentcore-runtime/emulator";

const ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_agent-AbCdE12345";
const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwaW5nIn0.c2lnbmF0dXJl";
let n = 0;
const sessionId = () => `ping-session-${String(++n).padStart(4, "0")}-0123456789abcdef0123`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PingServer {
  pings: number;
  sockets: WebSocket[];
  connections: number;
  client(): RuntimeClient;
  close(): Promise<void>;
}
const servers: PingServer[] = [];
async function server(autoPong: boolean, onConnection: (ws: WebSocket) => void = () => undefined): Promise<PingServer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, autoPong });
  const clients: RuntimeClient[] = [];
  const s: PingServer = {
    pings: 0,
    sockets: [],
    connections: 0,
    client: () => {
      const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`, token: TOKEN });
      clients.push(c);
      return c;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      for (const ws of s.sockets) ws.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
  wss.on("connection", (ws) => {
    s.connections++;
    s.sockets.push(ws);
    ws.on("error", () => undefined);
    ws.on("ping", () => s.pings++);
    onConnection(ws);
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  servers.push(s);
  return s;
}
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

/** The first outcome of reading the connection: a message, the end, or the error, or "pending" after `ms`. */
async function firstOutcome(iterator: AsyncIterator<unknown>, ms: number): Promise<{ value?: unknown; done?: boolean; error?: unknown } | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      iterator.next().then(
        (r) => ({ value: r.value, done: r.done }),
        (error) => ({ error }),
      ),
      new Promise<"pending">((r) => (timer = setTimeout(() => r("pending"), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test("(was a defect) a peer that stops answering is dropped after one unanswered ping: WebSocketClosedError 1006, retryable", async () => {
  const s = await server(false);
  const ws = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { pingIntervalMs: 100 });
  const started = Date.now();
  const outcome = await firstOutcome(ws[Symbol.asyncIterator](), 5000);
  expect(outcome).not.toBe("pending");
  const error = (outcome as { error?: unknown }).error;
  expect(error).toBeInstanceOf(WebSocketClosedError);
  expect((error as WebSocketClosedError).code).toBe(1006);
  expect((error as WebSocketClosedError).retryable).toBe(true);
  expect((error as Error).message).toMatch(/no answer to a ping within 100 ms/);
  // one ping unanswered when the next is due: about 200 ms
  expect(Date.now() - started).toBeLessThan(3000);
  expect(s.pings).toBeGreaterThanOrEqual(1);
  expect((await ws.closed).code).toBe(1006);
});

test("with pingIntervalMs: 0 no ping is sent, and a silent peer keeps the iteration waiting", async () => {
  const s = await server(false);
  const ws = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { pingIntervalMs: 0 });
  expect(await firstOutcome(ws[Symbol.asyncIterator](), 600)).toBe("pending");
  expect(s.pings).toBe(0);
  ws.close();
});

test("a peer that answers pings stays connected however long it is quiet", async () => {
  const s = await server(true);
  const ws = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { pingIntervalMs: 100 });
  const iterator = ws[Symbol.asyncIterator]();
  expect(await firstOutcome(iterator, 700)).toBe("pending");
  expect(s.pings).toBeGreaterThanOrEqual(5);
  s.sockets[0]!.send("still here");
  const next = await firstOutcome(iterator, 2000);
  expect(next).toEqual({ value: "still here", done: false });
  ws.close();
  expect((await ws.closed).code).toBe(1000);
});

test("a reader that holds the connection back is not taken for a dead peer; once it has read, silence is", async () => {
  // the server answers no ping, but floods the client first: past 256 unread messages the client stops reading
  const s = await server(false, (peer) => {
    for (let i = 0; i < 400; i++) peer.send(`message ${i}`);
  });
  const ws = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { pingIntervalMs: 100 });
  await sleep(600); // six ping intervals without reading
  const received: unknown[] = [];
  let error: unknown;
  try {
    for await (const message of ws) received.push(message);
  } catch (e) {
    error = e;
  }
  expect(received).toHaveLength(400);
  expect(received[399]).toBe("message 399");
  expect(error).toBeInstanceOf(WebSocketClosedError);
  expect((error as WebSocketClosedError).code).toBe(1006);
});

test("pingIntervalMs is checked before connecting", async () => {
  const s = await server(true);
  for (const bad of ["100", -1, Number.NaN, null, 1, 99]) {
    await expect(connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { pingIntervalMs: bad as never })).rejects.toBeInstanceOf(InvalidParameterError);
  }
  expect(s.connections).toBe(0);
});

test("the emulator answers pings: a connection pinging every 100 ms stays up and echoes", async () => {
  const emulator = await startEmulator({ port: 0 });
  const client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
  try {
    const ws = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, sessionId: sessionId() }, { pingIntervalMs: 100 });
    await sleep(500);
    ws.send({ hello: "after pings" });
    const iterator = ws[Symbol.asyncIterator]();
    const first = await firstOutcome(iterator, 5000);
    expect(first).not.toBe("pending");
    expect((first as { error?: unknown }).error).toBeUndefined();
    expect(JSON.stringify((first as { value?: unknown }).value)).toContain("after pings");
    ws.close();
    await ws.closed;
  } finally {
    client.destroy();
    await emulator.close();
  }
});

test("(was a defect) send() once the server has started closing throws WebSocketClosedError (before: `ws` dropped the message without a word)", async () => {
  // a close frame (1000) written straight to the socket, and then nothing: the client is left closing
  const s = await server(true, (peer) => (peer as unknown as { _socket: net.Socket })._socket.write(Buffer.from([0x88, 0x02, 0x03, 0xe8])));
  const ws = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { pingIntervalMs: 0 });
  await sleep(200);
  expect(() => ws.send("lost?")).toThrow(WebSocketClosedError);
});
