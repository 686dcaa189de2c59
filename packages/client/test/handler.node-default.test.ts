/**
 * The default Node HTTP handler (the SDK's own, on node:http and keep-alive agents) against a real loopback
 * server: connection reuse, the connect timeout, abort, header flattening, the query string, and that a
 * user-supplied handler (@smithy/node-http-handler's) still replaces it.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { NodeRequestHandler } from "../src/runtime/nodeHttpHandler";
import { ARN, TOKEN } from "./helpers/server";
import { fastRetries, rejectionOf } from "./helpers/resilience";

let server: http.Server;
let url: string;
let connections = 0;
const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
const closedEarly: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    req.resume();
    req.on("end", () => {
      if (req.headers["x-test"] === "hang") {
        res.on("close", () => closedEarly.push(req.url!));
        return; // never answers: the client aborts
      }
      res.writeHead(200, [
        ["content-type", "application/json"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
        ["X-Amzn-RequestId", "req-1"],
      ]);
      res.end(JSON.stringify({ ok: true }));
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
  connections = 0;
});

test("sequential calls share one keep-alive connection, and the body arrives whole", async () => {
  const client = new RuntimeClient({ endpoint: url, token: TOKEN });
  for (let i = 0; i < 20; i++) {
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { i } }));
    expect(out.json).toEqual({ ok: true });
  }
  client.destroy();
  expect(seen).toHaveLength(20);
  expect(connections).toBe(1);
});

test("repeated response headers are joined with ',' under lower-case names; the request id reaches $metadata", async () => {
  const handler = new NodeRequestHandler({ http, https });
  const client = new RuntimeClient({ endpoint: url, token: TOKEN, requestHandler: handler });
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  expect(out.$metadata.requestId).toBe("req-1");
  const { response } = await handler.handle({ protocol: "http:", hostname: "127.0.0.1", port: Number(new URL(url).port), method: "GET", path: "/x", query: {}, headers: {} } as never);
  expect(response.headers["set-cookie"]).toBe("a=1,b=2");
  expect(response.headers["x-amzn-requestid"]).toBe("req-1");
  (response.body as http.IncomingMessage).resume();
  client.destroy();
});

test("the query string is encoded as @smithy encodes it: sorted keys, RFC 3986 escapes, bare keys for null", async () => {
  const handler = new NodeRequestHandler({ http, https });
  const port = Number(new URL(url).port);
  const { response } = await handler.handle({
    protocol: "http:",
    hostname: "127.0.0.1",
    port,
    method: "GET",
    path: "/q",
    query: { qualifier: "DEFAULT", accountId: "123456789012", "a b": "x*y(z)!'", list: ["2", "1"], flag: null },
    headers: {},
  } as never);
  (response.body as http.IncomingMessage).resume();
  handler.destroy();
  expect(seen[0].url).toBe("/q?a%20b=x%2Ay%28z%29%21%27&accountId=123456789012&flag&list=2&list=1&qualifier=DEFAULT");
});

test("an abort destroys the request at once (the server sees the connection close)", async () => {
  const client = new RuntimeClient({ endpoint: url, token: TOKEN, maxAttempts: 1 });
  const controller = new AbortController();
  const pending = rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: { "x-test": "hang" } }), { abortSignal: controller.signal }));
  await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  expect(await pending).toMatchObject({ name: "AbortError" });
  const until = Date.now() + 5000;
  while (closedEarly.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(closedEarly).toHaveLength(1);
  client.destroy();
});

test("the connect timer runs only while a socket connects, maps to ConnectionTimeoutError and is retried", async () => {
  let sockets = 0;
  // node:http whose agents hand out sockets that never finish connecting (no network involved)
  class NeverConnecting extends http.Agent {
    override createConnection(): Duplex {
      sockets++;
      return Object.assign(new Duplex({ read() {}, write() {} }), { connecting: true }) as Duplex;
    }
  }
  const stalled = { ...http, Agent: NeverConnecting } as unknown as typeof http;
  const handler = new NodeRequestHandler({ http: stalled, https }, { connectionTimeout: 40 });
  const client = new RuntimeClient({ endpoint: url, token: TOKEN, requestHandler: handler, connectionTimeout: 40, retryStrategy: fastRetries() });
  const started = Date.now();
  const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, sessionId: "s".repeat(33) })));
  client.destroy();
  expect(error).toMatchObject({ name: "ConnectionTimeoutError", beforeResponse: true });
  expect(error.message).toContain("40 ms");
  expect(sockets).toBe(3);
  expect(Date.now() - started).toBeLessThan(5000);
});

test("a user-supplied @smithy/node-http-handler still replaces the default", async () => {
  const smithy = new NodeHttpHandler({});
  const client = new RuntimeClient({ endpoint: url, token: TOKEN, requestHandler: smithy as unknown as HttpHandler });
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { via: "smithy" } }));
  expect(out.json).toEqual({ ok: true });
  expect(seen[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  client.destroy();
});
