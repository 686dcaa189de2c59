// A Web route handler (Request → Response) streaming an agent's reply to the browser, as in Next.js
// (app/api/chat/route.js: `export { POST }`), Hono (`app.post("/api/chat", (c) => POST(c.req.raw))`) or an
// edge runtime. The runtime cancels the Response body when the browser goes away, which cancels the agent's stream.
//
//   AGENT_ARN=… AGENTCORE_TOKEN=… node examples/route-handler.mjs   (serves POST /api/chat on PORT, default 3000)
import http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";

const client = new RuntimeClient({ token: process.env.AGENTCORE_TOKEN });

export async function POST(request) {
  const { prompt, sessionId } = await request.json();
  try {
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: process.env.AGENT_ARN, sessionId, payload: { prompt } }), { abortSignal: request.signal });
    return stream.toSSEResponse();
  } catch (error) {
    return Response.json({ error: error.name, message: error.message }, { status: error.statusCode ?? 502 });
  }
}

// Only for running this file directly: what Next.js or Hono do for you, in a few lines of node:http.
async function serve(handler) {
  const server = http.createServer(async (req, res) => {
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : Readable.toWeb(req);
    const request = new Request(new URL(req.url ?? "/", "http://localhost"), { method: req.method, headers: req.headers, body, duplex: "half", signal: gone.signal });
    const response = req.method === "POST" && request.url.endsWith("/api/chat") ? await handler(request) : new Response("not found", { status: 404 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) await pipeline(Readable.fromWeb(response.body), res).catch(() => undefined);
    else res.end();
  });
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1", () => {
    const { address, port } = server.address();
    console.log(`listening on http://${address}:${port}`);
  });
  process.once("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    client.destroy();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await serve(POST);
