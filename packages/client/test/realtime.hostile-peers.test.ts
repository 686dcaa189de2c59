/**
 * The real-time code (connectWebSocket, openShell) against purpose-built `ws` servers on 127.0.0.1 that behave
 * badly, and the emulator. Tests named "(was a defect)" each failed before its fix; the others pin behaviour
 * that was already right.
 */
import net from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import {
  AbortError,
  connectWebSocket,
  openShell,
  RuntimeClient,
  WebSocketClosedError,
  type ShellSession,
} from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

jest.setTimeout(30_000);

const ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/my_agent-AbCdE12345";
const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzOCJ9.c2lnbmF0dXJl";
let n = 0;
const sessionId = () => `review-s8-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;
const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves with the promise's outcome, or "pending" when it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"pending">((r) => (timer = setTimeout(() => r("pending"), ms)));
  try {
    return await Promise.race([p.then((value) => ({ value }), (error) => ({ error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

interface Server {
  port: number;
  wss: WebSocketServer;
  sockets: WebSocket[];
  client(extra?: object): RuntimeClient;
  close(): Promise<void>;
}
const open: Server[] = [];
async function server(onConnection: (ws: WebSocket, index: number) => void, options: Partial<ConstructorParameters<typeof WebSocketServer>[0]> = {}): Promise<Server> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, ...options });
  const sockets: WebSocket[] = [];
  wss.on("connection", (ws) => {
    sockets.push(ws);
    ws.on("error", () => undefined);
    onConnection(ws, sockets.length - 1);
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const port = (wss.address() as net.AddressInfo).port;
  const clients: RuntimeClient[] = [];
  const s: Server = {
    port,
    wss,
    sockets,
    client: (extra = {}) => {
      const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: TOKEN, ...extra });
      clients.push(c);
      return c;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      for (const ws of wss.clients) ws.terminate();
      for (const ws of sockets) ws.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
  open.push(s);
  return s;
}
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const STATUS_OK = (reconnected = false, extra: object = {}) =>
  Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: { shellId: "s8", reconnected, ...extra }, status: "Success" }))]);
const stdout = (data: string | Buffer) => Buffer.concat([Buffer.from([1]), Buffer.isBuffer(data) ? data : Buffer.from(data)]);
const rawSocket = (ws: WebSocket) => (ws as unknown as { _socket: net.Socket })._socket;

/** Sends `count` copies of `frame` as fast as the socket takes them; resolves with how many the kernel accepted within `ms`. */
async function blast(ws: WebSocket, frame: Buffer, count: number, ms: number): Promise<number> {
  let flushed = 0;
  for (let i = 0; i < count; i++) ws.send(frame, { binary: true }, (err) => void (err ? undefined : flushed++));
  await until(() => flushed === count, ms);
  return flushed;
}

function collect(shell: ShellSession): { bytes(): Buffer; done: Promise<unknown> } {
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of shell.output) chunks.push(Buffer.from(c));
  })().then(
    () => undefined,
    (e) => e,
  );
  return { bytes: () => Buffer.concat(chunks), done };
}

// ---------------------------------------------------------------------------------------------------------------
// Defects
// ---------------------------------------------------------------------------------------------------------------

describe("(was a defect) memory is not bounded by bytes for a slow consumer", () => {
  // Loopback kernel buffers here hold at most tcp_wmem max (4 MiB) + tcp_rmem max (32 MiB): whatever the server
  // flushed beyond that sits in the client's own memory.
  const KERNEL_AND_HIGH_WATER = 48 * MiB;

  test("(was a defect) shell: output is read off the socket without limit when nobody reads shell.output (no backpressure)", async () => {
    const frame = stdout(Buffer.alloc(32 * 1024 - 1, 0x61));
    const total = 3000; // ~94 MiB
    let flushed = -1;
    const s = await server((ws) => {
      ws.send(STATUS_OK());
      setTimeout(() => void blast(ws, frame, total, 10_000).then((f) => (flushed = f)), 50);
    });
    const before = process.memoryUsage().arrayBuffers;
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: false });
    // nobody reads shell.output
    await until(() => flushed >= 0, 12_000);
    const held = process.memoryUsage().arrayBuffers - before;
    const flushedBytes = flushed * (frame.byteLength - 1);
    // eslint-disable-next-line no-console
    console.log(`shell: server flushed ${(flushedBytes / MiB).toFixed(1)} MiB to a reader that read nothing; client array buffers +${(held / MiB).toFixed(1)} MiB`);
    await shell.detach().catch(() => undefined);
    // connectWebSocket pauses the socket at 256 queued messages; the shell's pump drains the connection into an
    // unbounded ByteQueue, so the pause never happens
    expect(flushedBytes).toBeLessThan(KERNEL_AND_HIGH_WATER);
  });

  test("(was a defect) /ws: the 256-message high-water mark counts messages, not bytes; 1 MiB messages (16x the protocol's 64 KB) are taken without limit", async () => {
    const frame = Buffer.alloc(1 * MiB, 0x62);
    const total = 200; // below the 256-message mark: nothing pauses
    let flushed = -1;
    const s = await server((ws) => {
      setTimeout(() => void blast(ws, frame, total, 10_000).then((f) => (flushed = f)), 50);
    });
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    await until(() => flushed >= 0, 12_000);
    // eslint-disable-next-line no-console
    console.log(`/ws: server flushed ${flushed} MiB to a reader that read nothing`);
    conn.close();
    await within(conn.closed, 2000);
    expect(flushed * MiB).toBeLessThan(KERNEL_AND_HIGH_WATER);
  });
});

describe("(was a defect) errors the client itself detects are reported as 1006 (dropped, retryable)", () => {
  test("(was a defect) a message over the 100 MiB maxPayload → WebSocketClosedError code 1006 'connection dropped', retryable, instead of 1009", async () => {
    const s = await server((ws) => ws.send(Buffer.alloc(100 * MiB + 1)));
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    const e = await (async () => {
      for await (const _ of conn) void _;
    })().catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    // eslint-disable-next-line no-console
    console.log(`over maxPayload: code ${e.code}, retryable ${e.retryable}: ${e.message}`);
    expect(e.code).toBe(1009);
    expect(e.retryable).toBe(false);
  });

  test("(was a defect) a text frame with invalid UTF-8 → 1006 instead of 1007; a shell then reconnects as after a network drop", async () => {
    const s = await server((ws) => setTimeout(() => ws.send(Buffer.from([0x68, 0xff, 0x69]), { binary: false }), 20));
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    const e = await (async () => {
      for await (const _ of conn) void _;
    })().catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    const wsCode = e.code;

    const shells = await server((ws, i) => {
      ws.send(STATUS_OK(i > 0));
      if (i === 0) setTimeout(() => ws.send(Buffer.from([0xff, 0xfe]), { binary: false }), 20);
    });
    const shell = await openShell(shells.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 20 } });
    await sleep(500);
    const connections = shells.sockets.length;
    await shell.detach();
    // eslint-disable-next-line no-console
    console.log(`invalid UTF-8: /ws code ${wsCode}; shell connections ${connections}`);
    expect(wsCode).toBe(1007);
    expect(connections).toBe(1);
  });
});

describe("(was a defect) breaking out of `for await` on a paused (busy) connection", () => {
  test("(was a defect) the socket is paused, so the server's close reply is never read: `closed` waits for ws's 30 s close timeout", async () => {
    const s = await server((ws) => {
      for (let i = 0; i < 3000; i++) ws.send(`m${i}:${"x".repeat(4000)}`);
      // a well-behaved peer: answers the close handshake at once
    });
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    await sleep(300); // > 256 messages queued: the socket is paused
    for await (const _ of conn) break;
    const t0 = Date.now();
    const outcome = await within(conn.closed, 4000);
    // eslint-disable-next-line no-console
    console.log(`break on a paused connection: closed ${outcome === "pending" ? "still pending" : "resolved"} after ${Date.now() - t0} ms`);
    expect(outcome).not.toBe("pending");
  });
});

describe("(was a defect) an abort that happens before the upgrade starts is ignored", () => {
  test("(was a defect) the signal aborted while the token provider runs → the connection opens anyway and stays open", async () => {
    const s = await server(() => undefined);
    const c = new RuntimeClient({
      endpoint: `http://127.0.0.1:${s.port}`,
      token: async () => {
        await sleep(300);
        return TOKEN;
      },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await within(connectWebSocket(c, { runtimeArn: ARN, sessionId: sessionId() }, { signal: controller.signal }), 3000);
    const opened = outcome !== "pending" && outcome.value ? outcome.value : undefined;
    const connections = s.sockets.length;
    // eslint-disable-next-line no-console
    console.log(`abort during the token provider: ${outcome === "pending" ? "pending" : outcome.error ? `rejected ${(outcome.error as Error).name}` : "resolved with an open connection"}; server saw ${connections} connection(s)`);
    opened?.close();
    c.destroy();
    expect(connections).toBe(0);
    expect(outcome !== "pending" && outcome.error).toBeInstanceOf(AbortError);
  });
});

