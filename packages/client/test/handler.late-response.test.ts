import http from "node:http";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN } from "./helpers/server";

/**
 * A user's HTTP handler that ignores `abortSignal` may answer after the call has given up on it (timeout, abort,
 * deadline). Nobody will read that response: its body is cancelled when it arrives, so its connection is freed
 * instead of left open with a server still writing into it.
 */

/** A handler over node:http that never looks at the abort signal it is given. */
function deafHandler(agent: http.Agent) {
  return {
    handle(request: { hostname: string; port?: number; method: string; path: string; headers: Record<string, string>; body?: Uint8Array }) {
      return new Promise((resolve, reject) => {
        const req = http.request({ host: request.hostname, port: request.port, method: request.method, path: request.path, headers: request.headers, agent }, (res) =>
          resolve({ response: { statusCode: res.statusCode, headers: res.headers, body: res } }),
        );
        req.on("error", reject);
        req.end(request.body);
      });
    },
  };
}

test("a response that arrives after requestTimeout is cancelled when it arrives: the server sees its connection close", async () => {
  let headersSent!: () => void;
  const sent = new Promise<void>((r) => (headersSent = r));
  let responseClosed!: () => void;
  const closed = new Promise<void>((r) => (responseClosed = r));
  const server = await startServer((_req, res) => {
    setTimeout(() => {
      // headers well after the client's requestTimeout, then a body that never ends
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
      headersSent();
      const tick = setInterval(() => res.write(" "), 20);
      res.on("close", () => {
        clearInterval(tick);
        responseClosed();
      });
    }, 300);
  });
  const agent = new http.Agent({ keepAlive: true });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, requestTimeout: 100, requestHandler: deafHandler(agent) as never });
  try {
    const started = Date.now();
    const error = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })).catch((e) => e);
    expect(error.name).toBe("RequestTimeoutError");
    expect(Date.now() - started).toBeLessThan(290);
    await sent;
    // the late body is cancelled as soon as the deaf handler hands it over
    const left = new Promise((_, reject) => setTimeout(() => reject(new Error("the late response was left open")), 2000));
    await Promise.race([closed, left]);
  } finally {
    client.destroy();
    agent.destroy();
    await server.close();
  }
});

test("a late web ReadableStream body is cancelled too, and a late answer without a body is simply dropped", async () => {
  const cancelled: unknown[] = [];
  let answers = 0;
  const handler = {
    handle: (_request: unknown, { abortSignal }: { abortSignal?: AbortSignal }) =>
      new Promise((resolve) =>
        setTimeout(() => {
          answers++;
          expect(abortSignal?.aborted).toBe(true); // it was aborted; this handler answers anyway
          const body =
            answers === 1
              ? new ReadableStream({
                  pull: (c) => c.enqueue(new Uint8Array([1])),
                  cancel: (reason) => void cancelled.push(reason),
                })
              : undefined;
          resolve({ response: { statusCode: 200, headers: {}, body } });
        }, 150),
      ),
  };
  const client = new RuntimeClient({ endpoint: "http://127.0.0.1:9", token: TOKEN, maxAttempts: 1, requestHandler: handler as never });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      const error = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }), { abortSignal: controller.signal }).catch((e) => e);
      expect(error.name).toBe("AbortError");
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(answers).toBe(2);
    expect(cancelled).toHaveLength(1);
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    client.destroy();
  }
});
