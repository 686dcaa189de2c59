// A Node service that streams an agent's reply on to browsers as server-sent events. The bearer token stays on
// the server; the browser reads the stream with `readSSE(await fetch("/chat?prompt=…"))` (or EventSource).
//
//   AGENT_ARN=… AGENTCORE_TOKEN=… node examples/proxy-node.mjs      (PORT, default 3000; HOST, default 127.0.0.1)
//
// With Express the handler is the same: app.get("/chat", (req, res) => chat(req, res)).
import http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";

/** The request handler: GET /chat?prompt=…&session=… → text/event-stream. */
export function createChatHandler({ client, runtimeArn }) {
  return async function chat(req, res) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/chat") {
      res.writeHead(404).end();
      return;
    }
    // the browser going away aborts the call (and, once streaming, the pipeline below cancels the agent's body)
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    let stream;
    try {
      ({ stream } = await client.send(
        new InvokeStreamCommand({ runtimeArn, sessionId: url.searchParams.get("session") ?? undefined, payload: { prompt: url.searchParams.get("prompt") ?? "" } }),
        { abortSignal: gone.signal },
      ));
    } catch (error) {
      if (!res.headersSent && !res.destroyed) res.writeHead(error.statusCode ?? 502, { "content-type": "application/json" }).end(JSON.stringify({ error: error.name, message: error.message }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    // errors in the agent's stream arrive in it as `event: error`; a closed response cancels the upstream stream
    await pipeline(Readable.fromWeb(stream.toSSEStream()), res).catch(() => undefined);
  };
}

async function main() {
  const client = new RuntimeClient({ token: process.env.AGENTCORE_TOKEN });
  const server = http.createServer(createChatHandler({ client, runtimeArn: process.env.AGENT_ARN }));
  const port = Number(process.env.PORT ?? 3000);
  server.listen(port, process.env.HOST ?? "127.0.0.1", () => {
    const { address, port } = server.address();
    console.log(`listening on http://${address}:${port}`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections();
    client.destroy();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