describe("(was a defect) an upgrade the server never answers", () => {
  // accepts the TCP connection, reads the upgrade request and says nothing (the CLI's `ws`/`shell` hung for ever)
  async function silent(): Promise<{ port: number; closed: () => number; close(): Promise<void> }> {
    let closed = 0;
    const sockets = new Set<net.Socket>();
    const srv = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => undefined);
      socket.on("close", () => {
        closed++;
        sockets.delete(socket);
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    return {
      port: (srv.address() as net.AddressInfo).port,
      closed: () => closed,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise((r) => srv.close(r));
      },
    };
  }

  test.each([
    ["the ws package", {}],
    ["a WHATWG WebSocket constructor (browsers, Deno: it has no handshake timeout of its own)", { WebSocket: WebSocket as never }],
  ])("connectWebSocket with %s fails with a ConnectionTimeoutError after connectionTimeout, and closes the socket", async (_label, options) => {
    const s = await silent();
    const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${s.port}`, token: TOKEN, connectionTimeout: 300 });
    try {
      const started = Date.now();
      const outcome = await within(connectWebSocket(c, { runtimeArn: ARN, sessionId: sessionId() }, options), 5000);
      expect(outcome).not.toBe("pending");
      const error = (outcome as { error?: unknown }).error as { name?: string; retryable?: boolean; message?: string };
      expect(error?.name).toBe("ConnectionTimeoutError");
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/within 300 ms \(connectionTimeout\)/);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await until(() => s.closed() === 1, 3000)).toBe(true);
    } finally {
      c.destroy();
      await s.close();
    }
  });

  test("a plain config's connectionTimeout of 0 is unset (the default bound), not a 0 ms timeout", async () => {
    const s = await server(() => undefined);
    const conn = await connectWebSocket({ endpoint: `http://127.0.0.1:${s.port}`, token: TOKEN, connectionTimeout: 0 } as never, { runtimeArn: ARN, sessionId: sessionId() });
    conn.close();
  });

  test("openShell fails the same way (the shell's own confirmation wait only starts after the upgrade)", async () => {
    const s = await silent();
    const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${s.port}`, token: TOKEN, connectionTimeout: 300 });
    try {
      const outcome = await within(openShell(c, { runtimeArn: ARN, sessionId: sessionId() }), 5000);
      expect(outcome).not.toBe("pending");
      expect(((outcome as { error?: unknown }).error as { name?: string })?.name).toBe("ConnectionTimeoutError");
    } finally {
      c.destroy();
      await s.close();
    }
  });
});

describe("(was a defect) close() on a server that never answers the close handshake", () => {
  test("(was a defect) `closed` (and the socket, keeping the process alive) waits for ws's 30 s close timeout; the abort path gives up after 2 s", async () => {
    const s = await server((ws) => {
      // the peer stops reading: it never sees (or answers) our close frame
      rawSocket(ws).pause();
    });
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    const t0 = Date.now();
    conn.close();
    conn.close(); // twice: no throw
    const outcome = await within(conn.closed, 4000);
    // eslint-disable-next-line no-console
    console.log(`close(): closed ${outcome === "pending" ? "still pending" : "resolved"} after ${Date.now() - t0} ms`);
    expect(outcome).not.toBe("pending");
  });
});

describe("(was a defect) shell reconnect backoff cannot be cancelled", () => {
  /** A shell server: confirms, then cuts the connection (1006) after 100 ms; reconnects are confirmed and kept. */
  async function droppingServer(): Promise<Server> {
    return server((ws, i) => {
      ws.send(STATUS_OK(i > 0));
      if (i === 0) setTimeout(() => ws.terminate(), 100);
    });
  }

  test("(was a defect) aborting the signal during the backoff ends the shell only when the backoff timer fires (seconds later)", async () => {
    const s = await droppingServer();
    const controller = new AbortController();
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { signal: controller.signal, heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 4000 } });
    await sleep(400); // dropped at 100 ms: now in a 3–5 s backoff
    const t0 = Date.now();
    controller.abort();
    const outcome = await within(shell.exit, 1500);
    // eslint-disable-next-line no-console
    console.log(`abort during backoff: exit ${outcome === "pending" ? "still pending" : "settled"} after ${Date.now() - t0} ms`);
    await within(shell.exit, 6000);
    expect(outcome).not.toBe("pending");
  });

  test("(was a defect) detach() during the backoff settles exit, but the backoff timer stays armed (ref'd) and holds the process", async () => {
    const s = await droppingServer();
    // the backoff sleep is the only timer of 3–5 s the shell arms
    const armed: NodeJS.Timeout[] = [];
    const real = global.setTimeout;
    const spy = jest.spyOn(global, "setTimeout").mockImplementation(((fn: () => void, ms?: number, ...args: unknown[]) => {
      const t = real(fn, ms, ...args) as unknown as NodeJS.Timeout;
      if (typeof ms === "number" && ms >= 2900 && ms <= 5100) armed.push(t);
      return t;
    }) as unknown as typeof setTimeout);
    try {
      const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 4000 } });
      await sleep(400);
      expect(armed.length).toBe(1);
      await shell.detach();
      await expect(shell.exit).rejects.toBeInstanceOf(AbortError);
      const backoff = armed[0]! as NodeJS.Timeout & { _destroyed?: boolean };
      // eslint-disable-next-line no-console
      console.log(`detach during backoff: exit settled; backoff timer still armed: ${!backoff._destroyed}, ref'd: ${backoff.hasRef()}`);
      expect(!backoff._destroyed && backoff.hasRef()).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("(was a defect) timers with huge values fire at once (setTimeout overflow)", () => {
  test("(was a defect) heartbeatIntervalMs 2^31 (24.8 days) sends a heartbeat every millisecond", async () => {
    let beats = 0;
    const s = await server((ws) => {
      ws.send(STATUS_OK());
      ws.on("message", (d: Buffer) => {
        if (d[0] === 5) beats++;
      });
    });
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 2 ** 31, reconnect: false });
    await sleep(500);
    // eslint-disable-next-line no-console
    console.log(`heartbeatIntervalMs 2^31: ${beats} heartbeats in 500 ms`);
    await shell.detach();
    expect(beats).toBe(0);
  });

  test("(was a defect) reconnect.baseDelayMs/maxDelayMs of 4e9 ms reconnect after 1 ms", async () => {
    const s = await server((ws, i) => {
      ws.send(STATUS_OK(i > 0));
      if (i === 0) setTimeout(() => ws.terminate(), 50);
    });
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 4e9, maxDelayMs: 4e9 } });
    await sleep(800);
    const connections = s.sockets.length;
    await shell.detach();
    expect(connections).toBe(1);
  });
});

