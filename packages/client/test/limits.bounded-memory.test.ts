import v8 from "node:v8";
import vm from "node:vm";
import type { ServerResponse } from "node:http";
import { AgentRuntimeError, ExecuteCommandCommand, ExecuteCommandStreamCommand, InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { frame } from "./helpers/resilience";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

/**
 * Hostile bodies that never end what they start: a line, an event, a body. Each must stop at its limit with a
 * typed error naming the option, cancel the body, and hold no more than a small multiple of the limit.
 */
const MiB = 1024 * 1024;
// the server gives up by itself after this much, so a client that never stops cannot run the test forever
const SERVER_CAP = 600 * MiB;

let mode: { contentType: string; first: string; repeat: string };
let server: TestServer;
let stoppedEarly = 0;

async function pour(res: ServerResponse): Promise<void> {
  res.writeHead(200, { "content-type": mode.contentType });
  const piece = Buffer.from(mode.repeat.repeat(Math.ceil((64 * 1024) / mode.repeat.length)));
  let sent = 0;
  res.write(mode.first);
  while (sent < SERVER_CAP && !res.destroyed) {
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done).off("close", done);
          resolve();
        };
        res.on("drain", done).on("close", done);
      });
    }
    sent += piece.length;
  }
  if (res.destroyed) stoppedEarly++;
  res.end();
}

beforeAll(async () => {
  server = await startServer((_req, res) => pour(res));
});
afterAll(() => server.close());

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Runs `work` while sampling memory; returns its error and the peak growth over a collected baseline. */
async function measure(work: () => Promise<unknown>): Promise<{ error: AgentRuntimeError; growth: number }> {
  gc();
  const baseline = used();
  let peak = baseline;
  // collected before each sample: what the SDK holds, not garbage the collector has not got round to yet. The
  // next sample waits at least three times as long as this collection took: in a jest worker whose heap earlier
  // suites have grown, one full collection can outlast a fixed 20 ms period, and back-to-back collections then
  // starved the call itself (a 0.5 s case went past the 30 s test timeout).
  let sampler: ReturnType<typeof setTimeout> | undefined;
  const sample = () => {
    const started = performance.now();
    gc();
    peak = Math.max(peak, used());
    sampler = setTimeout(sample, Math.max(20, 3 * (performance.now() - started)));
  };
  sampler = setTimeout(sample, 20);
  try {
    const error = (await work().then(
      () => undefined,
      (e) => e,
    )) as AgentRuntimeError;
    gc();
    peak = Math.max(peak, used());
    return { error, growth: peak - baseline };
  } finally {
    clearTimeout(sampler);
  }
}

const cases = [
  { what: "an SSE line that never ends", contentType: "text/event-stream", first: "data: ", repeat: "x", option: "maxEventBytes" },
  { what: "data: lines without a blank line", contentType: "text/event-stream", first: "", repeat: "data: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n", option: "maxEventBytes" },
] as const;

describe.each(cases)("InvokeStreamCommand, $what", ({ contentType, first, repeat, option }) => {
  test.each([
    ["the default limit (16 MiB)", undefined, 16 * MiB],
    ["a client limit of 2 MiB", 2 * MiB, 2 * MiB],
  ])("%s: typed error naming the option, body cancelled, memory bounded", async (_label, clientLimit, limit) => {
    mode = { contentType, first, repeat };
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, ...(clientLimit ? { maxEventBytes: clientLimit } : {}) });
    const before = stoppedEarly;
    const { error, growth } = await measure(async () => {
      const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
      for await (const _ of out.stream) throw new Error("no event can complete");
    });
    client.destroy();
    expect(error).toMatchObject({ name: "ResponseLimitExceededError", limit: option, limitBytes: limit });
    expect(error.message).toContain(option);
    // a small multiple of the limit (decoded pieces plus the read buffers in flight)
    expect(growth).toBeLessThan(4 * limit + 32 * MiB);
    await waitFor(() => stoppedEarly > before);
  });
});

describe.each([
  ["application/json", "{\"a\":\"", "z", 4],
  ["text/plain", "", "plain text ", 4],
  // tiny events: the call also holds one event object per 15 bytes, the worst case of a blocking SSE call
  ["text/event-stream", "", 'data: "token"\n\n', 12],
])("InvokeCommand, a %s body that never ends", (contentType, first, repeat, factor) => {
  test("stops at maxResponseBytes with a typed error; per-call option beats the client's", async () => {
    mode = { contentType, first, repeat };
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, maxResponseBytes: 64 * MiB });
    const before = stoppedEarly;
    const limit = 8 * MiB;
    const { error, growth } = await measure(() => client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { maxResponseBytes: limit }));
    client.destroy();
    expect(error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxResponseBytes", limitBytes: limit, $fault: "client" });
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(growth).toBeLessThan(factor * limit + 32 * MiB);
    await waitFor(() => stoppedEarly > before);
  });
});

test("InvokeStreamCommand of a non-SSE body that never ends: maxResponseBytes", async () => {
  mode = { contentType: "application/json", first: '"', repeat: "q" };
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }), { maxResponseBytes: 4 * MiB });
  const error = await (async () => {
    for await (const _ of out.stream) return undefined;
  })().catch((e) => e);
  client.destroy();
  expect(error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxResponseBytes" });
});

test("limits are validated before anything is sent", async () => {
  const before = server.requests.length;
  expect(() => new RuntimeClient({ maxEventBytes: 0 })).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: "maxEventBytes" }));
  expect(() => new RuntimeClient({ maxResponseBytes: 1.5 })).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: "maxResponseBytes" }));
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { maxEventBytes: -1 })).rejects.toMatchObject({ name: "InvalidParameterError", field: "maxEventBytes" });
  client.destroy();
  expect(server.requests.length).toBe(before);
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe("command streams share the same limits", () => {
  let es: TestServer;
  let output: "big-frame" | "endless";
  beforeAll(async () => {
    es = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
      res.write(frame({ contentStart: {} }));
      if (output === "big-frame") {
        res.end(frame({ contentDelta: { stdout: "b".repeat(3 * MiB) } }));
        return;
      }
      const delta = frame({ contentDelta: { stdout: "o".repeat(60 * 1024) } });
      for (let sent = 0; sent < SERVER_CAP && !res.destroyed; sent += delta.length) {
        if (!res.write(delta)) await new Promise<void>((r) => res.once("drain", () => r()));
      }
      res.end();
    });
  });
  afterAll(() => es.close());

  test("a frame over maxEventBytes is refused with the limit's error", async () => {
    output = "big-frame";
    const client = new RuntimeClient({ endpoint: es.url, token: TOKEN, maxAttempts: 1, maxEventBytes: MiB });
    const out = await client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, command: "cat big" }));
    const events: unknown[] = [];
    const error = await (async () => {
      for await (const e of out.stream) events.push(e);
    })().catch((e) => e);
    client.destroy();
    expect(events).toEqual([{ contentStart: {} }]);
    expect(error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxEventBytes", limitBytes: MiB });
  });

  test("a blocking command's output stops at maxResponseBytes, with the partial output on the error", async () => {
    output = "endless";
    const client = new RuntimeClient({ endpoint: es.url, token: TOKEN, maxAttempts: 1 });
    const { error, growth } = await measure(() => client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "yes" }), { maxResponseBytes: 4 * MiB }));
    client.destroy();
    expect(error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxResponseBytes" });
    expect((error.stdout as string).length).toBeGreaterThan(4 * MiB);
    expect(growth).toBeLessThan(8 * 4 * MiB + 32 * MiB);
  });
});
