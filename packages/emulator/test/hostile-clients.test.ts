import http from "node:http";
import net from "node:net";
import { InvokeStreamCommand, RuntimeClient, ThrottlingException } from "@agentcore-runtime/client";
import WebSocket from "ws";
import { DEFAULT_MAX_CONCURRENT_BODIES } from "../src/server";
import { SESSION, errorName, sessionId, start, type Harness } from "./helpers";

// Hostile clients against a started emulator over 127.0.0.1: raw sockets, node:http, ws and the SDK client.

jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portOf(h: Harness): number {
  return Number(new URL(h.emu.url).port);
}

function opPath(h: Harness, op: string): string {
  return `/runtimes/${encodeURIComponent(h.emu.runtimeArn)}/${op}`;
}

interface RawResult {
  text: string;
  /** The server closed the connection before waitMs. */
  closed: boolean;
  ms: number;
}

/** Writes `chunks` on a fresh socket and collects what comes back until the server closes it or waitMs passes. */
function rawExchange(port: number, chunks: string | string[], opts: { waitMs?: number; halfClose?: boolean } = {}): Promise<RawResult> {
  const waitMs = opts.waitMs ?? 3000;
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const started = Date.now();
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: got.toString("latin1"), closed: false, ms: Date.now() - started });
    }, waitMs);
    socket.on("data", (d: Buffer) => (got = Buffer.concat([got, d])));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text: got.toString("latin1"), closed: true, ms: Date.now() - started });
    });
    socket.on("connect", () => {
      for (const c of ([] as string[]).concat(chunks)) socket.write(c);
      if (opts.halfClose) socket.end();
    });
  });
}

/** Opens a socket, sends `data`, keeps it open (paused); the caller destroys it. */
function holdOpen(port: number, data: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(data);
      resolve(socket);
    });
    socket.on("error", () => undefined);
  });
}

function head(status: string): { status: number; headers: Record<string, string>; body: string } {
  const [top, ...rest] = status.split("\r\n\r\n");
  const lines = top.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(lines[0].split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
}

/** One SSE invocation over node:http that is kept open; resolves with its status once the head arrives. */
function openStream(
  h: Harness,
  agent: http.Agent,
  sid: string,
  held: http.IncomingMessage[],
  body: object = { prompt: "a b c d e f", delayMs: 60_000 },
): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: portOf(h),
        method: "POST",
        path: opPath(h, "invocations"),
        agent,
        headers: { Authorization: `Bearer ${h.token}`, Accept: "text/event-stream", "Content-Type": "application/json", [SESSION]: sid },
      },
      (res) => {
        held.push(res);
        res.on("error", () => undefined);
        if (res.statusCode !== 200) res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(-1));
    req.end(JSON.stringify(body));
  });
}

function wsUpgrade(path: string, token: string, extra = ""): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

