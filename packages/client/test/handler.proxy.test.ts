/**
 * Behind an HTTP(S) proxy, as the README says to set it up: the default handler does not read HTTPS_PROXY (neither
 * does the AWS SDK's), so the proxy goes in through a `requestHandler` of smithy's with a proxy agent. A real
 * CONNECT proxy and an HTTPS runtime on 127.0.0.1: every operation and a stream go through the tunnel.
 */
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { HttpsProxyAgent } from "https-proxy-agent";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { lastJsonLine, runNodeScript } from "./helpers/child";
import { ARN, SESSION, TOKEN } from "./helpers/server";

const CERT_PATH = path.join(__dirname, "fixtures/tls/cert.pem");
const CERT = fs.readFileSync(CERT_PATH);
const KEY = fs.readFileSync(path.join(__dirname, "fixtures/tls/key.pem"));

let runtime: https.Server;
let proxy: http.Server;
const tunnels: string[] = [];
/** The tunnels' sockets: a CONNECT's socket leaves the server's connection tracking (closeAllConnections). */
const tunnelSockets = new Set<net.Socket>();
const seen: string[] = [];
let runtimePort = 0;
let proxyPort = 0;

beforeAll(async () => {
  runtime = https.createServer({ key: KEY, cert: CERT }, (req, res) => {
    seen.push(`${req.method} ${req.url!.split("?")[0]} ${req.headers.authorization}`);
    req.resume();
    req.on("end", () => {
      if (req.url!.includes("/stopruntimesession")) return void res.writeHead(200, { "content-type": "application/json" }).end("{}");
      if (req.headers.accept === "text/event-stream") return void res.writeHead(200, { "content-type": "text/event-stream" }).end("data: one\n\ndata: two\n\n");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => runtime.listen(0, "127.0.0.1", r));
  runtimePort = (runtime.address() as net.AddressInfo).port;
  // a forward proxy: CONNECT host:port opens a tunnel (the runtime's TLS goes through it end to end)
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on("connect", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    tunnels.push(req.url!);
    tunnelSockets.add(socket);
    socket.on("close", () => tunnelSockets.delete(socket));
    const [host, port] = req.url!.split(":");
    const upstream = net.connect(Number(port), host, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    tunnelSockets.add(upstream);
    upstream.on("close", () => tunnelSockets.delete(upstream));
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyPort = (proxy.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of tunnelSockets) socket.destroy();
  runtime.closeAllConnections();
  proxy.closeAllConnections();
  await Promise.all([new Promise((r) => runtime.close(r)), new Promise((r) => proxy.close(r))]);

});

test("invoke, a stream and stop go through the proxy's tunnel, the private CA trusted by NODE_EXTRA_CA_CERTS", async () => {
  // in a fresh node with the built package, as an application would run it (the README's setup, word for word)
  const script = `
    const { NodeHttpHandler } = require("@smithy/node-http-handler");
    const { HttpsProxyAgent } = require("https-proxy-agent");
    const { InvokeCommand, InvokeStreamCommand, RuntimeClient, StopSessionCommand } = require("@agentcore-runtime/client");
    (async () => {
      const client = new RuntimeClient({
        endpoint: "https://127.0.0.1:${runtimePort}",
        token: ${JSON.stringify(TOKEN)},
        requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsProxyAgent(process.env.HTTPS_PROXY) }),
      });
      const out = await client.send(new InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, sessionId: ${JSON.stringify(SESSION)}, payload: { q: 1 } }));
      const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: ${JSON.stringify(ARN)}, sessionId: ${JSON.stringify(SESSION)}, payload: { q: 2 }, accept: "text/event-stream" }));
      const data = [];
      for await (const event of stream) data.push(event.data);
      await client.send(new StopSessionCommand({ runtimeArn: ${JSON.stringify(ARN)}, sessionId: ${JSON.stringify(SESSION)} }));
      client.destroy();
      console.log(JSON.stringify({ json: out.json, data }));
    })().catch((e) => console.log(JSON.stringify({ error: e.name + ": " + e.message })));
  `;
  const { status, stdout, stderr } = await runNodeScript(script, { env: { NODE_EXTRA_CA_CERTS: CERT_PATH, HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` } });
  expect([status, stderr.trim()]).toEqual([0, ""]);
  expect(lastJsonLine(stdout)).toEqual({ json: { ok: true }, data: ["one", "two"] });
  expect(tunnels.length).toBeGreaterThan(0);
  expect(new Set(tunnels)).toEqual(new Set([`127.0.0.1:${runtimePort}`]));
  expect(seen.map((s) => s.split(" ").slice(0, 2).join(" ").replace(/\/runtimes\/[^/]+/, ""))).toEqual(["POST /invocations", "POST /invocations", "POST /stopruntimesession"]);
  expect(seen.every((s) => s.endsWith(`Bearer ${TOKEN}`))).toBe(true);
});

test("an untrusted certificate behind the proxy is still refused (the tunnel does not weaken verification)", async () => {
  const httpsAgent = new HttpsProxyAgent(`http://127.0.0.1:${proxyPort}`);
  const client = new RuntimeClient({ endpoint: `https://127.0.0.1:${runtimePort}`, token: TOKEN, maxAttempts: 1, requestHandler: new NodeHttpHandler({ httpsAgent }) });
  const before = seen.length;
  try {
    const error = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })).catch((e) => e);
    expect(error.name).toBe("NetworkError");
    expect(error.message).toMatch(/self[- ]signed|certificate/i);
    expect(seen.length).toBe(before);
  } finally {
    client.destroy();
    httpsAgent.destroy();
  }
});
