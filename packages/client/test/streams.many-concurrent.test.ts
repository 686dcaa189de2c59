import { InvokeCommand, InvokeStreamCommand, RuntimeClient, type InvokeStreamCommandOutput } from "@agentcore-runtime/client";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

/**
 * A proxy holds one open stream per browser user. With default settings, every stream must get its own
 * connection: the old default pool of 50 sockets made the 51st send() wait until its timeout.
 */
const N = 500;

/** Waits `ms`, or less if the connection closes first (so no timer outlives the test). */
function hold(res: import("node:http").ServerResponse, ms: number, also?: Promise<unknown>): Promise<unknown> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    res.once("close", done);
    also?.then(done);
  });
}
let server: TestServer;
let release: () => void;
let released: Promise<void>;

beforeAll(async () => {
  released = new Promise((r) => (release = r));
  server = await startServer(async (req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`data: "first ${req.headers["x-amzn-bedrock-agentcore-runtime-session-id"]}"\n\n`);
    // every stream stays open until all N were opened (bounded: the test releases or closes the server)
    await hold(res, 20_000, released);
    res.end('data: "last"\n\n');
  });
});
afterAll(() => server.close());

test(`${N} streams opened before any is read all work with default settings`, async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const sessions = Array.from({ length: N }, (_, i) => `session-${String(i).padStart(4, "0")}-0123456789-0123456789-012`);
  // each send() resolves once its response headers arrived, i.e. once it holds a connection
  const outs: InvokeStreamCommandOutput[] = await Promise.all(sessions.map((sessionId) => client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId, payload: {} }))));
  expect(outs).toHaveLength(N);
  release();
  const texts = await Promise.all(
    outs.map(async (out) => {
      const got: string[] = [];
      for await (const event of out.stream) got.push(event.text);
      return got;
    }),
  );
  texts.forEach((got, i) => expect(got).toEqual([`first ${sessions[i]}`, "last"]));
  client.destroy();
}, 60_000);

describe("a configured socket limit", () => {
  let held: TestServer;
  beforeAll(async () => {
    held = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: "open"\n\n');
      await hold(res, 15_000);
      res.end();
    });
  });
  afterAll(() => held.close());

  test("a request that never got a socket fails saying so, and the pool warning goes to the logger, not the console", async () => {
    const warnings: string[] = [];
    const consoleWarn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const client = new RuntimeClient({ endpoint: held.url, token: TOKEN, maxSockets: 1, maxAttempts: 1, logger: { warn: (m: string) => warnings.push(m) } });
    const first = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
    // three more queue behind the one socket; the handler warns once the queue is twice the pool
    const queued = [1, 2, 3].map(() => client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { requestTimeout: 4000 }).catch((e) => e));
    const errors = await Promise.all(queued);
    for (const error of errors) {
      expect(error).toMatchObject({ name: "RequestTimeoutError", neverSent: true });
      expect(error.message).toMatch(/free connection and was never sent/);
      expect(error.message).toMatch(/maxSockets/);
      expect(error.message).not.toMatch(/No response headers/);
    }
    expect(warnings.some((w) => /socket usage at capacity/.test(w))).toBe(true);
    expect(consoleWarn).not.toHaveBeenCalled();
    consoleWarn.mockRestore();
    await first.stream.cancel();
    client.destroy();
    // the held stream was the only request the server saw
    expect(held.requests.length).toBe(1);
  }, 30_000);

  test("a slow server is still 'No response headers', not a socket wait", async () => {
    const slow = await startServer(async (_req, res) => {
      await hold(res, 5000);
      res.end();
    });
    const local = new RuntimeClient({ endpoint: slow.url, token: TOKEN, maxSockets: 4, maxAttempts: 1 });
    const error = await local.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }), { requestTimeout: 500 }).catch((e) => e);
    expect(error).toMatchObject({ name: "RequestTimeoutError" });
    expect(error.neverSent).toBeUndefined();
    expect(error.message).toMatch(/No response headers within 500 ms/);
    local.destroy();
    await slow.close();
  }, 30_000);
});

test("maxSockets is validated", () => {
  expect(() => new RuntimeClient({ maxSockets: 0 })).toThrow(expect.objectContaining({ name: "InvalidParameterError", field: "maxSockets" }));
  expect(() => new RuntimeClient({ maxSockets: Infinity })).not.toThrow();
});