describe("(was a defect) a shell that is never confirmed hangs forever", () => {
  test("(was a defect) the upgrade succeeds but no STATUS ever comes: openShell never settles, even with connectionTimeout", async () => {
    const s = await server(() => undefined);
    const controller = new AbortController();
    const pending = openShell(s.client({ connectionTimeout: 300 }), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { signal: controller.signal, heartbeatIntervalMs: 0 });
    const outcome = await within(pending, 2500);
    controller.abort();
    await within(pending, 3000);
    expect(outcome).not.toBe("pending");
  });

  test("(was a defect) a reconnect whose upgrade succeeds but is never confirmed stalls the retry loop: no further attempt, exit never settles", async () => {
    const s = await server((ws, i) => {
      if (i === 0) {
        ws.send(STATUS_OK());
        setTimeout(() => ws.terminate(), 50);
      }
      // later connections: upgraded, never confirmed
    });
    const shell = await openShell(s.client({ connectionTimeout: 300 }), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 20, maxDelayMs: 50 } });
    const outcome = await within(shell.exit, 4000);
    const attempts = s.sockets.length - 1;
    // eslint-disable-next-line no-console
    console.log(`unconfirmed reconnect: ${attempts} reconnect attempt(s), exit ${outcome === "pending" ? "pending" : "settled"}`);
    await shell.detach().catch(() => undefined);
    expect(outcome).not.toBe("pending");
  });
});

