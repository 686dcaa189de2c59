/**
 * Pooled keep-alive connections of the default Node handler do not outlive their use: a connection left idle is
 * closed after 5 s, as Node's own global agent does (or 1 s before the server's announced Keep-Alive timeout).
 * They stayed open until the server closed them: after a burst of 100 concurrent calls, 100 idle sockets for as
 * long as the server allowed (load balancers: minutes), and one per client dropped without destroy(). Against a
 * real server on 127.0.0.1 that keeps idle connections for 2 minutes, counting the connections it holds.
 */
import http from "node:http";
import type net from "node:net";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";

const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij";
const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJpZGxlIn0.c2ln";

jest.setTimeout(30_000);

async function server(keepAliveSeconds: number) {
  const open = new Set<net.Socket>();
  const srv = http.createServer((req, res) => {
    req.resume();
    // the calls arrive together: each is answered a little later, so the burst needs as many connections
    req.on("end", () => setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'), 50));
  });
  srv.keepAliveTimeout = keepAliveSeconds * 1000;
  srv.on("connection", (s: net.Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`,
    open: () => open.size,
    close: () => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))),
  };
}

const invoke = (c: RuntimeClient) => c.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

test("after a burst of 100 concurrent calls, the idle connections are closed within a few seconds; a later call still works", async () => {
  const s = await server(120);
  const c = new RuntimeClient({ endpoint: s.url, token: TOKEN });
  try {
    await Promise.all(Array.from({ length: 100 }, () => invoke(c)));
    expect(s.open()).toBeGreaterThan(50);
    const started = Date.now();
    expect(await until(() => s.open() === 0, 15_000)).toBe(true);
    // closed by the client's idle timeout (5 s), not at once and not by the server (2 min)
    expect(Date.now() - started).toBeGreaterThan(3000);
    expect((await invoke(c)).statusCode).toBe(200);
  } finally {
    c.destroy();
    await s.close();
  }
});

test("clients dropped without destroy() do not keep their connections open", async () => {
  const s = await server(120);
  try {
    for (let i = 0; i < 20; i++) await invoke(new RuntimeClient({ endpoint: s.url, token: TOKEN }));
    expect(s.open()).toBe(20);
    expect(await until(() => s.open() === 0, 15_000)).toBe(true);
  } finally {
    await s.close();
  }
});

test("a server that announces a short Keep-Alive timeout: the idle connection is closed before the server would", async () => {
  const s = await server(3);
  const c = new RuntimeClient({ endpoint: s.url, token: TOKEN });
  try {
    await invoke(c);
    const started = Date.now();
    expect(await until(() => s.open() === 0, 10_000)).toBe(true);
    // 1 s before the announced 3 s (the server itself would close at 3 s)
    expect(Date.now() - started).toBeLessThan(2900);
  } finally {
    c.destroy();
    await s.close();
  }
});

test("a stream silent for longer than the idle-socket time is not cut, on a new connection or a reused one", async () => {
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write('data: "one"\n\n');
      setTimeout(() => res.end('data: "two"\n\n'), 5600);
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, token: TOKEN });
  try {
    const { InvokeStreamCommand } = await import("@agentcore-runtime/client");
    for (let i = 0; i < 2; i++) {
      const out = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
      const texts: string[] = [];
      for await (const e of out.stream) texts.push(e.text);
      expect([i, texts]).toEqual([i, ["one", "two"]]);
    }
  } finally {
    c.destroy();
    await new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r())));
  }
});
