import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { AgentRuntimeError, ExecuteCommandStreamCommand, InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { frame } from "./helpers/resilience";
import { ARN, SESSION, TOKEN } from "./helpers/server";

/**
 * The response body (protocol/body.ts) through the public API against real servers on 127.0.0.1 that cut, reset,
 * stall and flood: a typed error, never a hang or a short body, and nothing more after an abort, a cancel or a deadline.
 * Every test has its own timeout guard (`within`) so that a hang shows up as a failure, not a stuck run.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rejects with "HANG: <what>" if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error }));

// ---------------------------------------------------------------------------------------------------------
// A raw TCP "HTTP" server: each request's response is scripted byte by byte on the socket.
// ---------------------------------------------------------------------------------------------------------

interface RawServer {
  url: string;
  close(): Promise<void>;
}

async function rawServer(script: (socket: net.Socket, head: string) => void | Promise<void>): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const head = buffer.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      socket.off("data", onData);
      void Promise.resolve(script(socket, head)).catch(() => socket.destroy());
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const chunk = (data: string | Buffer) => {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]);
};

// ---------------------------------------------------------------------------------------------------------
// A node:http server with per-test handlers and socket accounting.
// ---------------------------------------------------------------------------------------------------------

interface HttpServer {
  url: string;
  connections(): number;
  closedSockets(): number;
  close(): Promise<void>;
}

async function httpServer(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>): Promise<HttpServer> {
  let connections = 0;
  let closed = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => void Promise.resolve(handle(req, res)).catch((e) => res.destroy(e)));
  });
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    closedSockets: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const invoke = (extra: object = {}) => new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...extra });
const invokeStream = (extra: object = {}) => new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...extra });

// =========================================================================================================
// 1. A server that ends mid-body or resets the socket: a typed error, never a hang, never silent truncation
// =========================================================================================================

describe("connection cut mid-body", () => {
  test("InvokeCommand: Content-Length 100, 40 bytes, then RST -> NetworkError (ECONNRESET)", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n" + '{"text":"' + "x".repeat(31));
      setTimeout(() => socket.resetAndDestroy(), 30);
    });
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const r = await within(settle(client.send(invoke())), 5000, "InvokeCommand over a reset body");
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError", code: "ECONNRESET" });
    } finally {
      client.destroy();
      await server.close();
    }
  }, 10_000);

  test("InvokeCommand: Content-Length 100, 40 bytes, then a clean FIN -> NetworkError, not a short body", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 100\r\n\r\n" + "y".repeat(40));
      setTimeout(() => socket.end(), 30);
    });
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const r = await within(settle(client.send(invoke())), 5000, "InvokeCommand over a FIN-truncated body");
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError" });
    } finally {
      client.destroy();
      await server.close();
    }
  }, 10_000);

  test("InvokeStreamCommand (SSE, chunked): complete events, then a partial chunk and RST -> events, then NetworkError", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
      socket.write(chunk('data: "a"\n\ndata: "b"\n\n'));
      // a chunk announced as 256 bytes, of which 10 are sent
      socket.write('100\r\ndata: "c"\n');
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const out = await client.send(invokeStream());
      const seen: string[] = [];
      const r = await within(
        settle(
          (async () => {
            for await (const e of out.stream) seen.push(e.text);
          })(),
        ),
        5000,
        "for await over a reset SSE body",
      );
      expect(seen).toEqual(["a", "b"]);
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError" });
    } finally {
      client.destroy();
      await server.close();
    }
  }, 10_000);

  test("chunked body closed with FIN before the last (0-size) chunk -> typed error, not a clean end", async () => {
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
      socket.write(chunk('{"a":1}'));
      setTimeout(() => socket.end(), 30);
    });
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const r = await within(settle(client.send(invoke())), 5000, "InvokeCommand over an unterminated chunked body");
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError" });
    } finally {
      client.destroy();
      await server.close();
    }
  }, 10_000);

  test("ExecuteCommandStreamCommand: frames, then RST mid-frame -> events, then a typed error", async () => {
    const whole = Buffer.concat([frame({ contentStart: {} }), frame({ contentDelta: { stdout: "hello\n" } })]);
    const next = frame({ contentDelta: { stdout: "world\n" } });
    const server = await rawServer((socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\ntransfer-encoding: chunked\r\n\r\n");
      socket.write(chunk(Buffer.concat([whole, next.subarray(0, 7)])));
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const out = await client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, sessionId: SESSION, command: "x" }));
      const seen: string[] = [];
      const r = await within(
        settle(
          (async () => {
            for await (const e of out.stream) seen.push(Object.keys(e).join());
          })(),
        ),
        5000,
        "for await over a reset command stream",
      );
      expect(seen).toEqual(["contentStart", "contentDelta"]);
      expect(r.ok).toBe(false);
      expect(AgentRuntimeError.isInstance((r as { error: unknown }).error)).toBe(true);
      expect((r as { error: AgentRuntimeError }).error.name).toBe("NetworkError");
    } finally {
      client.destroy();
      await server.close();
    }
  }, 10_000);
});

// =========================================================================================================
// 2. A source error that arrives while no read waits: data that arrived before it first, then the error
// =========================================================================================================

test("reset while nobody reads: the events received before the reset are delivered, then NetworkError (no hang)", async () => {
  const server = await rawServer((socket) => {
    socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
    socket.write(chunk('data: "1"\n\ndata: "2"\n\ndata: "3"\n\n'));
    setTimeout(() => socket.resetAndDestroy(), 50);
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  try {
    const out = await client.send(invokeStream());
    // the data and then the reset arrive while no read waits
    await sleep(300);
    const seen: string[] = [];
    const r = await within(
      settle(
        (async () => {
          for await (const e of out.stream) seen.push(e.text);
        })(),
      ),
      5000,
      "reading after the source failed",
    );
    expect(seen).toEqual(["1", "2", "3"]);
    expect(r.ok).toBe(false);
    expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError" });
  } finally {
    client.destroy();
    await server.close();
  }
}, 10_000);

test("a body that ended whole, then the socket is reset while nobody reads: all events, a clean end", async () => {
  const body = 'data: "1"\n\ndata: "2"\n\n';
  const server = await rawServer((socket) => {
    socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    setTimeout(() => socket.resetAndDestroy(), 50);
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  try {
    const out = await client.send(invokeStream());
    await sleep(300);
    const seen: string[] = [];
    const r = await within(
      settle(
        (async () => {
          for await (const e of out.stream) seen.push(e.text);
        })(),
      ),
      5000,
      "reading a complete body after a late reset",
    );
    expect(r.ok).toBe(true);
    expect(seen).toEqual(["1", "2"]);
  } finally {
    client.destroy();
    await server.close();
  }
}, 10_000);

// =========================================================================================================
// 3. Abort and idle timeout while a read waits, and racing the arrival of a chunk
// =========================================================================================================

describe("abort / idle timeout", () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await httpServer((req, res) => {
      const mode = String(req.headers["x-test-mode"]);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (mode === "burst") {
        // one write holding 50 events, then silence
        let text = "";
        for (let i = 0; i < 50; i++) text += `data: "e${i}"\n\n`;
        res.write(text);
      } else if (mode.startsWith("at-")) {
        // one event now, one more after N ms, then silence
        const ms = Number(mode.slice(3));
        res.write('data: "first"\n\n');
        const t = setTimeout(() => res.write('data: "second"\n\n'), ms);
        res.on("close", () => clearTimeout(t));
      } else if (mode === "fast-all") {
        let text = "";
        for (let i = 0; i < 20; i++) text += `data: "${i}"\n\n`;
        res.end(text);
      }
    });
  });
  afterAll(() => server.close());

  test("abort while a read waits: AbortError at once (cause = reason), the connection is closed", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const controller = new AbortController();
      const closedBefore = server.closedSockets();
      const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "at-60000" } }), { abortSignal: controller.signal });
      const it = out.stream[Symbol.asyncIterator]();
      expect((await it.next()).value.text).toBe("first");
      const pending = settle(it.next());
      const reason = new Error("stop");
      const started = Date.now();
      controller.abort(reason);
      const r = await within(pending, 2000, "pending read after abort");
      expect(Date.now() - started).toBeLessThan(500);
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "AbortError", cause: reason });
      await within(
        (async () => {
          while (server.closedSockets() === closedBefore) await sleep(10);
        })(),
        2000,
        "socket closed after abort",
      );
    } finally {
      client.destroy();
    }
  }, 10_000);

  test("abort after an event of a burst: the next read fails with AbortError, not the rest of the already-received events", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const controller = new AbortController();
      const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "burst" } }), { abortSignal: controller.signal });
      const it = out.stream[Symbol.asyncIterator]();
      await sleep(100); // the whole burst has arrived in one chunk
      expect((await it.next()).value.text).toBe("e0");
      controller.abort(new Error("user pressed stop"));
      const after: string[] = [];
      const r = await within(
        settle(
          (async () => {
            for (;;) {
              const n = await it.next();
              if (n.done) return;
              after.push(n.value.text);
            }
          })(),
        ),
        2000,
        "reads after abort",
      );
      // after abort() returned, the caller should see the abort, as a fetch body does
      expect(after).toEqual([]);
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "AbortError" });
    } finally {
      client.destroy();
    }
  }, 10_000);

  test("stream.cancel() after an event of a burst: the loop does not keep yielding the buffered events", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "burst" } }));
      const it = out.stream[Symbol.asyncIterator]();
      await sleep(100);
      expect((await it.next()).value.text).toBe("e0");
      await out.stream.cancel(new Error("navigated away"));
      const after: string[] = [];
      const r = await within(
        settle(
          (async () => {
            for (;;) {
              const n = await it.next();
              if (n.done) return;
              after.push(n.value.text);
            }
          })(),
        ),
        2000,
        "reads after cancel",
      );
      expect(after).toEqual([]);
      // an AbortError, or a clean end: either way no more events after cancel()
      if (!r.ok) expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "AbortError" });
    } finally {
      client.destroy();
    }
  }, 10_000);

  test("abort racing the arrival of a chunk: never a hang, events in order, then AbortError or the event", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        const controller = new AbortController();
        const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "at-40" } }), { abortSignal: controller.signal });
        const it = out.stream[Symbol.asyncIterator]();
        expect((await it.next()).value.text).toBe("first");
        const pending = settle(it.next());
        setTimeout(() => controller.abort(new Error("race")), 38 + (i % 5));
        const r = await within(pending, 3000, `read racing abort #${i}`);
        if (r.ok) {
          expect(r.value).toMatchObject({ done: false, value: { text: "second" } });
          // whatever comes next must be the abort, never a hang
          const r2 = await within(settle(it.next()), 3000, `read after raced abort #${i}`);
          expect(r2.ok).toBe(false);
          expect((r2 as { error: AgentRuntimeError }).error).toMatchObject({ name: "AbortError" });
        } else {
          expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "AbortError" });
        }
      }
    } finally {
      client.destroy();
    }
  }, 30_000);

  test("idle timeout racing the arrival of a chunk: never a hang; IdleTimeoutError or the event", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        const out = await client.send(invokeStream({ headers: { "X-Test-Mode": `at-${48 + (i % 5)}` } }), { idleTimeout: 50, requestTimeout: 5000 });
        const it = out.stream[Symbol.asyncIterator]();
        expect((await it.next()).value.text).toBe("first");
        const r = await within(settle(it.next()), 3000, `read racing idle timeout #${i}`);
        if (r.ok) {
          expect(r.value).toMatchObject({ done: false, value: { text: "second" } });
          const r2 = await within(settle(it.next()), 3000, `read after raced idle timeout #${i}`);
          expect(r2.ok).toBe(false);
          expect((r2 as { error: AgentRuntimeError }).error).toMatchObject({ name: "IdleTimeoutError" });
        } else {
          expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "IdleTimeoutError" });
        }
      }
    } finally {
      client.destroy();
    }
  }, 30_000);

  test("a slow consumer of a fast server is not an idle timeout (only the server's silence counts)", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "fast-all" } }), { idleTimeout: 40 });
      const seen: string[] = [];
      const r = await within(
        settle(
          (async () => {
            for await (const e of out.stream) {
              seen.push(e.text);
              if (seen.length % 5 === 0) await sleep(100);
            }
          })(),
        ),
        10_000,
        "slow consumer",
      );
      expect(r).toMatchObject({ ok: true });
      expect(seen).toHaveLength(20);
    } finally {
      client.destroy();
    }
  }, 15_000);
});

// =========================================================================================================
// 4. break releases the stream; a second call over the same keep-alive agent works
// =========================================================================================================

test("break out of for-await frees the socket: with maxSockets 1 the next call goes through at once", async () => {
  let n = 0;
  const server = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    const timer = setInterval(() => res.write(`data: "${n++}"\n\n`), 5);
    res.on("close", () => clearInterval(timer));
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, maxSockets: 1 });
  try {
    for (let round = 0; round < 3; round++) {
      const out = await within(client.send(invokeStream(), { requestTimeout: 2000 }), 3000, `call #${round}`);
      let k = 0;
      for await (const _ of out.stream) if (++k === 3) break;
      expect(k).toBe(3);
    }
  } finally {
    client.destroy();
    await server.close();
  }
}, 15_000);

test("a body read to its end keeps its keep-alive socket: later calls reuse one connection", async () => {
  const server = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end('data: "a"\n\ndata: "b"\n\n');
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, maxSockets: 1 });
  try {
    for (let round = 0; round < 3; round++) {
      const out = await within(client.send(invokeStream(), { requestTimeout: 2000 }), 3000, `call #${round}`);
      const seen: string[] = [];
      for await (const e of out.stream) seen.push(e.text);
      expect(seen).toEqual(["a", "b"]);
    }
    expect(server.connections()).toBe(1);
  } finally {
    client.destroy();
    await server.close();
  }
}, 15_000);

// =========================================================================================================
// 5. Backpressure: a slow SSE consumer of a fast server buffers a bounded amount
// =========================================================================================================

test("SSE: a consumer that stops reading holds the server back on TCP", async () => {
  let written = 0;
  let blocked = false;
  const server = await httpServer(async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    const event = Buffer.from(`data: "${"z".repeat(16 * KiB)}"\n\n`);
    while (written < 64 * MiB && !res.destroyed) {
      written += event.length;
      if (!res.write(event)) {
        blocked = true;
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done).off("close", done);
            resolve();
          };
          res.on("drain", done).on("close", done);
        });
      }
    }
    res.end();
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  try {
    const out = await client.send(invokeStream());
    const it = out.stream[Symbol.asyncIterator]();
    await it.next();
    await sleep(500);
    const inFlight = written;
    await sleep(300);
    expect(blocked).toBe(true);
    expect(written).toBe(inFlight);
    expect(written).toBeLessThan(16 * MiB);
    await within(it.return!(), 2000, "return()");
  } finally {
    client.destroy();
    await server.close();
  }
}, 15_000);

// =========================================================================================================
// 6. Limits: one huge chunk and many small chunks past maxResponseBytes
// =========================================================================================================

describe("maxResponseBytes", () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await httpServer((req, res) => {
      const mode = String(req.headers["x-test-mode"]);
      if (mode === "ok") {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end('{"ok":true}');
      }
      res.writeHead(200, { "content-type": mode === "sse" ? "text/event-stream" : "application/octet-stream" });
      if (mode === "huge") return void res.end(Buffer.alloc(8 * MiB, 0x61));
      // many small writes, never ending on its own
      const timer = setInterval(() => {
        for (let i = 0; i < 50; i++) res.write(mode === "sse" ? `data: "${"s".repeat(100)}"\n\n` : "s".repeat(200));
      }, 1);
      res.on("close", () => clearInterval(timer));
    });
  });
  afterAll(() => server.close());

  test.each(["huge", "small", "sse"])("InvokeCommand, %s: ResponseLimitExceededError, and the socket is free for the next call", async (mode) => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1, maxSockets: 1 });
    try {
      const r = await within(settle(client.send(invoke({ headers: { "X-Test-Mode": mode } }), { maxResponseBytes: 100 * KiB })), 5000, `limit ${mode}`);
      expect(r.ok).toBe(false);
      expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "ResponseLimitExceededError", limit: "maxResponseBytes" });
      const ok = await within(client.send(invoke({ headers: { "X-Test-Mode": "ok" } }), { requestTimeout: 2000 }), 3000, "the next call");
      expect(ok.json).toEqual({ ok: true });
    } finally {
      client.destroy();
    }
  }, 10_000);
});

// =========================================================================================================
// 7. Iteration rules: consumed streams, concurrent next()
// =========================================================================================================

describe("iteration", () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await httpServer((req, res) => {
      const mode = String(req.headers["x-test-mode"]);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (mode === "slow3") {
        // three events 30 ms apart, then the end
        [0, 1, 2].forEach((i) => setTimeout(() => res.write(`data: "${i}"\n\n`), 30 * (i + 1)));
        setTimeout(() => res.end(), 130);
      } else if (mode === "one-then-reset") {
        res.write('data: "only"\n\n');
        setTimeout(() => res.socket?.resetAndDestroy(), 50);
      } else {
        res.end('data: "a"\n\ndata: "b"\n\n');
      }
    });
  });
  afterAll(() => server.close());

  test("a stream read to its end, broken out of, or cancelled cannot be iterated again", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const a = await client.send(invokeStream());
      for await (const _ of a.stream);
      expect(() => a.stream[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ name: "StreamAlreadyConsumedError" }));
      const b = await client.send(invokeStream());
      for await (const _ of b.stream) break;
      expect(() => b.stream.toReadableStream()).toThrow(expect.objectContaining({ name: "StreamAlreadyConsumedError" }));
      const c = await client.send(invokeStream());
      await c.stream.cancel();
      await expect(
        (async () => {
          for await (const _ of c.stream);
        })(),
      ).rejects.toMatchObject({ name: "StreamAlreadyConsumedError" });
    } finally {
      client.destroy();
    }
  }, 10_000);

  test("two concurrent next() calls get consecutive events, in order, and the end once", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "slow3" } }));
      const it = out.stream[Symbol.asyncIterator]();
      const [x, y] = await within(Promise.all([it.next(), it.next()]), 3000, "two concurrent next()");
      expect([x.value?.text, y.value?.text]).toEqual(["0", "1"]);
      const [z, end1, end2] = await within(Promise.all([it.next(), it.next(), it.next()]), 3000, "three concurrent next()");
      expect(z.value?.text).toBe("2");
      expect(end1.done).toBe(true);
      expect(end2.done).toBe(true);
    } finally {
      client.destroy();
    }
  }, 10_000);

  test("concurrent next() calls over a body that then fails: the waiting one rejects with the error, none hangs", async () => {
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
    try {
      const out = await client.send(invokeStream({ headers: { "X-Test-Mode": "one-then-reset" } }));
      const it = out.stream[Symbol.asyncIterator]();
      const results = await within(Promise.all([settle(it.next()), settle(it.next()), settle(it.next())]), 3000, "concurrent next() over a failing body");
      expect(results[0]).toMatchObject({ ok: true, value: { done: false, value: { text: "only" } } });
      expect(results[1].ok).toBe(false);
      expect((results[1] as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError" });
      // the one after the failure: an end, not a hang
      expect(results[2]).toMatchObject({ ok: true, value: { done: true } });
    } finally {
      client.destroy();
    }
  }, 10_000);
});

// =========================================================================================================
// 8. More confirmations: a complete body behind a closed connection while paused; readSSE over a Web stream
// =========================================================================================================

test("Connection: close after a complete 2 MiB body, while the reader is paused: every byte, a clean end", async () => {
  const event = `data: "${"q".repeat(1000)}"\n\n`;
  const count = 2000;
  const server = await httpServer((_req, res) => {
    const body = event.repeat(count);
    res.writeHead(200, { "content-type": "text/event-stream", "content-length": String(Buffer.byteLength(body)), connection: "close" });
    res.end(body);
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  try {
    const out = await client.send(invokeStream());
    const it = out.stream[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    // the reader stops (the body pauses), the server has sent everything and closed the connection
    await sleep(400);
    let n = 1;
    const r = await within(
      settle(
        (async () => {
          for (let x = await it.next(); !x.done; x = await it.next()) n++;
        })(),
      ),
      5000,
      "reading the rest",
    );
    expect(r.ok).toBe(true);
    expect(n).toBe(count);
  } finally {
    client.destroy();
    await server.close();
  }
}, 10_000);

describe("readSSE over a Web ReadableStream", () => {
  const { readSSE } = jest.requireActual("@agentcore-runtime/client") as typeof import("@agentcore-runtime/client");
  const encoder = new TextEncoder();

  test("idleTimeout while a read waits: IdleTimeoutError and the source is cancelled", async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encoder.encode('data: "x"\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: string[] = [];
    const r = await within(
      settle(
        (async () => {
          for await (const e of readSSE(source, { idleTimeout: 50 })) seen.push(e.text);
        })(),
      ),
      3000,
      "readSSE idle",
    );
    expect(seen).toEqual(["x"]);
    expect(r.ok).toBe(false);
    expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "IdleTimeoutError" });
    expect(cancelled).toBe(true);
  }, 10_000);

  test("a source that errors while a read waits: a typed NetworkError, no hang", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        c.enqueue(encoder.encode('data: "x"\n\n'));
      },
    });
    const seen: string[] = [];
    const loop = settle(
      (async () => {
        for await (const e of readSSE(source)) seen.push(e.text);
      })(),
    );
    await sleep(50);
    controller.error(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const r = await within(loop, 3000, "readSSE source error");
    expect(seen).toEqual(["x"]);
    expect(r.ok).toBe(false);
    expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "NetworkError", code: "ECONNRESET" });
  }, 10_000);
});

test("ExecuteCommandStreamCommand: abort after one event of a burst yields none of the other frames already received", async () => {
  const frames = [frame({ contentStart: {} })];
  for (let i = 0; i < 30; i++) frames.push(frame({ contentDelta: { stdout: `${i}\n` } }));
  const server = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
    res.write(Buffer.concat(frames)); // then silence
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  try {
    const controller = new AbortController();
    const out = await client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, sessionId: SESSION, command: "x" }), { abortSignal: controller.signal });
    const it = out.stream[Symbol.asyncIterator]();
    await sleep(100);
    expect((await it.next()).value).toHaveProperty("contentStart");
    controller.abort(new Error("stop"));
    let after = 0;
    const r = await within(
      settle(
        (async () => {
          for (let x = await it.next(); !x.done; x = await it.next()) after++;
        })(),
      ),
      2000,
      "reads after abort",
    );
    expect(after).toBe(0);
    expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "AbortError" });
  } finally {
    client.destroy();
    await server.close();
  }
}, 10_000);

test("deadline: a slow consumer of one buffered burst is stopped at the deadline, not after the whole burst", async () => {
  const server = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    let text = "";
    for (let i = 0; i < 40; i++) text += `data: "e${i}"\n\n`;
    res.write(text); // then silence
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
  try {
    const out = await client.send(invokeStream(), { deadline: 300 });
    const seen: string[] = [];
    const r = await within(
      settle(
        (async () => {
          for await (const e of out.stream) {
            seen.push(e.text);
            await sleep(25); // 40 events x 25 ms = 1 s of work, far past the 300 ms deadline
          }
        })(),
      ),
      5000,
      "loop under a deadline",
    );
    expect(r.ok).toBe(false);
    expect((r as { error: AgentRuntimeError }).error).toMatchObject({ name: "DeadlineExceededError" });
    // the loop ends at the deadline (about 12 events of 25 ms), not after every buffered event was handed out
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(30);
  } finally {
    client.destroy();
    await server.close();
  }
}, 10_000);
