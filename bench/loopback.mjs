// The loopback setup bench/ab.mjs (AB_MODE=loopback) and bench/alloc.mjs share: a keep-alive server in this
// process answering every request with the same small JSON reply, one client per build of the package, and raw
// node:http replaying the request the first build sends (same headers and body). Every side returns the
// number of body bytes it read, so a caller can check that each read the whole reply.
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_agent-abcdefghij";
export const payload = { prompt: "Summarise the last three build logs in one short sentence, please.", n: 1 };
export const reply = Buffer.from(JSON.stringify({ result: "ok", message: "Hello from the loopback agent", tokens: 12 }));

/** Imports each build's `index.mjs` (a dist folder); the same folder twice would be one module instance. */
export async function importBuilds(dirs) {
  if (new Set(dirs.map((dir) => path.resolve(dir))).size !== dirs.length) {
    console.error("each build must be a folder of its own: copy a build to compare it with itself");
    process.exit(2);
  }
  return Promise.all(dirs.map((dir) => import(pathToFileURL(path.resolve(dir, "index.mjs")).href)));
}

/** `[name, call]` sides: raw node:http first, then one per build; `close()` frees the clients and the server. */
export async function loopbackSides(dirs, builds) {
  let captured;
  const server = http.createServer((req, res) => {
    captured ??= { ...req.headers };
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": reply.length }).end(reply));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const clients = builds.map((m) => new m.RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: "bench-token" }));
  const sides = builds.map((m, i) => [dirs[i], async () => (await clients[i].send(new m.InvokeCommand({ runtimeArn: ARN, payload }))).body.length]);
  await sides[0][1]();
  const headers = { ...captured };
  for (const name of ["host", "connection"]) delete headers[name];
  const body = new TextEncoder().encode(JSON.stringify(payload));
  const agent = new http.Agent({ keepAlive: true });
  const raw = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/raw", agent, headers }, (res) => {
        let bytes = 0;
        res.on("data", (chunk) => (bytes += chunk.length));
        res.on("end", () => resolve(bytes));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  const close = () => {
    for (const client of clients) client.destroy();
    agent.destroy();
    server.closeAllConnections();
    server.close();
  };
  return { sides: [["raw node:http", raw], ...sides], close };
}