describe("body slots (each test here failed before its fix)", () => {
  it("a client that resets its connection right after sending a request head does not leak a body slot (default settings)", async () => {
    const h = await start();
    try {
      const port = portOf(h);
      const partial = `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 100\r\n\r\n{"pr`;
      await Promise.all(
        Array.from(
          { length: DEFAULT_MAX_CONCURRENT_BODIES },
          () =>
            new Promise<void>((resolve) => {
              const s = net.connect(port, "127.0.0.1", () => {
                s.write(partial);
                s.resetAndDestroy();
              });
              s.on("error", () => undefined);
              s.on("close", () => resolve());
            }),
        ),
      );
      await sleep(300);
      // Nothing is running: an unknown session's stop is 404, never "too many bodies in memory".
      const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sessionId("rst") } });
      expect(errorName(stop)).toBe("ResourceNotFoundException");
      expect(stop.status).toBe(404);
      const invoke = await h.post("invocations", { body: { prompt: "still here" } });
      expect(invoke.status).toBe(200);
    } finally {
      await h.emu.close();
    }
  });

  it("malformed chunked bodies (bad chunk size) do not leak body slots: afterwards stop still answers (default settings)", async () => {
    const h = await start();
    try {
      const bad =
        `POST ${opPath(h, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`;
      for (let i = 0; i < DEFAULT_MAX_CONCURRENT_BODIES; i++) expect((await rawExchange(portOf(h), bad)).closed).toBe(true);
      await sleep(300);
      const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sessionId("chunk") } });
      expect([stop.status, errorName(stop)]).toEqual([404, "ResourceNotFoundException"]);
    } finally {
      await h.emu.close();
    }
  });

  it("close() is prompt after clients reset mid-request (no handler left waiting for a body that never comes)", async () => {
    const h = await start();
    const port = portOf(h);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          s.write(`POST ${opPath(h, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 100\r\n\r\n{"co`);
          s.resetAndDestroy();
        });
        s.on("error", () => undefined);
        s.on("close", () => resolve());
      });
    }
    await sleep(300);
    const t = Date.now();
    await h.emu.close();
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it("more concurrent invocation streams than maxConcurrentBodies work with default settings", async () => {
    const h = await start();
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const held: http.IncomingMessage[] = [];
    try {
      const n = DEFAULT_MAX_CONCURRENT_BODIES + 8;
      const statuses: number[] = [];
      // one at a time, each held open: tiny bodies, long streams
      for (let i = 0; i < n; i++) statuses.push(await openStream(h, agent, sessionId(`many${i}`), held));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    } finally {
      for (const r of held) r.destroy();
      agent.destroy();
      await h.emu.close();
    }
  });

  it("StopRuntimeSession still works while maxConcurrentBodies streams are open (stopping is how a stream is ended)", async () => {
    const h = await start();
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const held: http.IncomingMessage[] = [];
    try {
      const sids = Array.from({ length: DEFAULT_MAX_CONCURRENT_BODIES }, (_, i) => sessionId(`full${i}`));
      for (const sid of sids) expect(await openStream(h, agent, sid, held)).toBe(200);
      const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sids[0] } });
      expect([stop.status, errorName(stop)]).toEqual([200, undefined]);
    } finally {
      for (const r of held) r.destroy();
      agent.destroy();
      await h.emu.close();
    }
  });

  it("the SDK client: 40 concurrent InvokeStream calls against a default emulator are not throttled", async () => {
    const h = await start();
    const client = new RuntimeClient({ endpoint: h.emu.url, token: h.token, maxAttempts: 1 });
    const streams: { stream: AsyncIterable<unknown> }[] = [];
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client
            .send(new InvokeStreamCommand({ runtimeArn: h.emu.runtimeArn, sessionId: sessionId(`sdk${i}`), payload: { prompt: "a b c", delayMs: 60_000 } }))
            .then((out) => {
              streams.push(out as unknown as { stream: AsyncIterable<unknown> });
              return "ok";
            })
            .catch((e: unknown) => (ThrottlingException.isInstance(e) ? "throttled" : String(e))),
        ),
      );
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
    } finally {
      client.destroy();
      await h.emu.close();
    }
  });

  it("stalled uploads (head and one body byte, then nothing) do not lock StopRuntimeSession out (default settings)", async () => {
    const h = await start();
    const sockets: net.Socket[] = [];
    try {
      const port = portOf(h);
      const sid = sessionId("victim");
      expect((await h.post("invocations", { body: {}, headers: { [SESSION]: sid } })).status).toBe(200);
      const stalled = `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 1000\r\n\r\n{`;
      for (let i = 0; i < DEFAULT_MAX_CONCURRENT_BODIES; i++) sockets.push(await holdOpen(port, stalled));
      await sleep(1000);
      const stop = await h.post("stopruntimesession", { body: {}, headers: { [SESSION]: sid } });
      expect([stop.status, errorName(stop)]).toEqual([200, undefined]);
    } finally {
      for (const s of sockets) s.destroy();
      await h.emu.close();
    }
  });
});