describe("(was a defect) a dead peer is never detected", () => {
  test("(was a defect) shell: heartbeats go unanswered (peer stopped reading) and nothing happens: no reconnect, exit pending", async () => {
    const s = await server((ws, i) => {
      ws.send(STATUS_OK(i > 0));
      if (i === 0) setTimeout(() => rawSocket(ws).pause(), 100); // a dead peer: no echo, no FIN
      else ws.on("message", (d: Buffer) => d[0] === 5 && ws.send(d));
    });
    const reconnects: number[] = [];
    const shell = await openShell(
      s.client(),
      { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" },
      { heartbeatIntervalMs: 50, reconnect: { baseDelayMs: 20 }, onReconnect: ({ attempt }) => reconnects.push(attempt) },
    );
    const outcome = await within(shell.exit, 3000);
    const connections = s.sockets.length;
    shell.detach().catch(() => undefined);
    // 60 heartbeats without an echo: expected a drop detected and a reconnect (or a typed error)
    expect(outcome !== "pending" || connections > 1).toBe(true);
  });

});

describe("(was a defect) an exit STATUS with only a Signal cause", () => {
  test("(was a defect) {reason: Signal, message: SIGTERM} without an ExitCode cause gives exitCode 1, not 143 (128 + 15)", async () => {
    const s = await server((ws) => {
      ws.send(STATUS_OK());
      setTimeout(() => {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: { shellId: "s8" }, status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "Signal", message: "SIGTERM" }] } }))]));
        ws.close(1000, "Shell exited");
      }, 50);
    });
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0 });
    await expect(shell.exit).resolves.toEqual({ exitCode: 143, signal: "SIGTERM" });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// What is right
