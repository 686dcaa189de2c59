import v8 from "node:v8";
import vm from "node:vm";
import { ExecuteCommandStreamCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { frame } from "./helpers/resilience";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

/**
 * A streaming output that the application drops without reading it to its end or cancelling it: once it is
 * garbage-collected its connection is closed (the server sees it) and the call is over for the client, instead
 * of the socket staying open until the server gives up. A stream still referenced is never touched.
 */
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

let server: TestServer;
/** Responses closed, by the request's `qualifier` (each test's requests have their own). */
const closed = new Set<string>();

beforeAll(async () => {
  server = await startServer((req, res) => {
    const qualifier = new URL(req.url!, "http://x").searchParams.get("qualifier")!;
    res.on("close", () => closed.add(qualifier));
    const sse = req.url!.includes("invocations");
    res.writeHead(200, { "content-type": sse ? "text/event-stream" : "application/vnd.amazon.eventstream" });
    // one item, then silence: a stream that never ends by itself
    res.write(sse ? "data: first\n\n" : Buffer.concat([frame({ contentStart: {} }), frame({ contentDelta: { stdout: "first\n" } })]));
  });
});
afterAll(() => server.close());

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting until ${what}`);
}

test.each([
  ["InvokeStreamCommand", () => new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "invoke", payload: {} })],
  ["ExecuteCommandStreamCommand", () => new ExecuteCommandStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "execute", command: "tail -f x" })],
] as const)("an unread %s output that is dropped has its connection closed when collected", async (_name, command) => {
  const lines: string[] = [];
  const logger = { debug: (line: string) => lines.push(line), info: () => undefined, warn: () => undefined, error: () => undefined };
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, logger });
  try {
    const sent = command();
    const qualifier = sent.input.qualifier!;
    // the output lives only inside this function
    await (async () => {
      const out = (await client.send(sent as InvokeStreamCommand)) as { stream?: unknown };
      expect(out.stream).toBeDefined();
    })();
    await until(() => closed.has(qualifier), "the server saw the connection close");
    // and the call is over for the client: its close handlers ran (the logger's among them)
    await until(() => lines.some((line) => / stream closed /.test(line)), "the call's close handlers ran");
  } finally {
    client.destroy();
  }
});

test("a stream that is partly read, then dropped, is closed too; one still held stays open", async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  try {
    const kept = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "kept", payload: {} }));
    await (async () => {
      const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "dropped", payload: {} }));
      const iterator = out.stream[Symbol.asyncIterator]();
      expect((await iterator.next()).value.text).toBe("first");
    })();
    await until(() => closed.has("dropped"), "the dropped stream's connection closed");
    // only the dropped one: the held stream is still open and readable
    gc();
    await new Promise((r) => setTimeout(r, 100));
    expect(closed.has("kept")).toBe(false);
    const iterator = kept.stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value.text).toBe("first");
    await iterator.return!();
    await until(() => closed.has("kept"), "the held stream closed once returned");
  } finally {
    client.destroy();
  }
});
