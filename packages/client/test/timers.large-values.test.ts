import { Readable } from "node:stream";
import { ExecuteCommandCommand, InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { startTimer } from "../src/protocol/timers";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

/** Node runs a setTimeout of 2^31 ms or more after 1 ms: every timer the SDK starts must survive such values. */
const HUGE = [2 ** 31, 2 ** 31 + 1, 2 ** 32, Number.MAX_SAFE_INTEGER, Infinity];

let server: TestServer;
beforeAll(async () => {
  // headers after 150 ms, then two events 150 ms apart: an instant timer would cut either wait
  server = await startServer(async (_req, res) => {
    await new Promise((r) => setTimeout(r, 150));
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: "a"\n\n');
    await new Promise((r) => setTimeout(r, 150));
    res.end('data: "b"\n\n');
  });
});
afterAll(() => server.close());

describe.each(HUGE)("a timeout of %p ms means that long, never 1 ms", (ms) => {
  test.each(["deadline", "requestTimeout", "idleTimeout", "connectionTimeout"] as const)("%s on the client", async (option) => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, [option]: ms });
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    expect(out.text).toBe("ab");
    client.destroy();
  });
  test.each(["deadline", "requestTimeout", "idleTimeout"] as const)("%s per call, on a stream", async (option) => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }), { [option]: ms });
    const texts: string[] = [];
    for await (const e of out.stream) texts.push(e.text);
    expect(texts).toEqual(["a", "b"]);
    client.destroy();
  });
});

describe("startTimer chains waits beyond setTimeout's range", () => {
  afterEach(() => jest.useRealTimers());
  test("2^31 + 10 ms fires after that long, not before", () => {
    jest.useFakeTimers();
    const fired = jest.fn();
    startTimer(2 ** 31 + 10, fired);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(5);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(10);
    expect(fired).toHaveBeenCalledTimes(1);
  });
  test("Infinity never fires; cancel stops a chained timer", () => {
    jest.useFakeTimers();
    const never = jest.fn();
    startTimer(Infinity, never);
    const cancelled = jest.fn();
    const cancel = startTimer(2 ** 32, cancelled);
    jest.advanceTimersByTime(2 ** 31);
    cancel();
    jest.advanceTimersByTime(2 ** 33);
    expect(never).not.toHaveBeenCalled();
    expect(cancelled).not.toHaveBeenCalled();
  });
});

describe("numeric options are validated before anything is sent", () => {
  const bad = [0, -1, NaN, "100", null, -Infinity];
  test.each(["deadline", "requestTimeout", "idleTimeout", "connectionTimeout"])("%s", async (option) => {
    for (const value of bad) {
      expect(() => new RuntimeClient({ [option]: value } as object)).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: option }));
    }
  });
  test.each(["deadline", "requestTimeout", "idleTimeout"])("%s per call", async (option) => {
    const before = server.requests.length;
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    for (const value of bad) {
      await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { [option]: value } as object)).rejects.toMatchObject({ name: "InvalidParameterError", field: option });
    }
    client.destroy();
    expect(server.requests.length).toBe(before);
  });
  test("maxAttempts: a whole number from 1 to 100", () => {
    for (const value of [0, -1, 1.5, NaN, Infinity, 101, "3"]) {
      expect(() => new RuntimeClient({ maxAttempts: value } as object)).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: "maxAttempts" }));
    }
    for (const value of [1, 3, 100]) expect(() => new RuntimeClient({ maxAttempts: value })).not.toThrow();
  });
  test("an error message never echoes a non-number value", () => {
    let message = "";
    try {
      new RuntimeClient({ deadline: "secret\r\nvalue" } as object);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/deadline/);
    expect(message).not.toContain("secret");
  });
});

describe("a request payload stream that never ends is cancellable", () => {
  /** A Node Readable and a web ReadableStream that yield one chunk and then nothing, ever. */
  const sources = {
    "Node Readable": () => {
      const readable = new Readable({ read() {} });
      readable.push("start");
      return readable;
    },
    "web ReadableStream": () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("start"));
        },
      }),
    "async generator": () =>
      (async function* () {
        yield "start";
        await new Promise(() => undefined);
      })(),
  };
  describe.each(Object.entries(sources))("%s", (_name, make) => {
    test("by abortSignal", async () => {
      const before = server.requests.length;
      const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
      const controller = new AbortController();
      const sent = client.send(new InvokeCommand({ runtimeArn: ARN, payload: make() }), { abortSignal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(sent).rejects.toMatchObject({ name: "AbortError" });
      client.destroy();
      expect(server.requests.length).toBe(before);
    });
    test("by the deadline", async () => {
      const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, deadline: 100 });
      await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: make() }))).rejects.toMatchObject({ name: "DeadlineExceededError" });
      client.destroy();
    });
    test("by destroy()", async () => {
      const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
      const sent = client.send(new InvokeCommand({ runtimeArn: ARN, payload: make() }));
      setTimeout(() => client.destroy(), 50);
      await expect(sent).rejects.toMatchObject({ name: "AbortError" });
    });
  });
  test("a payload stream's own error is typed", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const failing = new Readable({
      read() {
        this.destroy(new RangeError("disk on fire"));
      },
    });
    await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: failing }))).rejects.toMatchObject({
      name: "InvalidParameterError",
      field: "payload",
      message: expect.stringContaining("disk on fire"),
    });
    client.destroy();
  });
});

test("ExecuteCommandCommand with a huge client idleTimeout still completes", async () => {
  const es = await startServer((_req, res) => {
    res.writeHead(500, { "content-type": "application/json", "x-amzn-errortype": "InternalServerException" });
    res.end('{"message":"boom"}');
  });
  const client = new RuntimeClient({ endpoint: es.url, token: TOKEN, idleTimeout: 2 ** 40, maxAttempts: 1 });
  await expect(client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "true" }))).rejects.toMatchObject({ name: "InternalServerException" });
  client.destroy();
  await es.close();
});
