/**
 * The fetch-based path (browsers, Deno, Workers, or Node with a FetchHttpHandler) at edges a review found, each
 * against a purpose-built server on 127.0.0.1 (Node's own fetch underneath, not a mock): a handler's own timeout
 * left its request running (the response held a connection nobody read, and the error was an untyped
 * NetworkError); `readSSE` ended on the signal's raw reason instead of the typed errors `send()` gives; and
 * `connectWebSocket` waited for a slow token provider past its abort signal.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { AbortError, connectWebSocket, DeadlineExceededError, InvokeCommand, readSSE, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";
import { runNodeScript } from "./helpers/child";
import { ARN, SESSION, TOKEN } from "./helpers/server";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SlowServer {
  url: string;
  /** When each response's connection closed (ms after its request arrived), or undefined while open. */
  closedAfter: (number | undefined)[];
  close(): Promise<void>;
}

/** Sends SSE headers after `headersAfterMs`, then an event every 50 ms for `streamMs`. */
async function slowServer(headersAfterMs: number, streamMs: number): Promise<SlowServer> {
  const closedAfter: (number | undefined)[] = [];
  const server = http.createServer(async (req, res) => {
    const index = closedAfter.push(undefined) - 1;
    const arrived = Date.now();
    res.on("close", () => (closedAfter[index] = Date.now() - arrived));
    req.resume();
    await sleep(headersAfterMs);
    if (res.destroyed) return;
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let elapsed = 0; elapsed < streamMs && !res.destroyed; elapsed += 50) {
      res.write(`data: "tick"\n\n`);
      await sleep(50);
    }
    if (!res.destroyed) res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closedAfter,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test("(was a defect) a FetchHttpHandler's own requestTimeout ends the request it left running (its connection held for a response nobody reads), as a RequestTimeoutError", async () => {
  // in a child process: one realm, as in an application (under jest, fetch does not see an AbortSignal made in
  // the test's own realm abort)
  const server = await slowServer(300, 3000);
  try {
    const child = await runNodeScript(`
      const { FetchHttpHandler } = require("@smithy/fetch-http-handler");
      const { InvokeStreamCommand, RuntimeClient } = require("@agentcore-runtime/client");
      const client = new RuntimeClient({ endpoint: ${JSON.stringify(server.url)}, token: ${JSON.stringify(TOKEN)}, maxAttempts: 1, requestHandler: new FetchHttpHandler({ requestTimeout: 100 }) });
      client.send(new InvokeStreamCommand({ runtimeArn: ${JSON.stringify(ARN)}, sessionId: ${JSON.stringify(SESSION)}, payload: {} })).then(
        () => console.log("resolved"),
        (e) => console.log(e.name + ": " + e.message),
      ).finally(() => setTimeout(() => client.destroy(), 2500));
    `);
    expect(child.stdout).toMatch(/^RequestTimeoutError: No response within the HTTP handler's own timeout/);
    // the request was ended at the handler's timeout (before the server's headers), not left open for 3 s
    expect(server.closedAfter[0]).toBeDefined();
    expect(server.closedAfter[0]!).toBeLessThan(1500);
  } finally {
    await server.close();
  }
});

describe("(was a defect) readSSE ends on the caller's signal with the typed errors send() gives", () => {
  test("AbortSignal.timeout() → DeadlineExceededError; controller.abort() → AbortError", async () => {
    const server = await slowServer(0, 3000);
    try {
      for (const [make, Class] of [
        [() => AbortSignal.timeout(150), DeadlineExceededError],
        [
          () => {
            const controller = new AbortController();
            setTimeout(() => controller.abort(), 150);
            return controller.signal;
          },
          AbortError,
        ],
      ] as const) {
        const response = await fetch(server.url);
        let error: unknown;
        let events = 0;
        try {
          for await (const _ of readSSE(response, { signal: make() })) events++;
        } catch (e) {
          error = e;
        }
        expect(events).toBeGreaterThan(0);
        expect(error).toBeInstanceOf(Class);
      }
    } finally {
      await server.close();
    }
  });
});

test("(was a defect) connectWebSocket with a slow token provider ends at once when its signal aborts (it waited for the provider)", async () => {
  let asked = 0;
  const client = new RuntimeClient({
    endpoint: "http://127.0.0.1:9",
    token: async () => {
      asked++;
      await sleep(3000);
      return TOKEN;
    },
  });
  try {
    const started = Date.now();
    const error = await connectWebSocket(client, { runtimeArn: ARN, sessionId: SESSION }, { signal: AbortSignal.timeout(100) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(asked).toBe(1);
    // the same for a ready-made connection given as a function that is slow to answer
    const slowConnection = async () => {
      await sleep(3000);
      return { url: "ws://127.0.0.1:9/x", headers: {}, protocols: [], sessionId: SESSION };
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const second = Date.now();
    await expect(connectWebSocket(client, { runtimeArn: ARN }, { signal: controller.signal, connection: slowConnection })).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - second).toBeLessThan(1500);
  } finally {
    client.destroy();
  }
});

test("(was a defect) a 204 through FetchHttpHandler (which hands over a Blob when fetch has no body stream) is a successful, empty output (it was an InvalidResponseError)", async () => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(204, { "x-amzn-requestid": "rid-204" });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = new RuntimeClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN, requestHandler: new FetchHttpHandler() });
  try {
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    expect([out.statusCode, out.body.length, out.text, out.$metadata.requestId]).toEqual([204, 0, "", "rid-204"]);
    const stopped = await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION }));
    expect(stopped.statusCode).toBe(204);
  } finally {
    client.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("(was a defect) NodeHttpHandler's own requestTimeout (throwOnRequestTimeout: code ETIMEDOUT) is a RequestTimeoutError, and an invoke is not sent again (it was retried as a reset connection: 3 requests)", async () => {
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  const server = await slowServer(400, 200);
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, requestHandler: new NodeHttpHandler({ requestTimeout: 100, throwOnRequestTimeout: true } as never) });
  try {
    const error = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("RequestTimeoutError");
    expect((error as { retryable?: boolean }).retryable).toBe(false);
    expect(server.closedAfter).toHaveLength(1);
  } finally {
    client.destroy();
    await server.close();
  }
});
