/**
 * The default Node HTTP handler (the SDK's own, on node:http and keep-alive agents) against a real loopback
 * server: connection reuse, the connect timeout, abort, header flattening, the query string, and that a
 * user-supplied handler (@smithy/node-http-handler's) still replaces it.
 */
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { Duplex, Readable } from "node:stream";
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

describe("the request head: each header once as given, then Host and Content-Length as Node adds them", () => {
  // a plain TCP server: the bytes of each request head as they arrive, answered with an empty 200
  let tcp: net.Server;
  let port: number;
  const heads: string[] = [];
  beforeAll(async () => {
    tcp = net.createServer((socket) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        // one request per connection here: answer once the head and a sized (or chunked) body have arrived
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = text.slice(0, end);
        const body = text.slice(end + 4);
        const length = /\r\ncontent-length: (\d+)/i.exec(head);
        const done = length ? body.length >= Number(length[1]) : /\r\ntransfer-encoding: chunked/i.test(head) ? body.endsWith("0\r\n\r\n") : true;
        if (!done) return;
        heads.push(`${head}\r\n\r\n${body}`);
        socket.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      });
    });
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    port = (tcp.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => tcp.close(() => r())));
  beforeEach(() => {
    heads.length = 0;
  });
  const send = async (request: Record<string, unknown>) => {
    heads.length = 0;
    const handler = new NodeRequestHandler({ http, https });
    const { response } = await handler.handle({ protocol: "http:", hostname: "127.0.0.1", port, method: "POST", path: "/p", query: {}, headers: {}, ...request } as never);
    (response.body as http.IncomingMessage).resume();
    handler.destroy();
    expect(heads).toHaveLength(1);
    return heads[0];
  };
  const lines = (head: string) => head.split("\r\n\r\n")[0].split("\r\n").slice(1);

  test("names keep their case, each once, then host with the port and the body's length", async () => {
    const head = await send({ headers: { "Content-Type": "application/json", "amz-sdk-request": "attempt=1; max=3" }, body: new TextEncoder().encode('{"a":1}') });
    expect(head.split("\r\n")[0]).toBe("POST /p HTTP/1.1");
    expect(lines(head)).toEqual(["Content-Type: application/json", "amz-sdk-request: attempt=1; max=3", `Host: 127.0.0.1:${port}`, "Content-Length: 7", "Connection: keep-alive"]);
    expect(head.endsWith('\r\n\r\n{"a":1}')).toBe(true);
  });

  test("a string body is counted in UTF-8 bytes; no body is a content-length of 0; a given host or length is kept", async () => {
    expect(lines(await send({ body: "é€" }))).toContain("Content-Length: 5");
    expect(lines(await send({}))).toContain("Content-Length: 0");
    const given = lines(await send({ headers: { Host: "agent.example", "Content-Length": "2" }, body: "hi" }));
    expect(given.filter((line) => /^(host|content-length):/i.test(line))).toEqual(["Host: agent.example", "Content-Length: 2"]);
  });

  test("a GET has no length, a stream body goes chunked, and a default port is left out of host", async () => {
    expect(lines(await send({ method: "GET" })).some((line) => /^content-length/i.test(line))).toBe(false);
    const streamed = await send({ body: Readable.from([Buffer.from("ab"), Buffer.from("c")]) });
    expect(lines(streamed)).toContain("Transfer-Encoding: chunked");
    expect(streamed.endsWith("\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n")).toBe(true);
    // a default port is not written (the options node:http is given, read before anything connects)
    let given: unknown;
    const capture = { ...http, request: (options: http.RequestOptions) => { given = options.headers; throw new Error("captured"); } } as unknown as typeof http;
    const handler = new NodeRequestHandler({ http: capture, https });
    await expect(handler.handle({ protocol: "http:", hostname: "::1", port: 80, method: "POST", path: "/", query: {}, headers: {} } as never)).rejects.toThrow("captured");
    expect(given).toEqual(["Host", "[::1]", "Content-Length", "0"]);
  });

  test("two names that differ only in case go through Node's setHeader, which sends the last once", async () => {
    const head = await send({ headers: { "X-Test": "first", "x-test": "second" }, body: "x" });
    expect(lines(head).filter((line) => /^x-test:/i.test(line))).toEqual(["x-test: second"]);
  });

  test("header names and values are still validated before anything is sent", async () => {
    const handler = new NodeRequestHandler({ http, https });
    const request = (headers: Record<string, string>) => ({ protocol: "http:", hostname: "127.0.0.1", port, method: "POST", path: "/", query: {}, headers, body: "x" }) as never;
    await expect(handler.handle(request({ "bad name": "x" }))).rejects.toMatchObject({ code: "ERR_INVALID_HTTP_TOKEN" });
    await expect(handler.handle(request({ ok: "line\r\nbreak" }))).rejects.toMatchObject({ code: "ERR_INVALID_CHAR" });
    handler.destroy();
    expect(heads).toHaveLength(0);
  });
});
