/**
 * The light abort state and the shared timeout timer, where they meet user code: a middleware's own signal
 * in place of context.signal, readSSE on a long-lived signal, a throwing timeout callback, fake timers, a
 * listener removed while an abort runs, and a streamed request body from a middleware.
 */
import { getEventListeners } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { HttpRequest } from "@smithy/protocol-http";
import { InvokeCommand, readSSE, RuntimeClient } from "@agentcore-runtime/client";
import { Abort, CallList } from "../src/protocol/abort";
import { Watchdog } from "../src/protocol/timers";
import { ARN, TOKEN } from "./helpers/server";
import { rejectionOf } from "./helpers/resilience";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: http.Server;
let url: string;
const bodies: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(parts).toString());
      if (req.headers["x-test"] === "hang") return; // answered never: the client aborts
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

test("a middleware's own signal in place of context.signal aborts the call with its reason", async () => {
  const client = new RuntimeClient({ endpoint: url, token: TOKEN, maxAttempts: 1 });
  const mine = new AbortController();
  client.middlewareStack.add(
    (next, context: any) => (args) => {
      context.signal = AbortSignal.any([context.signal, mine.signal]);
      return next(args);
    },
    { step: "initialize", name: "ownSignal" },
  );
  const pending = rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {}, headers: { "x-test": "hang" } })));
  await sleep(50);
  const reason = new Error("the middleware's own reason");
  mine.abort(reason);
  expect(await pending).toBe(reason);
  // a call that finishes leaves no listener on the middleware's signal
  const after = new AbortController();
  const other = new RuntimeClient({ endpoint: url, token: TOKEN });
  other.middlewareStack.add(
    (next, context: any) => (args) => {
      context.signal = after.signal;
      return next(args);
    },
    { step: "initialize", name: "ownSignal" },
  );
  await other.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  expect(getEventListeners(after.signal, "abort")).toHaveLength(0);
  client.destroy();
  other.destroy();
});

test("readSSE leaves no listener on the caller's signal once a body is read", async () => {
  const controller = new AbortController();
  for (let i = 0; i < 20; i++) {
    const texts: string[] = [];
    for await (const event of readSSE(new Response(`data: "${i}"\n\n`), { signal: controller.signal })) texts.push(event.text);
    expect(texts).toEqual([String(i)]);
  }
  expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
});

test("a timeout callback that throws does not stop the others; the error still surfaces", async () => {
  const realSet = globalThis.setTimeout;
  const thrown: unknown[] = [];
  // a setTimeout that records what its callbacks throw (the shared timer picks up a new setTimeout at once)
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    realSet(() => {
      try {
        fn(...rest);
      } catch (e) {
        thrown.push(e);
      }
    }, ms)) as typeof setTimeout;
  const fired: string[] = [];
  const dogs = [new Watchdog(), new Watchdog(), new Watchdog()];
  try {
    dogs[0].arm(20, () => {
      throw new Error("boom");
    });
    dogs[1].arm(20, () => fired.push("same time"));
    dogs[2].arm(60, () => fired.push("later"));
    await sleep(150);
  } finally {
    globalThis.setTimeout = realSet;
    dogs.forEach((d) => d.close());
  }
  expect(fired).toEqual(["same time", "later"]);
  expect(thrown).toHaveLength(1);
  expect((thrown[0] as Error).message).toBe("boom");
});

test("fake timers and back: watchdogs follow whichever setTimeout is current", async () => {
  jest.useFakeTimers();
  const fired: string[] = [];
  const fake = new Watchdog();
  try {
    fake.arm(5, () => fired.push("fake"));
    jest.advanceTimersByTime(6);
    expect(fired).toEqual(["fake"]);
    // left pending on the fake clock when the suite goes back to real timers
    fake.arm(10, () => fired.push("never: closed"));
  } finally {
    fake.close();
    jest.useRealTimers();
  }
  const real = new Watchdog();
  real.arm(30, () => fired.push("real"));
  await sleep(120);
  real.close();
  expect(fired).toEqual(["fake", "real"]);
});