// ---------------------------------------------------------------------------------------------------------------

describe("stays right: /ws", () => {
  test("a fast server and a slow consumer: with small messages the client pauses its socket (the server's buffer grows), all messages arrive in order", async () => {
    const total = 4000;
    let server: WebSocket | undefined;
    const s = await server_((ws) => {
      server = ws;
      for (let i = 0; i < total; i++) ws.send(`m${i}:${"x".repeat(4000)}`);
    });
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    await sleep(500);
    expect(server!.bufferedAmount).toBeGreaterThan(0); // backpressure reached the server
    let i = 0;
    for await (const m of conn) {
      expect((m as string).startsWith(`m${i}:`)).toBe(true);
      if (++i === total) break;
    }
    expect(i).toBe(total);
  });

  test("a server close is typed: 1011, 1008, 4123 with code and reason on WebSocketClosedError and `closed`; 1000 ends normally", async () => {
    for (const [code, reason] of [
      [1011, "agent error"],
      [1008, "frame rate"],
      [4123, "custom"],
    ] as const) {
      const s = await server_((ws) => setTimeout(() => ws.close(code, reason), 20));
      const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
      const e = await (async () => {
        for await (const _ of conn) void _;
      })().catch((err) => err);
      expect(e).toBeInstanceOf(WebSocketClosedError);
      expect(e).toMatchObject({ code, reason });
      expect(await conn.closed).toEqual({ code, reason });
      await s.close();
    }
    const normal = await server_((ws) => {
      ws.send("bye");
      ws.close(1000, "done");
    });
    const conn = await connectWebSocket(normal.client(), { runtimeArn: ARN, sessionId: sessionId() });
    const got: unknown[] = [];
    for await (const m of conn) got.push(m);
    expect(got).toEqual(["bye"]);
  });

  test("sending after close and close() twice: a typed error, no crash; aborting while open ends the iteration with AbortError", async () => {
    const s = await server_((ws) => ws.on("message", (d, b) => ws.send(d, { binary: b })));
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    conn.close();
    conn.close();
    expect(() => conn.send("late")).toThrow(WebSocketClosedError);
    expect(await conn.closed).toMatchObject({ code: 1000 });
    expect(() => conn.send("later")).toThrow(WebSocketClosedError);

    const controller = new AbortController();
    const live = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const e = await (async () => {
      for await (const _ of live) void _;
    })().catch((err) => err);
    expect(e).toBeInstanceOf(AbortError);
  });

  test("a text message fragmented inside a multi-byte character arrives whole (no U+FFFD)", async () => {
    const text = Buffer.from("héllo → 世界 🎉");
    const s = await server_((ws) => {
      // split inside "🎉" (4 bytes) across two fragments of one message
      const cut = text.byteLength - 2;
      ws.send(text.subarray(0, cut), { binary: false, fin: false });
      ws.send(text.subarray(cut), { binary: false, fin: true });
      ws.close(1000);
    });
    const conn = await connectWebSocket(s.client(), { runtimeArn: ARN, sessionId: sessionId() });
    const got: unknown[] = [];
    for await (const m of conn) got.push(m);
    expect(got).toEqual(["héllo → 世界 🎉"]);
  });

  test("200 concurrent connections to the emulator with default settings; after close no socket or timer is left", async () => {
    const emulator: Emulator = await startEmulator({ port: 0 });
    const client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
    try {
      const before = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "Timeout").length;
      const conns = await Promise.all(Array.from({ length: 200 }, () => connectWebSocket(client, { runtimeArn: emulator.runtimeArn })));
      await Promise.all(
        conns.map(async (c, i) => {
          c.send(`hi ${i}`);
          for await (const m of c) {
            expect(m).toBe(JSON.stringify({ echo: `hi ${i}` }));
            break;
          }
        }),
      );
      await Promise.all(conns.map((c) => c.closed));
      await sleep(100);
      const after = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "Timeout").length;
      expect(after).toBeLessThanOrEqual(before);
    } finally {
      client.destroy();
      await emulator.close();
    }
  });
});