describe("pipelined requests and many headers (each failed before its fix)", () => {
  it("pipelined requests are handled in turn: a stop after a stream waits for it, every answer arrives", async () => {
    // (all three were handled at once: the stop cut A's stream by closing the connection, so B's answer and the
    // stop's never came, though B's agent ran and both were recorded as 200)
    const h = await start();
    try {
      const [A, B] = [sessionId("pipelined-a"), sessionId("pipelined-b")];
      const post = (op: string, sid: string, body: string, extra = "") =>
        `POST ${opPath(h, op)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\n` +
        `${SESSION}: ${sid}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
      const got = await rawExchange(
        portOf(h),
        [
          post("invocations", A, JSON.stringify({ prompt: "one two three four five", delayMs: 50 }), "Accept: text/event-stream\r\n"),
          post("invocations", B, JSON.stringify({ prompt: "for B" })),
          post("stopruntimesession", A, "{}", "Connection: close\r\n"),
        ].join(""),
        { waitMs: 5000 },
      );
      expect([...got.text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1])).toEqual(["200", "200", "200"]);
      expect(got.text).toContain("five");
      expect(got.text).toContain("You said: for B");
      expect(h.emu.requests.map((r) => [r.op, r.sessionId, r.status])).toEqual([
        ["invocations", A, 200],
        ["invocations", B, 200],
        ["stopruntimesession", A, 200],
      ]);
    } finally {
      await h.emu.close();
    }
  });

  it("a session id after 2,100 other headers is still checked (node dropped headers past 2,000)", async () => {
    const h = await start();
    try {
      const many = Array.from({ length: 2100 }, (_, i) => `X-H${i}: v\r\n`).join("");
      const got = await rawExchange(portOf(h), `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 2\r\n${many}${SESSION}: short\r\nConnection: close\r\n\r\n{}`);
      const answer = head(got.text);
      expect([answer.status, answer.headers["x-amzn-errortype"]?.split(":")[0]]).toEqual([400, "ValidationException"]);
    } finally {
      await h.emu.close();
    }
  });
});

describe("stalled uploads", () => {
  it("(was a defect) a body that stops coming is answered 408 after bodyIdleTimeoutSeconds and its connection closed", async () => {
    const h = await start({ bodyIdleTimeoutSeconds: 0.3 });
    try {
      const stalled = `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 1000\r\n\r\n{"pr`;
      const r = await rawExchange(portOf(h), stalled, { waitMs: 5000 });
      const res = head(r.text);
      expect(res.status).toBe(408);
      expect(res.headers["x-amzn-errortype"]?.split(":")[0]).toBe("ValidationException");
      expect(res.body).toMatch(/bodyIdleTimeoutSeconds/);
      expect(r.closed).toBe(true);
      expect(r.ms).toBeGreaterThanOrEqual(250);
      expect(r.ms).toBeLessThan(4000);
    } finally {
      await h.emu.close();
    }
  });

  it("(was a defect) uploads stalled in every body slot give the slots back: a normal invoke then succeeds (before: 429 for 300 s)", async () => {
    const h = await start({ bodyIdleTimeoutSeconds: 0.3 });
    const sockets: net.Socket[] = [];
    try {
      const port = portOf(h);
      const stalled = `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: 1000\r\n\r\n{`;
      for (let i = 0; i < DEFAULT_MAX_CONCURRENT_BODIES; i++) sockets.push(await holdOpen(port, stalled));
      await sleep(100);
      expect((await h.post("invocations", { body: {}, headers: { [SESSION]: sessionId("while") } })).status).toBe(429);
      await sleep(800);
      const after = await h.post("invocations", { body: {}, headers: { [SESSION]: sessionId("after") } });
      expect([after.status, errorName(after)]).toEqual([200, undefined]);
    } finally {
      for (const s of sockets) s.destroy();
      await h.emu.close();
    }
  });

  it("a slow upload that keeps sending is read to its end, however long it takes in all", async () => {
    const h = await start({ bodyIdleTimeoutSeconds: 0.3 });
    try {
      const body = JSON.stringify({ prompt: "x".repeat(40) });
      const chunks = [`POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\n${SESSION}: ${sessionId("slow")}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`];
      const socket = await holdOpen(portOf(h), chunks[0]!);
      let got = "";
      socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
      const closed = new Promise((r) => socket.on("close", r));
      // one piece every 150 ms: 1.5 s in all, five times the idle timeout, never idle for 0.3 s
      for (let i = 0; i < body.length; i += 5) {
        socket.write(body.slice(i, i + 5));
        await sleep(150);
      }
      await closed;
      expect(head(got).status).toBe(200);
    } finally {
      await h.emu.close();
    }
  });

  it("bodyIdleTimeoutSeconds is checked", async () => {
    for (const bad of [0, -1, Number.NaN]) await expect(start({ bodyIdleTimeoutSeconds: bad })).rejects.toThrow(/bodyIdleTimeoutSeconds/);
  });

  it("(was a defect) a bodyIdleTimeoutSeconds past setTimeout's range (or Infinity) means no idle timeout, not one of 1 ms", async () => {
    for (const seconds of [3e6, Infinity]) {
      const h = await start({ bodyIdleTimeoutSeconds: seconds });
      try {
        const body = JSON.stringify({ prompt: "in two pieces" });
        const half = Math.floor(body.length / 2);
        const socket = await holdOpen(portOf(h), `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`);
        let got = "";
        socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
        const closed = new Promise((r) => socket.on("close", r));
        await sleep(100);
        socket.write(body.slice(half));
        await closed;
        expect(head(got).status).toBe(200);
      } finally {
        await h.emu.close();
      }
    }
  });
});

describe("WebSocket upgrades (each test here failed before its fix)", () => {
  it("a session id with CR LF in the query parameter cannot inject headers into the 101 response (or the log)", async () => {
    const lines: string[] = [];
    const h = await start({ log: (line) => lines.push(line) });
    try {
      const sid = encodeURIComponent(`${"a".repeat(34)}\r\nSet-Cookie: injected=1\r\nX-Injected: yes`);
      const path = `${opPath(h, "ws")}?X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${sid}`;
      const r = await rawExchange(portOf(h), wsUpgrade(path, h.token, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), { waitMs: 1000 });
      expect(r.text).not.toMatch(/^X-Injected: yes\r?$/m);
      expect(r.text).not.toMatch(/^Set-Cookie:/im);
      const res = head(r.text);
      expect(res.status).toBe(400);
      expect(res.headers["x-amzn-errortype"]?.split(":")[0]).toBe("ValidationException");
      await h.emu.close();
      expect(lines.join("\n")).not.toMatch(/^X-Injected/m);
    } finally {
      await h.emu.close();
    }
  });

  it("an upgrade ws refuses itself (no Sec-WebSocket-Key) gets a typed error, creates no session, is recorded and logged", async () => {
    const lines: string[] = [];
    const h = await start({ log: (line) => lines.push(line) });
    try {
      const r = await rawExchange(portOf(h), wsUpgrade(opPath(h, "ws"), h.token), { waitMs: 2000 });
      const res = head(r.text);
      expect(res.status).toBe(400);
      expect(r.closed).toBe(true);
      await sleep(100);
      expect(h.emu.sessionIds()).toEqual([]);
      expect(res.headers["x-amzn-errortype"]?.split(":")[0]).toBe("ValidationException");
      expect(h.emu.requests.map((q) => [q.op, q.status])).toEqual([["ws", 400]]);
      expect(lines).toHaveLength(1);
    } finally {
      await h.emu.close();
    }
  });

  // Node 20 hands any request with Upgrade to the 'upgrade' listener, its body unparsed: answered with a typed 400.
  it("a POST invocation carrying a non-WebSocket Upgrade (curl --http2 sends Upgrade: h2c) gets a typed 400 naming the header", async () => {
    const h = await start();
    try {
      const body = '{"prompt":"hi"}';
      const r = await rawExchange(
        portOf(h),
        `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\n` +
          `Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        { waitMs: 2000 },
      );
      const res = head(r.text);
      expect(res.status).toBe(400);
      expect(r.closed).toBe(true);
      expect(res.headers["x-amzn-errortype"]?.split(":")[0]).toBe("ValidationException");
      expect(JSON.parse(res.body).message).toBe("Upgrade: h2c is not supported; send the request without an Upgrade header");
      expect(h.emu.requests.map((q) => [q.op, q.status])).toEqual([["invocations", 400]]);
    } finally {
      await h.emu.close();
    }
  });
});

describe("error responses (each test here failed before its fix)", () => {
  it("GET on a correctly encoded operation path does not claim the ARN is badly encoded", async () => {
    const h = await start();
    try {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await fetch(h.opUrl("invocations"), { method, headers: { Authorization: `Bearer ${h.token}` } });
        const { message } = await res.json();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(message).not.toContain("must be percent-encoded as one path segment");
      }
    } finally {
      await h.emu.close();
    }
  });

  it("a malformed chunked body gets the service's error shape (x-amzn-ErrorType, JSON message, request id)", async () => {
    const h = await start();
    try {
      const r = await rawExchange(
        portOf(h),
        `POST ${opPath(h, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      );
      const res = head(r.text);
      expect(res.status).toBe(400);
      expect(r.closed).toBe(true);
      expect(res.headers["x-amzn-errortype"]?.split(":")[0]).toBe("ValidationException");
      expect(res.headers["x-amzn-requestid"]).toBeDefined();
      expect(JSON.parse(res.body).message).toEqual(expect.any(String));
    } finally {
      await h.emu.close();
    }
  });
});

describe("confirmed right", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.emu.close());

  it("pipelined requests on one socket are answered in order", async () => {
    const body = '{"prompt":"p1"}';
    const cmd = '{"command":"echo p2"}';
    const r = await rawExchange(
      portOf(h),
      `GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` +
        `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `POST ${opPath(h, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nConnection: close\r\nContent-Length: ${cmd.length}\r\n\r\n${cmd}`,
    );
    expect(r.closed).toBe(true);
    expect(r.text.match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(3);
    expect(r.text.indexOf("Healthy")).toBeLessThan(r.text.indexOf("You said: p1"));
    expect(r.text.indexOf("You said: p1")).toBeLessThan(r.text.indexOf("p2\\n"));
  });

  it("HTTP/1.0 without Host or keep-alive: an SSE stream is delimited by close", async () => {
    const body = '{"prompt":"one two"}';
    const r = await rawExchange(
      portOf(h),
      `POST ${opPath(h, "invocations")} HTTP/1.0\r\nAuthorization: Bearer ${h.token}\r\nAccept: text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(r.closed).toBe(true);
    expect(head(r.text).status).toBe(200);
    expect(r.text).toContain('data: "two"');
  });

  it("Expect: 100-continue works; an over-limit Content-Length gets a typed 400 and the socket is closed", async () => {
    const cmd = '{"command":"echo ok"}';
    const ok = await rawExchange(portOf(h), [
      `POST ${opPath(h, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: ${cmd.length}\r\n\r\n`,
      cmd,
    ]);
    expect(ok.text).toContain("HTTP/1.1 100 Continue");
    expect(ok.text).toContain("HTTP/1.1 200 OK");
    const big = await rawExchange(
      portOf(h),
      `POST ${opPath(h, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nExpect: 100-continue\r\nContent-Length: 50000000\r\n\r\n`,
    );
    expect(big.closed).toBe(true);
    expect(big.ms).toBeLessThan(2000);
    expect(big.text).toMatch(/x-amzn-ErrorType: ValidationException/);
  });

  it("a chunked stop body over its limit: typed 400 and the connection is closed while the client still sends", async () => {
    const port = portOf(h);
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    let text = "";
    socket.on("data", (d) => (text += d.toString("latin1")));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await new Promise<void>((resolve) => socket.on("connect", () => resolve()));
    socket.write(`POST ${opPath(h, "stopruntimesession")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\n${SESSION}: ${sessionId()}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = `10000\r\n${"x".repeat(0x10000)}\r\n`;
    const pump = setInterval(() => !socket.destroyed && socket.write(chunk), 5);
    try {
      await Promise.race([closed, sleep(5000)]);
      expect(socket.destroyed || socket.readableEnded).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 400/);
      expect(text).toMatch(/x-amzn-ErrorType: ValidationException/);
    } finally {
      clearInterval(pump);
      socket.destroy();
    }
  });

  it("a client that leaves mid-body after auth gives its body slot back", async () => {
    const local = await start({ maxConcurrentBodies: 1 });
    try {
      const s = await holdOpen(portOf(local), `POST ${opPath(local, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${local.token}\r\nContent-Length: 100\r\n\r\n{`);
      await sleep(300);
      expect((await local.post("invocations", { body: {} })).status).toBe(429);
      s.destroy();
      await sleep(200);
      expect((await local.post("invocations", { body: {} })).status).toBe(200);
    } finally {
      await local.emu.close();
    }
  });

  it("300 concurrent JSON invocations and 300 concurrent commands all succeed with default settings", async () => {
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const call = (op: string, body: string) =>
      new Promise<number>((resolve) => {
        const req = http.request(
          { host: "127.0.0.1", port: portOf(h), method: "POST", path: opPath(h, op), agent, headers: { Authorization: `Bearer ${h.token}`, "Content-Type": "application/json" } },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", () => resolve(-1));
        req.end(body);
      });
    try {
      const inv = await Promise.all(Array.from({ length: 300 }, () => call("invocations", '{"prompt":"hi"}')));
      const cmd = await Promise.all(Array.from({ length: 300 }, () => call("commands", '{"command":"echo hi"}')));
      expect(inv.filter((s) => s !== 200)).toEqual([]);
      expect(cmd.filter((s) => s !== 200)).toEqual([]);
    } finally {
      agent.destroy();
    }
  });

  it("malformed JSON stop body: 400 CannotParse; control characters in a header: refused, never echoed", async () => {
    const stop = await h.post("stopruntimesession", { body: "{nope", headers: { [SESSION]: sessionId(), "Content-Type": "application/json" } });
    expect(stop.status).toBe(400);
    expect((await stop.json()).reason).toBe("CannotParse");
    const r = await rawExchange(
      portOf(h),
      `POST ${opPath(h, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nMcp-Session-Id: x\x01y\r\nContent-Length: 2\r\n\r\n{}`,
    );
    expect(head(r.text).status).toBe(400);
    expect(r.text).not.toContain("x\x01y");
  });

  it("path tricks: double encoding, bad escapes, dot segments, absolute-form targets never reach the runtime", async () => {
    const post = async (path: string) => head((await rawExchange(portOf(h), `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`)).text);
    expect((await post(`/runtimes/${encodeURIComponent(encodeURIComponent(h.emu.runtimeArn))}/invocations`)).status).toBe(400);
    expect((await post(`/runtimes/arn%ZZ/invocations`)).status).toBe(400);
    expect((await post(`/runtimes/../runtimes/${encodeURIComponent(h.emu.runtimeArn)}/invocations`)).status).toBe(404);
    expect((await post(`/runtimes/%2E%2E/invocations?accountId=123456789012`)).status).toBe(404);
    expect((await post(`http://evil.example${opPath(h, "invocations")}`)).status).toBe(404);
    expect((await post(`/runtimes/arn%3A${"a".repeat(30_000)}/invocations`)).status).toBe(404);
  });

  it("JWT edge cases: HS256 signed with the public key, nbf in the future, string exp, issuer with a slash: 401", async () => {
    const { createHmac, createPublicKey } = await import("node:crypto");
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const jwk = (await (await fetch(h.emu.jwksUrl)).json()).keys[0];
    const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: h.emu.issuer, client_id: "agentcore-emulator", exp: now + 600 };
    const hp = `${b64({ alg: "HS256", kid: jwk.kid, typ: "JWT" })}.${b64(claims)}`;
    const forged = `${hp}.${createHmac("sha256", pem).update(hp).digest("base64url")}`;
    const tokens = [
      forged,
      await h.emu.issueToken({ nbf: now + 3600 }),
      await h.emu.issueToken({ exp: "9999999999" }),
      await h.emu.issueToken({ iss: `${h.emu.issuer}/` }),
    ];
    for (const token of tokens) {
      const res = await h.post("invocations", { body: {}, token });
      expect([res.status, errorName(res)]).toEqual([401, "UnauthorizedException"]);
    }
  });

  it("300 WebSockets at once with default settings; close() sends 1001 to all, promptly, and frees the port", async () => {
    const local = await start();
    const port = portOf(local);
    const url = `ws://127.0.0.1:${port}${opPath(local, "ws")}`;
    const sockets: WebSocket[] = [];
    try {
      const echoes = await Promise.all(
        Array.from(
          { length: 300 },
          () =>
            new Promise<string>((resolve) => {
              const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${local.token}` } });
              sockets.push(ws);
              ws.on("open", () => ws.send("hi"));
              ws.on("message", (m) => resolve(String(m)));
              ws.on("error", (e) => resolve(`error ${e.message}`));
            }),
        ),
      );
      expect(new Set(echoes)).toEqual(new Set(['{"echo":"hi"}']));
      const codes = sockets.map((ws) => new Promise<number>((resolve) => ws.on("close", (code) => resolve(code))));
      const t = Date.now();
      await local.emu.close();
      expect(Date.now() - t).toBeLessThan(1500);
      expect(new Set(await Promise.all(codes))).toEqual(new Set([1001]));
      const probe = net.createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once("error", reject);
        probe.listen(port, "127.0.0.1", () => resolve());
      });
      await new Promise((resolve) => probe.close(resolve));
    } finally {
      for (const ws of sockets) ws.terminate();
      await local.emu.close();
    }
  });

  it("close() with hostile sockets open (silent WebSocket, unread SSE and command streams, half-sent head and body) ends promptly", async () => {
    const local = await start();
    const port = portOf(local);
    const sockets: net.Socket[] = [];
    try {
      const silentWs = await holdOpen(port, wsUpgrade(opPath(local, "ws"), local.token, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
      const sse = '{"prompt":"","bytes":400000000}';
      const cmd = '{"command":"yes-bytes 400000000","timeout":60}';
      sockets.push(
        silentWs,
        await holdOpen(port, `POST ${opPath(local, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${local.token}\r\nAccept: text/event-stream\r\nContent-Length: ${sse.length}\r\n\r\n${sse}`),
        await holdOpen(port, `POST ${opPath(local, "commands")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${local.token}\r\nContent-Length: ${cmd.length}\r\n\r\n${cmd}`),
        await holdOpen(port, `POST ${opPath(local, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${local.token}\r\nContent-Length: 1000\r\n\r\n{"pro`),
        await holdOpen(port, `POST ${opPath(local, "invocations")} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor`),
      );
      for (const s of sockets) s.pause();
      await sleep(1000);
      const t = Date.now();
      await local.emu.close();
      expect(Date.now() - t).toBeLessThan(1500);
    } finally {
      for (const s of sockets) s.destroy();
      await local.emu.close();
    }
  });
});
