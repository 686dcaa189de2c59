/**
 * The request head the default Node handler writes now that it hands node:http a flat header list,
 * compared byte for byte with what node:http writes for the same request when the headers are given as an
 * object (the previous behaviour, and what @smithy/node-http-handler does), captured by raw TCP/TLS servers.
 */
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import tls from "node:tls";
import { NodeRequestHandler } from "../src/runtime/nodeHttpHandler";

type Req = {
  protocol?: string;
  hostname?: string;
  port?: number | string;
  method?: string;
  path?: string;
  headers?: Record<string, unknown>;
  body?: unknown;
};

/** A raw server capturing, per connection, the bytes of one request (head and framed body), answered with 200. */
function rawServer(host: string) {
  const heads: string[] = [];
  let bytes = 0;
  const server = net.createServer((socket) => {
    let text = "";
    let answered = false;
    socket.on("data", (chunk) => {
      bytes += chunk.length;
      text += chunk.toString("latin1");
      if (answered) return;
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = text.slice(0, end);
      const body = text.slice(end + 4);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      const done = length ? body.length >= Number(length[1]) : /\r\ntransfer-encoding: *chunked/i.test(head) ? body.endsWith("0\r\n\r\n") : true;
      if (!done) return;
      answered = true;
      heads.push(`${head}\r\n\r\n${body}`);
      socket.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    socket.on("error", () => {});
  });
  return {
    heads,
    get bytes() {
      return bytes;
    },
    get port() {
      return (server.address() as AddressInfo).port;
    },
    listen: () => new Promise<void>((r) => server.listen(0, host, r)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const v4 = rawServer("127.0.0.1");
beforeAll(() => v4.listen());
afterAll(() => v4.close());

const full = (server: ReturnType<typeof rawServer>, request: Req) => ({
  protocol: "http:",
  hostname: "127.0.0.1",
  port: server.port,
  method: "POST",
  path: "/p",
  query: {},
  headers: {},
  ...request,
});

/** What the SDK's default handler writes. */
async function viaHandler(request: Req, server = v4): Promise<string> {
  const before = server.heads.length;
  const handler = new NodeRequestHandler({ http, https });
  try {
    const { response } = await handler.handle(full(server, request) as never);
    await new Promise((r) => (response.body as http.IncomingMessage).resume().on("end", r));
  } finally {
    handler.destroy();
  }
  expect(server.heads.length).toBe(before + 1);
  return server.heads[before];
}

/** What node:http writes for the same request with the headers as an object (the previous handler's call). */
async function viaNode(request: Req, server = v4): Promise<string> {
  const r = full(server, request);
  const before = server.heads.length;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const hostname = r.hostname.startsWith("[") && r.hostname.endsWith("]") ? r.hostname.slice(1, -1) : r.hostname;
  try {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: hostname, port: r.port, method: r.method, path: r.path, headers: r.headers as http.OutgoingHttpHeaders, agent }, (res) => {
        res.resume().on("end", resolve);
      });
      req.on("error", reject);
      const body = r.body as { pipe?: (to: unknown) => void; length?: number } | undefined;
      if (body != null && typeof body.pipe === "function") body.pipe(req);
      else req.end(body == null || body.length === 0 ? undefined : (body as string));
    });
  } finally {
    agent.destroy();
  }
  expect(server.heads.length).toBe(before + 1);
  return server.heads[before];
}

/** The head's request line, its header lines sorted (the order of Node's own Connection and Content-Length lines differs), and the body. */
const shape = (raw: string) => {
  const [head, ...rest] = raw.split("\r\n\r\n");
  const [line, ...headers] = head.split("\r\n");
  return { line, headers: headers.sort(), body: rest.join("\r\n\r\n") };
};
const lines = (raw: string) => raw.split("\r\n\r\n")[0].split("\r\n").slice(1);

async function same(request: () => Req, server = v4) {
  const node = shape(await viaNode(request(), server));
  const sdk = shape(await viaHandler(request(), server));
  expect(sdk).toEqual(node);
  return sdk;
}

describe("where the flat list once differed from node:http's object path", () => {
  test("a lower-case bodiless method ('get', 'head', 'delete', 'options') gets no Content-Length: 0, as with Node", async () => {
    // node:http upper-cases the method before deciding it has no default body; BODILESS.has(request.method) does not
    const lengthLine = (raw: string) => lines(raw).filter((l) => /^content-length/i.test(l));
    const seen: Record<string, { node: string[]; sdk: string[] }> = {};
    for (const method of ["get", "head", "delete", "options"]) {
      seen[method] = { node: lengthLine(await viaNode({ method })), sdk: lengthLine(await viaHandler({ method })) };
    }
    expect(seen).toEqual({ get: { node: [], sdk: [] }, head: { node: [], sdk: [] }, delete: { node: [], sdk: [] }, options: { node: [], sdk: [] } });
  });

  test("an empty 'host' header is replaced with the real Host, as Node replaces it", async () => {
    // node:http adds Host when !getHeader('host'), so a falsy value ("") is replaced; the handler only checks the name
    const hostLine = (raw: string) => lines(raw).filter((l) => /^host:/i.test(l));
    const seen: Record<string, { node: string[]; sdk: string[] }> = {};
    for (const [label, value] of [["empty", ""], ["null", null], ["zero", 0]] as const) {
      const request = { headers: { host: value }, body: "x" };
      seen[label] = { node: hostLine(await viaNode(request)), sdk: hostLine(await viaHandler(request)) };
    }
    const real = [`Host: 127.0.0.1:${v4.port}`];
    expect(seen).toEqual({ empty: { node: real, sdk: real }, null: { node: real, sdk: real }, zero: { node: real, sdk: real } });
  });

  test("inherited enumerable header properties are not sent (node:http reads own keys only)", async () => {
    // for...in walks the prototype chain; node:http's object path uses Object.keys
    const sdk = await same(() => ({ headers: Object.assign(Object.create({ "x-inherited": "leak" }), { "x-own": "1" }), body: "x" }));
    expect(sdk.headers.some((l) => /^x-inherited/i.test(l))).toBe(false);
  });
});

test("a DELETE (or GET) with a body gets its Content-Length, which node:http leaves out", async () => {
  // HTTP/1.1 (RFC 9112 6.3): a request without either framing header has a body of length 0, so Node's "abc"
  // would read as the start of the next request on the connection
  const node = shape(await viaNode({ method: "DELETE", body: "abc" }));
  expect(node.headers.some((l) => /^(content-length|transfer-encoding)/i.test(l))).toBe(false);
  const sdk = shape(await viaHandler({ method: "DELETE", body: "abc" }));
  expect(sdk.body).toBe("abc");
  expect(sdk.headers).toContain("Content-Length: 3");
  expect(shape(await viaHandler({ method: "get", body: Buffer.from("ab") })).headers).toContain("Content-Length: 2");
  // and an empty one none, as Node
  expect(await same(() => ({ method: "DELETE", body: "" }))).toMatchObject({ body: "" });
  // also when the headers go to Node as an object (a Host of another name; two names differing only in case)
  const viaObject = shape(await viaHandler({ method: "DELETE", headers: { host: "a.example", "x-a": "1", "X-A": "2" }, body: "abc" }));
  expect(viaObject.headers).toContain("Content-Length: 3");
  expect(viaObject.body).toBe("abc");
});

test("a Host naming the request's own host (as a signed request's does) is sent as given, with or without its port", async () => {
  for (const host of [`127.0.0.1:${v4.port}`, "127.0.0.1"]) {
    const sdk = await same(() => ({ headers: { host, "x-a": "1" }, body: "x" }));
    expect(sdk.headers).toContain(`host: ${host}`);
    expect(sdk.headers.filter((l) => /^host:/i.test(l))).toHaveLength(1);
  }
});

describe("over https, a Host header set by the caller names the TLS server (SNI) and the certificate to verify, as with node:http", () => {
  // fixtures/tls: self-signed, subjectAltName IP:127.0.0.1, DNS:localhost
  const key = fs.readFileSync(path.join(__dirname, "fixtures/tls/key.pem"));
  const cert = fs.readFileSync(path.join(__dirname, "fixtures/tls/cert.pem"));
  let server: tls.Server;
  let port: number;
  const sni: (string | false | null)[] = [];
  beforeAll(async () => {
    server = tls.createServer({ key, cert }, (socket) => {
      sni.push(socket.servername);
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n\r\n")) socket.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
      });
      socket.on("error", () => {});
    });
    // 127.0.0.2 (loopback on Linux) is not in the certificate; "localhost" is
    await new Promise<void>((r) => server.listen(0, "127.0.0.2", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  // node:https whose agents trust the test certificate, as NODE_EXTRA_CA_CERTS would
  class TrustingAgent extends https.Agent {
    constructor(options: https.AgentOptions) {
      super({ ...options, ca: cert });
    }
  }
  const trusting = { ...https, Agent: TrustingAgent } as unknown as typeof https;
  const request = { protocol: "https:", hostname: "127.0.0.2", method: "POST", path: "/", query: {}, headers: { host: "localhost", "x-a": "1" }, body: "x" };

  test("node:http (headers as an object) sends SNI 'localhost' from the Host header and verifies the certificate for it", async () => {
    sni.length = 0;
    const agent = new TrustingAgent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = https.request({ host: "127.0.0.2", port, method: "POST", path: "/", headers: request.headers, agent }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end("x");
    });
    agent.destroy();
    expect(status).toBe(200);
    expect(sni).toEqual(["localhost"]);
  });

  test("the SDK handler does the same", async () => {
    sni.length = 0;
    const handler = new NodeRequestHandler({ http, https: trusting });
    try {
      const { response } = await handler.handle({ ...request, port } as never);
      (response.body as http.IncomingMessage).resume();
      expect(response.statusCode).toBe(200);
      expect(sni).toEqual(["localhost"]);
    } finally {
      handler.destroy();
    }
  });
});

describe("tricky cases the flat list gets right (same head as node:http's object path)", () => {
  test("header values that are numbers, arrays, cookies, empty strings and latin1 text", async () => {
    const sdk = await same(() => ({ headers: { "x-num": 5, "x-list": ["a", "b"], cookie: ["c=1", "d=2"], "x-empty": "", "x-latin1": "caf\u00e9" }, body: Buffer.from("b") }));
    expect(sdk.headers).toEqual(expect.arrayContaining(["x-num: 5", "x-list: a", "x-list: b", "cookie: c=1; d=2", "x-empty: ", "x-latin1: caf\u00e9"]));
    // with a string body Node writes head and body as one UTF-8 string: the same (odd) bytes either way
    await same(() => ({ headers: { "x-latin1": "caf\u00e9" }, body: "b" }));
  });

  test("bodies: Buffer, offset Uint8Array subarray, multibyte string, empty string, stream, none", async () => {
    const backing = Buffer.from("0123456789");
    await same(() => ({ body: Buffer.from("abc") }));
    const sub = await same(() => ({ body: new Uint8Array(backing.buffer, backing.byteOffset + 3, 4) }));
    expect(sub.body).toBe("3456");
    expect(sub.headers).toContain("Content-Length: 4");
    expect((await same(() => ({ body: "h\u00e9\u20ac\u{1f600}" }))).headers).toContain("Content-Length: 10");
    expect((await same(() => ({ body: "" }))).headers).toContain("Content-Length: 0");
    expect((await same(() => ({ body: Readable.from([Buffer.from("ab"), Buffer.from("c")]) }))).headers).toContain("Transfer-Encoding: chunked");
    await same(() => ({}));
    await same(() => ({ method: "post", body: "x" }));
    await same(() => ({ method: "GET" }));
  });

  test("caller-set host, content-length, transfer-encoding, connection in either case", async () => {
    await same(() => ({ headers: { host: "a.example" }, body: "x" }));
    await same(() => ({ headers: { HOST: "a.example:99" }, body: "x" }));
    await same(() => ({ headers: { "content-length": "1" }, body: "x" }));
    await same(() => ({ headers: { "Content-Length": 1 }, body: "x" }));
    await same(() => ({ headers: { "transfer-encoding": "chunked" }, body: "xy" }));
    await same(() => ({ headers: { Connection: "close" }, body: "x" }));
    await same(() => ({ headers: { "x-a": "1", "X-A": "2" }, body: "x" }));
  });

  test("ports as strings or numbers", async () => {
    await same(() => ({ port: String(v4.port), body: "x" }));
  });

  test("Expect: 100-continue: the handler sends Content-Length where node:http (headers stored early) sends chunked — both valid", async () => {
    const node = shape(await viaNode({ headers: { expect: "100-continue" }, body: "xyz" }));
    const sdk = shape(await viaHandler({ headers: { expect: "100-continue" }, body: "xyz" }));
    expect(node.headers).toContain("Transfer-Encoding: chunked");
    expect(sdk.headers).toContain("Content-Length: 3");
    expect(sdk.body).toBe("xyz");
  });

  test("CR/LF in a value, in an array value or in the hostname, undefined values, and unsendable bodies are refused before a byte is sent", async () => {
    const handler = new NodeRequestHandler({ http, https });
    const before = v4.bytes;
    const send = (request: Req) => handler.handle(full(v4, request) as never);
    await expect(send({ headers: { a: "x\r\nInjected: 1" } })).rejects.toMatchObject({ code: "ERR_INVALID_CHAR" });
    await expect(send({ headers: { a: ["ok", "x\nInjected: 1"] } })).rejects.toMatchObject({ code: "ERR_INVALID_CHAR" });
    await expect(send({ headers: { a: 5, b: "x\rInjected: 1" } })).rejects.toMatchObject({ code: "ERR_INVALID_CHAR" });
    await expect(send({ headers: { a: "euro \u20ac" } })).rejects.toMatchObject({ code: "ERR_INVALID_CHAR" });
    await expect(send({ hostname: "127.0.0.1\r\nInjected: 1" })).rejects.toBeDefined();
    await expect(send({ headers: { a: undefined } })).rejects.toMatchObject({ code: "ERR_HTTP_INVALID_HEADER_VALUE" });
    await expect(send({ body: new ArrayBuffer(2) })).rejects.toMatchObject({ code: "ERR_INVALID_ARG_TYPE" });
    await expect(send({ body: new DataView(new ArrayBuffer(2)) })).rejects.toMatchObject({ code: "ERR_INVALID_ARG_TYPE" });
    await expect(send({ body: new Uint16Array(2) })).rejects.toMatchObject({ code: "ERR_INVALID_ARG_TYPE" });
    await new Promise((r) => setTimeout(r, 50));
    handler.destroy();
    expect(v4.bytes).toBe(before);
  });
});
