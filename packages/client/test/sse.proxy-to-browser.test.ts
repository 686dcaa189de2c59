import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AgentRuntimeError,
  InvokeStreamCommand,
  RuntimeClient,
  RuntimeStream,
  readSSE,
  type SseEvent,
} from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { foreverAgent, until } from "./helpers/agents";

// A server streaming an agent's reply on to browsers: toSSEStream / toSSEResponse on the server side, readSSE on
// the browser side, against the emulator; a browser that goes away must cancel the agent's stream upstream.

let emulator: Emulator;
let client: RuntimeClient;
/** Sessions whose agent stream the emulator saw aborted (the client went away). */
const abortedSessions: string[] = [];
/** Sessions whose "forever" stream started. */
const startedSessions: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    agent: foreverAgent({ started: startedSessions, aborted: abortedSessions }),
  });
  client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});

let n = 0;
const sessionId = () => `sse-proxy-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;
const decoder = new TextDecoder();

async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error?: AgentRuntimeError }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (e) {
    return { items, error: e as AgentRuntimeError };
  }
  return { items };
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) out += decoder.decode(chunk, { stream: true });
  return out;
}

/** A RuntimeStream over given events, then an optional failure; records its release. */
function streamOf(events: SseEvent[], failure?: unknown, gate?: Promise<void>) {
  const released: unknown[] = [];
  const stream = new RuntimeStream<SseEvent>(
    async function* () {
      for (const event of events) yield event;
      if (gate) await gate;
      if (failure) throw failure;
    },
    async (reason) => void released.push(reason ?? "released"),
  );
  return { stream, released };
}

const ev = (data: string, extra: Partial<SseEvent> = {}): SseEvent => ({ data, text: data, ...extra });

describe("toSSEStream: the bytes", () => {
  test("event, id and data lines; multi-line data as several data lines; a blank line after each event", async () => {
    const { stream } = streamOf([ev('"Hel"', { text: "Hel" }), ev("line 1\nline 2\r\nline 3", { event: "message", id: "7" }), ev("", { event: "ping" }), ev(" leading space")]);
    expect(await text(stream.toSSEStream())).toBe(
      'data: "Hel"\n\n' + "event: message\nid: 7\ndata: line 1\ndata: line 2\ndata: line 3\n\n" + "event: ping\ndata: \n\n" + "data:  leading space\n\n",
    );
  });

  test("a field value cannot inject a line of its own", async () => {
    const { stream } = streamOf([ev("x", { event: "a\ndata: injected", id: "1\r\n" })]);
    const out = await text(stream.toSSEStream());
    expect(out.split("\n").filter((line) => line.startsWith("data:"))).toEqual(["data: x"]);
  });

  test("an agent error becomes `event: error` with error, error_type and message, and the stream ends", async () => {
    const error = new AgentRuntimeError({ name: "ValueError", errorType: "ValueError", message: "Agent failed", fields: { error: "Agent failed" } });
    const { stream } = streamOf([ev("before")], error);
    const out = await text(stream.toSSEStream());
    expect(out).toBe('data: before\n\nevent: error\ndata: {"error":"Agent failed","error_type":"ValueError","message":"Agent failed"}\n\n');
  });

  test("any other failure likewise, named by its error name", async () => {
    const boom = Object.assign(new Error("socket hang up"), { name: "NetworkError" });
    const out = await text(streamOf([], boom).stream.toSSEStream());
    expect(out).toBe('event: error\ndata: {"error":"socket hang up","error_type":"NetworkError","message":"socket hang up"}\n\n');
  });

  test("a heartbeat comment fills silence, and stops when the stream ends", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { stream } = streamOf([ev("first")], undefined, gate);
    const reader = stream.toSSEStream({ heartbeatMs: 20 }).getReader();
    const seen: string[] = [];
    for (;;) {
      const { value } = await reader.read();
      seen.push(decoder.decode(value));
      if (seen.at(-1) === ": heartbeat\n\n") break;
    }
    expect(seen[0]).toBe("data: first\n\n");
    open();
    for (let r = await reader.read(); !r.done; r = await reader.read()) seen.push(decoder.decode(r.value));
    // after the end no timer fires into the closed stream (it would throw an uncaught "invalid state" error)
    await new Promise((r) => setTimeout(r, 80));
    expect(seen.every((chunk) => chunk === "data: first\n\n" || chunk === ": heartbeat\n\n")).toBe(true);
  });

  test("cancelling the returned stream releases the source (the HTTP body)", async () => {
    const gate = new Promise<void>(() => undefined);
    const { stream, released } = streamOf([ev("first")], undefined, gate);
    const reader = stream.toSSEStream().getReader();
    await reader.read();
    await reader.cancel();
    expect(released).toHaveLength(1);
  });

  test("a bad heartbeatMs is refused", () => {
    expect(() => streamOf([]).stream.toSSEStream({ heartbeatMs: 0 })).toThrow(expect.objectContaining({ name: "InvalidParameterError" }));
  });
});

describe("toSSEResponse", () => {
  test("the headers an event stream needs, merged with init", async () => {
    const plain = streamOf([ev("x")]).stream.toSSEResponse();
    expect(plain.status).toBe(200);
    expect(Object.fromEntries(plain.headers)).toEqual({ "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    expect(await plain.text()).toBe("data: x\n\n");
    const merged = streamOf([ev("x")]).stream.toSSEResponse({ status: 201, headers: { "cache-control": "no-store", "x-session": "s" } });
    expect(merged.status).toBe(201);
    expect(Object.fromEntries(merged.headers)).toEqual({ "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no", "x-session": "s" });
  });
});

describe("readSSE: the way back, with the same typed errors", () => {
  const bytes = (s: string) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        // one byte at a time: readSSE must not care where the network cuts
        for (const b of new TextEncoder().encode(s)) c.enqueue(Uint8Array.of(b));
        c.close();
      },
    });

  test("events from a ReadableStream or a Response", async () => {
    const body = 'data: "Hel"\n\n: heartbeat\n\nevent: message\nid: 7\ndata: a\ndata: b\n\n';
    const expected = [ev('"Hel"', { text: "Hel" }), { data: "a\nb", text: "a\nb", event: "message", id: "7" }];
    expect((await drain(readSSE(bytes(body)))).items).toEqual(expected);
    expect((await drain(readSSE(new Response(bytes(body), { headers: { "content-type": "text/event-stream" } })))).items).toEqual(expected);
  });

  test("event: error → AgentRuntimeError named by its error_type, after the events before it", async () => {
    const { items, error } = await drain(readSSE(bytes('data: ok\n\nevent: error\ndata: {"error":"boom","error_type":"ValueError","message":"boom"}\n\n')));
    expect(items.map((e) => e.data)).toEqual(["ok"]);
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ name: "ValueError", errorType: "ValueError", message: "boom" });
  });

  test("a body cut inside an event → TruncatedStreamError; an event past maxEventBytes → ResponseLimitExceededError", async () => {
    const cut = await drain(readSSE(bytes("data: whole\n\ndata: half")));
    expect(cut.items.map((e) => e.data)).toEqual(["whole"]);
    expect(cut.error).toMatchObject({ name: "TruncatedStreamError", partial: "data: half" });
    const big = await drain(readSSE(bytes(`data: ${"x".repeat(200)}\n\n`), { maxEventBytes: 100 }));
    expect(big.error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxEventBytes" });
  });

  test("a Response with an error status raises the typed error its body describes", async () => {
    const response = new Response(JSON.stringify({ message: "slow down" }), { status: 429, headers: { "content-type": "application/json", "x-amzn-ErrorType": "ThrottlingException" } });
    const { error } = await drain(readSSE(response));
    expect(error).toMatchObject({ name: "ThrottlingException", statusCode: 429, message: "slow down" });
  });
});

describe("round trip through the emulator: toSSEStream → readSSE gives what the SDK gives", () => {
  async function direct(payload: unknown, headers?: Record<string, string>) {
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, sessionId: sessionId(), payload, headers }));
    return drain(stream);
  }
  async function proxied(payload: unknown, headers?: Record<string, string>) {
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, sessionId: sessionId(), payload, headers }));
    return drain(readSSE(stream.toSSEResponse()));
  }

  test("the same events", async () => {
    const a = await direct({ prompt: "the same events, word by word" });
    const b = await proxied({ prompt: "the same events, word by word" });
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(b.items).toEqual(a.items);
    expect(b.items.map((e) => e.text).join("")).toBe("You said: the same events, word by word");
  });

  test("the same agent error", async () => {
    const a = await direct({ prompt: "fail" });
    const b = await proxied({ prompt: "fail" });
    expect(a.error).toBeDefined();
    expect(b.items).toEqual(a.items);
    expect({ name: b.error!.name, errorType: b.error!.errorType, message: b.error!.message }).toEqual({ name: a.error!.name, errorType: a.error!.errorType, message: a.error!.message });
  });

  test("a transport failure mid-stream reaches the browser as an error of the same name", async () => {
    const fault = { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault": "drop; afterEvents=2" };
    const a = await direct({ prompt: "one two three four five" }, fault);
    const b = await proxied({ prompt: "one two three four five" }, fault);
    expect(a.error).toBeDefined();
    expect(b.items).toEqual(a.items);
    expect(b.error!.name).toBe(a.error!.name);
    expect(b.error!.message).toBe(a.error!.message);
  });
});

describe("the README's two server shapes, against the emulator, the browser leaving included", () => {
  // Web route handler (Next.js App Router, Hono, edge runtimes): Request → Response.
  async function POST(request: Request): Promise<Response> {
    const { prompt, sessionId } = (await request.json()) as { prompt: string; sessionId?: string };
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, sessionId, payload: { prompt } }));
    return stream.toSSEResponse();
  }

  // Node http / Express handler.
  async function nodeHandler(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const { stream } = await client.send(
      new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, sessionId: url.searchParams.get("session") ?? undefined, payload: { prompt: url.searchParams.get("prompt") ?? "" } }),
    );
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    await pipeline(Readable.fromWeb(stream.toSSEStream() as import("node:stream/web").ReadableStream), res).catch(() => undefined);
  }

  test("route handler: the reply arrives whole", async () => {
    const response = await POST(new Request("http://app.local/api/chat", { method: "POST", body: JSON.stringify({ prompt: "via a route" }) }));
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const { items, error } = await drain(readSSE(response));
    expect(error).toBeUndefined();
    expect(items.map((e) => e.text).join("")).toBe("You said: via a route");
  });

  test("route handler: the runtime cancelling the body (browser gone) cancels the agent's stream", async () => {
    const id = sessionId();
    const response = await POST(new Request("http://app.local/api/chat", { method: "POST", body: JSON.stringify({ prompt: "forever", sessionId: id }) }));
    const reader = response.body!.getReader();
    expect(decoder.decode((await reader.read()).value)).toContain("tick 0");
    expect(abortedSessions).not.toContain(id);
    await reader.cancel();
    await until(() => abortedSessions.includes(id), "the emulator to see the stream end");
  });

  describe("node http server", () => {
    let server: http.Server;
    let base: string;
    beforeAll(async () => {
      server = http.createServer((req, res) => void nodeHandler(req, res).catch(() => res.destroy()));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    test("the reply arrives whole, and readSSE reads it", async () => {
      const response = await fetch(`${base}/?prompt=${encodeURIComponent("via node http")}`);
      const { items, error } = await drain(readSSE(response));
      expect(error).toBeUndefined();
      expect(items.map((e) => e.text).join("")).toBe("You said: via node http");
    });

    test("the agent's error arrives as the same typed error", async () => {
      const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, payload: { prompt: "fail" } }));
      const direct = (await drain(stream)).error!;
      const { error } = await drain(readSSE(await fetch(`${base}/?prompt=fail`)));
      expect(direct.name).toBe("ValueError");
      expect({ name: error?.name, errorType: error?.errorType, message: error?.message }).toEqual({ name: direct.name, errorType: direct.errorType, message: direct.message });
    });

    test("the browser disconnecting cancels the agent's stream upstream", async () => {
      const id = sessionId();
      const abort = new AbortController();
      const response = await fetch(`${base}/?prompt=forever&session=${id}`, { signal: abort.signal });
      const events = readSSE(response)[Symbol.asyncIterator]();
      expect((await events.next()).value).toMatchObject({ text: "tick 0 " });
      expect(startedSessions).toContain(id);
      abort.abort();
      await until(() => abortedSessions.includes(id), "the emulator to see the stream end");
    });
  });
});
