/**
 * Shell input at the service's frame rate (PROTOCOL.md: at most 250 frames a second, else 1008). Before, every
 * write() became frames sent at once: a 16 MiB paste (513 frames) or a script writing line by line (2,000 writes)
 * closed the shell with 1008 within 0.4 s. Now input waits in the shell, joined into 32 KiB frames and sent at
 * most 200 frames in any second, with `write()` → false / `drain()` as backpressure. Against the emulator (which
 * enforces 250/s) and against a purpose-built `ws` server that records when each frame arrived.
 */
import { createHash } from "node:crypto";
import net from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { InvalidParameterError, openShell, RuntimeClient, type ShellSession } from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { scriptInstalled } from "./helpers/script";

jest.setTimeout(60_000);

const ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_agent-AbCdE12345";
const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwYWNlIn0.c2lnbmF0dXJl";
const MiB = 1024 * 1024;
let n = 0;
const sessionId = () => `frame-rate-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const hasScript = scriptInstalled("shell.frame-rate.test");
const withScript = hasScript ? test : test.skip;

/** Printable bytes with a newline every 64 (a pty in raw mode passes them as they are). */
function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = i % 64 === 63 ? 0x0a : 0x21 + ((i * 7 + (i >> 6)) % 90);
  return out;
}
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("against the emulator (250 frames a second, 1008 past it)", () => {
  let emulator: Emulator;
  let client: RuntimeClient;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, exec: true });
    client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  withScript("(was a defect) 16 MiB written at once reaches the shell whole (before: 513 frames at once, closed with 1008)", async () => {
    const size = 16 * MiB;
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: sessionId() }, { reconnect: false, heartbeatIntervalMs: 0 });
    let text = "";
    const reading = (async () => {
      for await (const chunk of shell.output) text += Buffer.from(chunk).toString("latin1");
    })();
    shell.write(`stty raw -echo; echo RE""ADY; head -c ${size} | sha256sum; exit\n`);
    for (let i = 0; i < 500 && !text.includes("READY"); i++) await sleep(20);
    expect(text).toContain("READY"); // (the echoed command line says RE""ADY)
    const data = pattern(size);
    const started = Date.now();
    const accepted = shell.write(data);
    expect(accepted).toBe(false); // 16 MiB waits: more than the 1 MiB high-water mark
    // most of it waits (how much left at once depends on how long the first burst took to send: the budget
    // refills meanwhile, on a loaded machine by dozens of frames)
    expect(shell.bufferedAmount).toBeGreaterThan(MiB);
    await shell.drain();
    const took = Date.now() - started;
    expect(shell.bufferedAmount).toBe(0);
    await expect(shell.exit).resolves.toEqual({ exitCode: 0 });
    await reading;
    expect(text).toContain(sha256(data));
    // 513 frames at 180 a second after a burst of 20: about 2.7 s (the pace, not a benchmark: a floor only)
    expect(took).toBeGreaterThan(1500);
  });

  withScript("(was a defect) 2,000 small writes in one go arrive whole and in order (before: closed with 1008)", async () => {
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: sessionId() }, { reconnect: false, heartbeatIntervalMs: 0 });
    let text = "";
    const reading = (async () => {
      for await (const chunk of shell.output) text += Buffer.from(chunk).toString("latin1");
    })();
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(`line ${i}\n`);
    const input = Buffer.from(lines.join(""));
    shell.write(`stty raw -echo; echo RE""ADY; head -c ${input.byteLength} | sha256sum; exit\n`);
    for (let i = 0; i < 500 && !text.includes("READY"); i++) await sleep(20);
    expect(text).toContain("READY"); // (the echoed command line says RE""ADY)
    for (const line of lines) expect(shell.write(line)).toBe(true);
    await expect(shell.exit).resolves.toEqual({ exitCode: 0 });
    await reading;
    expect(text).toContain(sha256(input));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A `ws` server that confirms the shell and records each frame with its arrival time
// ---------------------------------------------------------------------------------------------------------------

interface Recorder {
  frames: { at: number; channel: number; payload: Buffer }[];
  sockets: WebSocket[];
  client(): RuntimeClient;
  close(): Promise<void>;
}
const STATUS_OK = Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: { shellId: "fr", reconnected: false }, status: "Success" }))]);
const servers: Recorder[] = [];
async function recorder(): Promise<Recorder> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  const frames: Recorder["frames"] = [];
  const sockets: WebSocket[] = [];
  wss.on("connection", (ws) => {
    sockets.push(ws);
    ws.on("error", () => undefined);
    ws.on("message", (data: Buffer) => {
      frames.push({ at: performance.now(), channel: data[0]!, payload: data.subarray(1) });
      // 0xFF ends the shell: closed without an exit status (the client then reports SIGKILL)
      if (data[0] === 0xff) ws.close(1000);
    });
    ws.send(STATUS_OK);
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const port = (wss.address() as net.AddressInfo).port;
  const clients: RuntimeClient[] = [];
  const r: Recorder = {
    frames,
    sockets,
    client: () => {
      const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: TOKEN });
      clients.push(c);
      return c;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      for (const ws of sockets) ws.terminate();
      await new Promise((done) => wss.close(done));
    },
  };
  servers.push(r);
  return r;
}
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

/** The most frames that arrived within any one second. */
function busiestSecond(frames: { at: number }[]): number {
  let most = 0;
  for (let i = 0, j = 0; i < frames.length; i++) {
    while (frames[i]!.at - frames[j]!.at >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

const open = (s: Recorder) => openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "fr" }, { reconnect: false, heartbeatIntervalMs: 0 });

test("no second holds 250 frames, whatever the writes; the bytes arrive whole and in order", async () => {
  const s = await recorder();
  const shell = await open(s);
  const data = pattern(12 * MiB + 12345);
  // big and small writes, mixed, as fast as the caller can
  const parts: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.byteLength; i++) {
    const size = i % 3 === 0 ? 1 : i % 3 === 1 ? 700 : 300_000;
    parts.push(data.subarray(at, at + size));
    at += size;
  }
  for (const part of parts) shell.write(part);
  await shell.drain();
  for (let i = 0; i < 200 && s.frames.reduce((sum, f) => sum + f.payload.byteLength, 0) < data.byteLength; i++) await sleep(10);
  const stdin = s.frames.filter((f) => f.channel === 0);
  expect(Buffer.concat(stdin.map((f) => f.payload)).equals(Buffer.from(data))).toBe(true);
  expect(Math.max(...stdin.map((f) => f.payload.byteLength))).toBeLessThanOrEqual(32 * 1024 - 1);
  // 12 MiB in 32 KiB frames: 385 frames, joined from the 4,000-odd writes
  expect(stdin.length).toBeLessThan(400);
  // sent at most 200 in a second; arrivals may bunch a little, and stay under the service's 250
  expect(busiestSecond(s.frames)).toBeLessThan(250);
  expect(busiestSecond(s.frames)).toBeGreaterThan(100); // and it does use the budget
  await shell.kill();
});

test("keystrokes while nothing waits leave at once, one frame each", async () => {
  const s = await recorder();
  const shell = await open(s);
  const sent = performance.now();
  expect(shell.write("l")).toBe(true);
  expect(shell.write("s")).toBe(true);
  expect(shell.bufferedAmount).toBe(0);
  for (let i = 0; i < 100 && s.frames.length < 2; i++) await sleep(5);
  expect(s.frames.map((f) => f.payload.toString())).toEqual(["l", "s"]);
  expect(s.frames[1]!.at - sent).toBeLessThan(500);
  await shell.kill();
});

test("write() returns false past 1 MiB waiting; drain() resolves when all of it was sent; past 64 MiB write() throws", async () => {
  const s = await recorder();
  const shell = await open(s);
  expect(shell.write(new Uint8Array(512 * 1024))).toBe(true);
  expect(shell.write(new Uint8Array(2 * MiB))).toBe(false);
  const waiting = shell.bufferedAmount;
  expect(waiting).toBeGreaterThan(MiB);
  expect(shell.write(new Uint8Array(60 * MiB))).toBe(false);
  let error: unknown;
  try {
    shell.write(new Uint8Array(4 * MiB));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidParameterError);
  expect((error as Error).message).toMatch(/drain\(\)/);
  // the refused write added nothing (and nothing was sent meanwhile: the same tick)
  expect(shell.bufferedAmount).toBe(waiting + 60 * MiB);
  let drained = false;
  const draining = shell.drain().then(() => (drained = true));
  await sleep(200);
  expect(drained).toBe(false);
  await shell.kill(); // drops what waits: drain() ends
  await draining;
  expect(shell.bufferedAmount).toBe(0);
});

test.each([
  ["a Uint8Array", (size: number) => new Uint8Array(size)],
  ["a Node Buffer (whose slice() is a view, not a copy)", (size: number) => Buffer.alloc(size)],
])("the written bytes are copied: changing %s after write() changes nothing sent", async (_, make) => {
  const s = await recorder();
  const shell = await open(s);
  const buffer = make(3 * MiB).fill(0x61);
  shell.write(buffer);
  buffer.fill(0x62);
  await shell.drain();
  for (let i = 0; i < 200 && s.frames.reduce((sum, f) => sum + f.payload.byteLength, 0) < 3 * MiB; i++) await sleep(10);
  const sent = Buffer.concat(s.frames.filter((f) => f.channel === 0).map((f) => f.payload));
  expect(sent.length).toBe(3 * MiB);
  expect(sent.every((b) => b === 0x61)).toBe(true);
  await shell.kill();
});

test("detach() sends the input written before it, then closes; kill() drops it and sends 0xFF at once", async () => {
  const s = await recorder();
  const first = await open(s);
  first.write(new Uint8Array(2 * MiB).fill(0x63));
  await first.detach();
  expect(Buffer.concat(s.frames.filter((f) => f.channel === 0).map((f) => f.payload)).length).toBe(2 * MiB);
  s.frames.length = 0;

  const second = await open(s);
  second.write(new Uint8Array(8 * MiB));
  const killing = second.kill();
  expect(second.bufferedAmount).toBe(0);
  // the server closes once it has the 0xFF: every frame before it has arrived
  await expect(killing).resolves.toEqual({ exitCode: 137, signal: "SIGKILL" });
  const stdinBytes = s.frames.filter((f) => f.channel === 0).reduce((sum, f) => sum + f.payload.byteLength, 0);
  // only the first burst went out before the kill, not the 8 MiB
  expect(stdinBytes).toBeLessThanOrEqual(2 * MiB);
  expect(s.frames.some((f) => f.channel === 0xff)).toBe(true);
});

test("a resize storm sends the latest size, not a backlog of sizes", async () => {
  const s = await recorder();
  const shell = await open(s);
  shell.write(new Uint8Array(4 * MiB)); // the frame budget is spent on input
  for (let i = 1; i <= 1000; i++) shell.resize(80 + (i % 100), 24 + (i % 50));
  shell.resize(123, 45);
  await shell.drain();
  for (let i = 0; i < 100 && !s.frames.some((f) => f.channel === 4 && f.payload.toString().includes("123")); i++) await sleep(10);
  const sizes = s.frames.filter((f) => f.channel === 4).map((f) => JSON.parse(f.payload.toString()));
  expect(sizes.length).toBeLessThan(10);
  expect(sizes[sizes.length - 1]).toEqual({ width: 123, height: 45 });
  expect(busiestSecond(s.frames)).toBeLessThan(250);
  await shell.kill();
});

test("(was a defect) input handed to a connection that has closed while the reader was behind is kept for the next one: every byte arrives once, in order", async () => {
  // the first connection sends 2 MiB of output nobody reads yet (so the shell holds back: it sees the close only
  // once the reader catches up) and is closed by the server (1001, going away) after 1 MiB of input; meanwhile
  // the paced input went on being handed to the closed connection and was lost. The shell reconnects.
  const received: Buffer[][] = [[], []];
  let connections = 0;
  let firstClosed = false;
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    const index = connections++;
    ws.on("error", () => undefined);
    let bytes = 0;
    ws.on("message", (data: Buffer) => {
      if (data[0] !== 0) return;
      received[index]!.push(data.subarray(1));
      bytes += data.byteLength - 1;
      if (index === 0 && bytes >= MiB && ws.readyState === WebSocket.OPEN) ws.close(1001, "going away");
    });
    if (index === 0) ws.once("close", () => (firstClosed = true));
    ws.send(index === 0 ? STATUS_OK : Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: { shellId: "fr", reconnected: true }, status: "Success" }))]));
    if (index === 0) for (let i = 0; i < 64; i++) ws.send(Buffer.concat([Buffer.from([1]), Buffer.alloc(32 * 1024, 0x6f)]));
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const client = new RuntimeClient({ endpoint: `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`, token: TOKEN });
  try {
    const shell = await openShell(client, { runtimeArn: ARN, sessionId: sessionId(), shellId: "fr" }, { reconnect: { baseDelayMs: 20 }, heartbeatIntervalMs: 0 });
    const data = pattern(4 * MiB);
    shell.write(data);
    for (let i = 0; i < 300 && !firstClosed; i++) await sleep(10);
    expect(firstClosed).toBe(true);
    await sleep(300); // the pace goes on meanwhile: about 60 frames
    // the reader catches up: the shell sees the close, reconnects, and sends the rest
    const reading = (async () => {
      for await (const _ of shell.output) void _;
    })().catch(() => undefined);
    await shell.drain();
    for (let i = 0; i < 300 && received.flat().reduce((sum, b) => sum + b.byteLength, 0) < data.byteLength; i++) await sleep(10);
    expect(connections).toBe(2);
    expect(Buffer.concat(received[0]!).byteLength).toBeGreaterThanOrEqual(MiB);
    expect(Buffer.concat([...received[0]!, ...received[1]!]).equals(Buffer.from(data))).toBe(true);
    await shell.detach();
    await reading;
  } finally {
    client.destroy();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(r));
  }
});

test("(was a defect) on a slow uplink input waits in the shell, not in the socket: nothing more is handed over while the socket holds 256 KiB", async () => {
  const s = await recorder();
  let backlog = 0;
  // the `ws` client as a WHATWG WebSocket whose socket reports a backlog while `backlog` is set (a slow uplink)
  class SlowUplink extends WebSocket {}
  const own = Object.getOwnPropertyDescriptor(WebSocket.prototype, "bufferedAmount")!.get!;
  Object.defineProperty(SlowUplink.prototype, "bufferedAmount", {
    get(this: WebSocket) {
      return (own.call(this) as number) + backlog;
    },
  });
  const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "fr" }, { reconnect: false, heartbeatIntervalMs: 0, WebSocket: SlowUplink as never });
  backlog = MiB;
  expect(shell.write(new Uint8Array(2 * MiB).fill(0x64))).toBe(false);
  await sleep(400);
  expect(s.frames.filter((f) => f.channel === 0)).toHaveLength(0);
  expect(shell.bufferedAmount).toBe(2 * MiB);
  backlog = 0;
  await shell.drain();
  for (let i = 0; i < 200 && s.frames.reduce((sum, f) => sum + f.payload.byteLength, 0) < 2 * MiB; i++) await sleep(10);
  expect(Buffer.concat(s.frames.filter((f) => f.channel === 0).map((f) => f.payload)).equals(Buffer.alloc(2 * MiB, 0x64))).toBe(true);
  await shell.kill();
});

test("(was a defect) a wall clock set back does not stall input (the pace runs on a monotonic clock)", async () => {
  const s = await recorder();
  const shell = await open(s);
  const now = Date.now();
  const clock = jest.spyOn(Date, "now").mockImplementation(() => now - 10 * 60_000);
  try {
    shell.write(new Uint8Array(3 * MiB));
    let drained = false;
    void shell.drain().then(() => (drained = true));
    for (let i = 0; i < 300 && !drained; i++) await sleep(10);
    expect(drained).toBe(true);
  } finally {
    clock.mockRestore();
  }
  await shell.kill();
});

test("(was a defect) detach() with input waiting for a peer that stopped reading closes after connectionTimeout instead of waiting for ever", async () => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.on("error", () => undefined);
    ws.send(STATUS_OK);
    // the peer stops reading: the client's socket fills (the kernel's buffers, then its own backlog)
    setTimeout(() => (ws as unknown as { _socket: net.Socket })._socket.pause(), 50);
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const client = new RuntimeClient({ endpoint: `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}`, token: TOKEN, connectionTimeout: 800 });
  try {
    const shell = await openShell(client, { runtimeArn: ARN, sessionId: sessionId(), shellId: "fr" }, { reconnect: false, heartbeatIntervalMs: 0 });
    shell.write(new Uint8Array(60 * MiB));
    await sleep(3000); // the kernel's buffers fill; then input waits on the socket's backlog
    expect(shell.bufferedAmount).toBeGreaterThan(0);
    const started = Date.now();
    const outcome = await Promise.race([shell.detach().then(() => "detached"), sleep(8000).then(() => "pending")]);
    expect(outcome).toBe("detached");
    expect(Date.now() - started).toBeLessThan(5000);
  } finally {
    client.destroy();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(r));
  }
}, 30_000);
