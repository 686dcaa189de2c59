import { Readable } from "node:stream";
import { ExecuteCommandStreamCommand, InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { openBody, readAll } from "../src/protocol/body";
import { frame } from "./helpers/resilience";
import { ARN, SESSION, startServer, TOKEN } from "./helpers/server";

/**
 * How a Node response body is queued: a small body is taken whole as it arrived (no pause/resume per chunk,
 * no promise per chunk), and a body the caller does not read fast enough still pauses its stream, so a fast
 * server is held back by TCP rather than buffered in memory.
 */
const KiB = 1024;
const MiB = 1024 * KiB;
const tick = () => new Promise((r) => setImmediate(r));

test("a small body that has arrived is taken at once, chunk by chunk, then the end", async () => {
  const stream = new Readable({ read() {} });
  const body = openBody(stream);
  expect(body.take!()).toBeUndefined(); // nothing yet
  stream.push(Buffer.from("ab"));
  stream.push(Buffer.from("cd"));
  stream.push(null);
  await tick();
  expect(stream.isPaused()).toBe(false);
  expect(Buffer.from(body.take!()!).toString()).toBe("ab");
  expect(Buffer.from(body.take!()!).toString()).toBe("cd");
  expect(body.take!()).toBeNull();
  // the body is finished: read() agrees, and take() no longer answers for it
  await expect(body.read()).resolves.toBeUndefined();
  expect(body.take!()).toBeUndefined();
});

test("readAll takes what arrived and waits only for the rest", async () => {
  const stream = new Readable({ read() {} });
  const body = openBody(stream);
  stream.push(Buffer.from("first "));
  await tick();
  const all = readAll(body);
  stream.push(Buffer.from("second"));
  stream.push(null);
  expect(Buffer.from(await all).toString()).toBe("first second");
});

test("a failed stream is reported by read(), never taken as an end", async () => {
  const stream = new Readable({ read() {} });
  const body = openBody(stream);
  stream.push(Buffer.from("partial"));
  await tick();
  stream.destroy(Object.assign(new Error("reset by peer"), { code: "ECONNRESET" }));
  await tick();
  expect(Buffer.from(body.take!()!).toString()).toBe("partial");
  expect(body.take!()).toBeUndefined();
  await expect(readAll(body)).rejects.toMatchObject({ name: "NetworkError", code: "ECONNRESET" });
});

test("an unread body pauses its stream past 64 KiB and resumes once the reader catches up", async () => {
  const stream = new Readable({ read() {}, highWaterMark: 1 });
  const body = openBody(stream);
  for (let i = 0; i < 3; i++) stream.push(Buffer.alloc(32 * KiB, i));
  await tick();
  expect(stream.isPaused()).toBe(true);
  // reading one chunk leaves 64 KiB queued: still paused; the next read brings it under half and resumes
  expect((await body.read())![0]).toBe(0);
  expect(stream.isPaused()).toBe(true);
  expect((await body.read())![0]).toBe(1);
  expect(stream.isPaused()).toBe(false);
  stream.push(null);
  expect((await body.read())![0]).toBe(2);
  await expect(body.read()).resolves.toBeUndefined();
});

test("over HTTP, a stream the caller stops reading holds the server back (no unbounded buffering)", async () => {
  let written = 0;
  let blocked = false;
  const server = await startServer(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
    const delta = frame({ contentDelta: { stdout: "x".repeat(60 * KiB) } });
    res.write(frame({ contentStart: {} }));
    while (written < 64 * MiB && !res.destroyed) {
      written += delta.length;
      if (!res.write(delta)) {
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
    res.end(frame({ contentStop: { exitCode: 0, status: "COMPLETED" } }));
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  try {
    const out = await client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, sessionId: SESSION, command: "yes" }));
    const events = out.stream[Symbol.asyncIterator]();
    await events.next();
    // the caller stops reading: the server must be blocked on TCP with a bounded amount in flight
    await new Promise((r) => setTimeout(r, 500));
    const inFlight = written;
    await new Promise((r) => setTimeout(r, 300));
    expect(blocked).toBe(true);
    expect(written).toBe(inFlight);
    // socket buffers on both sides plus the reader's queue: a few MiB at most, nowhere near the 64 MiB on offer
    expect(written).toBeLessThan(16 * MiB);
    await events.return?.();
  } finally {
    client.destroy();
    await server.close();
  }
});

test("many small JSON responses in a row arrive whole and intact", async () => {
  const server = await startServer((req, res) => {
    const n = Number(new URL(req.url!, "http://x").searchParams.get("qualifier")?.slice(1) ?? 0);
    res.writeHead(200, { "content-type": "application/json" });
    // the body in two writes: the second may arrive in a later socket read than the first
    res.write(`{"n":${n},"pad":"`);
    setImmediate(() => res.end(`${"p".repeat(n * 37)}"}`));
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  try {
    for (let n = 0; n < 60; n++) {
      const out = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, qualifier: `q${n}`, payload: {} }));
      expect(out.json).toEqual({ n, pad: "p".repeat(n * 37) });
    }
  } finally {
    client.destroy();
    await server.close();
  }
});
