import http from "node:http";
import v8 from "node:v8";
import vm from "node:vm";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { AgentRuntimeError, ExecuteCommandStreamCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, until, type TestServer } from "./helpers/server";

let server: TestServer;
let client: RuntimeClient;
/** Responses the server is still writing to: a test checks they were closed by the client. */
const open = new Set<http.ServerResponse>();
let responsesClosed = 0;

beforeAll(async () => {
  server = await startServer((req, res) => {
    open.add(res);
    res.on("close", () => {
      open.delete(res);
      responsesClosed++;
    });
    const mode = req.headers["x-test-mode"];
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (mode === "endless") {
      // an event every 5 ms until the client goes away
      let n = 0;
      const timer = setInterval(() => res.write(`data: "tick ${n++}"\n\n`), 5);
      res.on("close", () => clearInterval(timer));
    } else if (mode === "stall") {
      res.write('data: "first"\n\n');
    } else {
      res.end('data: "a"\n\ndata: "b"\n\n');
    }
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

const invoke = (mode: string, extra: object = {}) =>
  new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, headers: { "X-Test-Mode": mode }, ...extra });

test("break out of for-await cancels the HTTP body: the server sees its response closed", async () => {
  const closedBefore = responsesClosed;
  const out = await client.send(invoke("endless"));
  const seen: string[] = [];
  for await (const event of out.stream) {
    seen.push(event.text);
    if (seen.length === 3) break;
  }
  expect(seen).toEqual(["tick 0", "tick 1", "tick 2"]);
  await until(() => responsesClosed > closedBefore);
  expect(open.size).toBe(0);
});

test("a stream can be iterated once", async () => {
  const out = await client.send(invoke("short"));
  const texts: string[] = [];
  for await (const e of out.stream) texts.push(e.text);
  expect(texts).toEqual(["a", "b"]);
  expect(() => out.stream[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ name: "StreamAlreadyConsumedError" }));
});

test("toReadableStream bridges to Web Streams, and cancelling it cancels the body", async () => {
  const out = await client.send(invoke("short"));
  const reader = out.stream.toReadableStream().getReader();
  const got: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(r.value.text);
  expect(got).toEqual(["a", "b"]);

  const closedBefore = responsesClosed;
  const endless = await client.send(invoke("endless"));
  const web = endless.stream.toReadableStream().getReader();
  expect((await web.read()).value?.text).toBe("tick 0");
  await web.cancel();
  await until(() => responsesClosed > closedBefore);
});

test("abort mid-body rejects the pending read with AbortError (cause = the reason) and closes the connection", async () => {
  const controller = new AbortController();
  const closedBefore = responsesClosed;
  const out = await client.send(invoke("stall"), { abortSignal: controller.signal });
  const iterator = out.stream[Symbol.asyncIterator]();
  expect((await iterator.next()).value.text).toBe("first");
  const pending = iterator.next();
  const reason = new Error("user pressed stop");
  controller.abort(reason);
  const error = (await pending.catch((e) => e)) as AgentRuntimeError;
  expect(error.name).toBe("AbortError");
  expect(error.cause).toBe(reason);
  await until(() => responsesClosed > closedBefore);
});

test("idleTimeout: silence between chunks ends the stream with IdleTimeoutError after the events that arrived", async () => {
  const closedBefore = responsesClosed;
  const out = await client.send(invoke("stall"), { idleTimeout: 150, requestTimeout: 10_000 });
  const seen: string[] = [];
  const error = await (async () => {
    for await (const e of out.stream) seen.push(e.text);
  })().catch((e) => e);
  expect(seen).toEqual(["first"]);
  expect(error).toMatchObject({ name: "IdleTimeoutError" });
  await until(() => responsesClosed > closedBefore);
});

test("cancel() without iterating releases the connection", async () => {
  const closedBefore = responsesClosed;
  const out = await client.send(invoke("endless"));
  await out.stream.cancel();
  await until(() => responsesClosed > closedBefore);
  expect(() => out.stream[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ name: "StreamAlreadyConsumedError" }));
});

test("cancelling toReadableStream() while a read is pending releases the socket at once, not at the idle timeout", async () => {
  const closedBefore = responsesClosed;
  const out = await client.send(invoke("stall"), { idleTimeout: 30_000 });
  const reader = out.stream.toReadableStream().getReader();
  expect((await reader.read()).value?.text).toBe("first");
  const pending = reader.read(); // blocks: the server sends nothing more
  const started = Date.now();
  await reader.cancel();
  await until(() => responsesClosed > closedBefore, 2000);
  expect(Date.now() - started).toBeLessThan(2000);
  await expect(pending).resolves.toMatchObject({ done: true });
});

test("stream.cancel() during a blocked for-await ends the loop with a typed AbortError", async () => {
  const out = await client.send(invoke("stall"), { idleTimeout: 30_000 });
  const seen: string[] = [];
  const loop = (async () => {
    for await (const e of out.stream) seen.push(e.text);
  })().catch((e) => e);
  await until(() => seen.length === 1);
  const reason = new Error("user navigated away");
  await out.stream.cancel(reason);
  const error = (await loop) as AgentRuntimeError;
  expect(AgentRuntimeError.isInstance(error)).toBe(true);
  expect(error.name).toBe("AbortError");
  expect(error.cause).toBe(reason);
});

describe("a 100 MiB command output is consumed with bounded memory", () => {
  let big: TestServer;
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const frame = (payload: unknown) =>
    codec.encode({
      headers: {
        ":message-type": { type: "string", value: "event" },
        ":event-type": { type: "string", value: "chunk" },
        ":content-type": { type: "string", value: "application/json" },
      },
      body: fromUtf8(JSON.stringify(payload)),
    });
  const TOTAL = 100 * 1024 * 1024;
  beforeAll(async () => {
    const piece = "x".repeat(60 * 1024);
    const delta = Buffer.from(frame({ contentDelta: { stdout: piece } }));
    big = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
      res.write(Buffer.from(frame({ contentStart: {} })));
      let sent = 0;
      while (sent < TOTAL) {
        if (!res.write(delta)) await new Promise((r) => res.once("drain", r));
        sent += delta.length;
      }
      res.end(Buffer.from(frame({ contentStop: { exitCode: 0, status: "COMPLETED" } })));
    });
  });
  afterAll(() => big.close());

  test("streamed through ExecuteCommandStreamCommand", async () => {
    const local = new RuntimeClient({ endpoint: big.url, token: TOKEN });
    // measure what is retained, not garbage the collector has not got round to yet
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = used();
    let peak = baseline;
    let bytes = 0;
    let stops = 0;
    const out = await local.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, command: "cat big" }));
    let n = 0;
    for await (const event of out.stream) {
      if (event.contentDelta) bytes += event.contentDelta.stdout!.length;
      if (event.contentStop) stops++;
      if (++n % 400 === 0) peak = Math.max(peak, used());
    }
    // and once at the end, while the stream is still referenced: a stream that kept the output would hold it all now
    peak = Math.max(peak, used());
    local.destroy();
    expect(bytes).toBeGreaterThanOrEqual(TOTAL * 0.99);
    expect(stops).toBe(1);
    // holding the output would need > 100 MiB; streaming must stay far below that
    expect(peak - baseline).toBeLessThan(30 * 1024 * 1024);
  }, 60_000);
});
