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

test("a dropped toSSEStream() is collected and closed too: its heartbeat timer runs only while a read waits", async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  try {
    await (async () => {
      const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "sse-dropped", payload: {} }));
      // the stream pulls the first event into its queue by itself, then waits for a reader that never comes:
      // no read is pending and no heartbeat timer is armed, so nothing keeps it alive
      out.stream.toSSEStream({ heartbeatMs: 20 });
      await new Promise((r) => setTimeout(r, 100));
    })();
    await until(() => closed.has("sse-dropped"), "the dropped SSE stream's connection closed");
  } finally {
    client.destroy();
  }
});

test("close handlers that throw: every other one still runs, and a collected stream never crashes the process", async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const ran: string[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on("uncaughtException", onUncaught);
  try {
    await (async () => {
      const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "throwing", payload: {} }));
      out.stream.onClose(() => {
        throw new Error("a broken close handler");
      });
      out.stream.onClose(() => ran.push("after it"));
    })();
    await until(() => closed.has("throwing") && ran.length === 1, "the stream closed and the later handler ran");
    expect(uncaught).toEqual([]);

    // the same on a normal close: the error reaches the caller, the other handlers have run
    const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: "throwing-cancel", payload: {} }));
    out.stream.onClose(() => {
      throw new Error("broken again");
    });
    out.stream.onClose(() => ran.push("after cancel"));
    await expect(out.stream.cancel()).rejects.toThrow("broken again");
    expect(ran).toEqual(["after it", "after cancel"]);
  } finally {
    process.off("uncaughtException", onUncaught);
    client.destroy();
  }
});