describe("stays right: shells", () => {
  test("a drop (1006) mid-output: the replay (re-chunked, bytes split inside UTF-8 characters) is delivered once, without gaps; the size is sent again", async () => {
    const resizes: [number, string][] = [];
    const all = Buffer.from("première ligne → 世界\r\nsecond 🎉 line\r\nthird\r\n");
    const firstPart = all.subarray(0, 13); // cut inside "→"
    const s = await server_((ws, i) => {
      ws.on("message", (d: Buffer) => d[0] === 4 && resizes.push([i, d.subarray(1).toString()]));
      if (i === 0) {
        ws.send(STATUS_OK());
        ws.send(stdout(firstPart.subarray(0, 5)));
        ws.send(stdout(firstPart.subarray(5)));
        setTimeout(() => ws.terminate(), 100);
      } else {
        ws.send(STATUS_OK(true));
        // the replay of everything so far, chunked differently, then the rest
        ws.send(stdout(all.subarray(0, 3)));
        ws.send(stdout(all.subarray(3, 30)));
        ws.send(stdout(all.subarray(30)));
      }
    });
    const reconnects: number[] = [];
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 20 }, onReconnect: ({ attempt }) => reconnects.push(attempt) });
    shell.resize(120, 40);
    const out = collect(shell);
    expect(await until(() => out.bytes().byteLength >= all.byteLength, 5000)).toBe(true);
    await sleep(50);
    expect(out.bytes().equals(all)).toBe(true);
    expect(new TextDecoder("utf-8", { fatal: true }).decode(out.bytes())).toBe(all.toString());
    expect(reconnects).toEqual([1]);
    const size = JSON.stringify({ width: 120, height: 40 });
    expect(resizes).toEqual([
      [0, size],
      [1, size],
    ]);
    await shell.detach();
  });

  test("4000 (taken over) ends the shell without reconnecting; 1000 with an exit STATUS resolves exit", async () => {
    const s = await server_((ws) => {
      ws.send(STATUS_OK());
      setTimeout(() => ws.close(4000, "Another client attached to this shell"), 50);
    });
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 10 } });
    const e = await shell.exit.catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    expect(e.code).toBe(4000);
    await sleep(200);
    expect(s.sockets.length).toBe(1);

    const exits = await server_((ws) => {
      ws.send(STATUS_OK());
      setTimeout(() => {
        ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: { shellId: "s8" }, status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "7" }] } }))]));
        ws.close(1000, "Shell exited");
      }, 20);
    });
    const second = await openShell(exits.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0 });
    await expect(second.exit).resolves.toEqual({ exitCode: 7 });
  });

  test("reconnect gives up after maxAttempts with a growing, capped, jittered backoff", async () => {
    const times: number[] = [];
    const s = await server_((ws, i) => {
      times.push(Date.now());
      if (i === 0) {
        ws.send(STATUS_OK());
        setTimeout(() => ws.terminate(), 100);
      } else ws.terminate(); // every reconnect dropped before it is confirmed
    });
    const shell = await openShell(s.client(), { runtimeArn: ARN, sessionId: sessionId(), shellId: "s8" }, { heartbeatIntervalMs: 0, reconnect: { baseDelayMs: 100, maxDelayMs: 300 } });
    const e = await shell.exit.catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    expect(times.length).toBe(6); // the first connection and 5 attempts
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const nominal = [100, 200, 300, 300, 300];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(nominal[i]! * 0.75 - 5);
      expect(g).toBeLessThan(nominal[i]! * 1.25 + (i === 0 ? 150 : 100));
    });
  });
});

// `server` is shadowed in one test above by a local variable; this alias keeps the helper reachable everywhere
const server_ = server;