test("a listener removed while an abort runs the listeners does not make the next one miss it", () => {
  const abort = new Abort();
  const ran: string[] = [];
  const stopA = abort.listen(() => {
    ran.push("a");
    stopA();
  });
  abort.listen(() => ran.push("b"));
  abort.listen(() => ran.push("c"));
  abort.abort(new Error("stop"));
  expect(ran).toEqual(["a", "b", "c"]);
  // once aborted, a new listener runs at once
  abort.listen(() => ran.push("late"));
  expect(ran).toEqual(["a", "b", "c", "late"]);
});

test("listeners run once each, in the order they came, whichever were removed before the abort", () => {
  const abort = new Abort();
  const ran: string[] = [];
  const stop1 = abort.listen(() => ran.push("1"));
  const stop2 = abort.listen(() => ran.push("2"));
  abort.listen(() => ran.push("3"));
  stop1(); // the first one removed: later ones keep their order, and a new one comes after them
  abort.listen(() => ran.push("4"));
  stop2();
  stop2(); // removing twice changes nothing
  const stop5 = abort.listen(() => ran.push("5"));
  abort.abort(new Error("stop"));
  abort.abort(new Error("again")); // aborts once
  expect(ran).toEqual(["3", "4", "5"]);
  stop5(); // after the abort: nothing to remove, nothing runs
  expect(ran).toEqual(["3", "4", "5"]);

  // a lone listener removed, then another added: only the second runs
  const single = new Abort();
  const seen: string[] = [];
  const stopOnly = single.listen(() => seen.push("only"));
  stopOnly();
  single.listen(() => seen.push("next"));
  single.abort("why");
  expect(seen).toEqual(["next"]);
  expect(single.reason).toBe("why");
});

test("a streamed request body put in by a middleware is piped by the default Node handler", async () => {
  bodies.length = 0;
  const client = new RuntimeClient({ endpoint: url, token: TOKEN });
  client.middlewareStack.add(
    (next) => async (args: any) => {
      const request = args.request as HttpRequest;
      const text = '{"streamed":true}';
      request.headers["Content-Length"] = String(text.length);
      request.body = Readable.from([Buffer.from(text.slice(0, 5)), Buffer.from(text.slice(5))]);
      return next(args);
    },
    { step: "build", name: "streamBody" },
  );
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: { replaced: true } }));
  expect(out.json).toEqual({ ok: true });
  expect(bodies).toEqual(['{"streamed":true}']);
  client.destroy();
});

test("a request body the handler cannot send fails the call and keeps no connection", async () => {
  const client = new RuntimeClient({ endpoint: url, token: TOKEN, maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args: any) => {
      (args.request as HttpRequest).body = { not: "sendable" };
      return next(args);
    },
    { step: "build", name: "badBody" },
  );
  const open = () => new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
  await sleep(100); // the earlier tests' sockets close with their clients
  const before = await open();
  const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
  expect(error).toMatchObject({ name: "NetworkError" });
  await sleep(150);
  expect(await open()).toBe(before);
  client.destroy();
});

describe("a client's list of calls in flight", () => {
  const names = new WeakMap<Abort, string>();
  const call = (name: string) => {
    const abort = new Abort();
    names.set(abort, name);
    return abort;
  };
  const namesOf = (calls: Abort[]) => calls.map((c) => names.get(c));

  test.each([
    ["the newest, the oldest, one between", ["f", "a", "c"]],
    ["neighbours, one after the other", ["c", "d", "b"]],
    ["every other one", ["b", "d", "f"]],
    ["all but one", ["a", "b", "c", "e", "f"]],
  ])("removing %s leaves exactly the others, newest first", (_what, removed) => {
    const list = new CallList();
    const entries = new Map(["a", "b", "c", "d", "e", "f"].map((name) => [name, list.add(call(name))]));
    for (const name of removed) list.remove(entries.get(name)!);
    list.remove(entries.get(removed[0])!); // again: nothing changes
    const left = ["f", "e", "d", "c", "b", "a"].filter((name) => !removed.includes(name));
    expect(namesOf(list.drain())).toEqual(left);
    expect(list.drain()).toEqual([]);
    // removing after the drain changes nothing, and the list takes new calls
    for (const entry of entries.values()) list.remove(entry);
    list.add(call("g"));
    expect(namesOf(list.drain())).toEqual(["g"]);
  });
});
