/**
 * The shared timeout timer behind every call's header and idle timeouts: each watchdog fires once, at its own
 * due time, whatever others are armed; a disarmed one never fires; and a process with only disarmed
 * watchdogs exits (the shared timer does not hold it).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Watchdog } from "../src/protocol/timers";
import { runNodeScript } from "./helpers/child";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a watchdog fires once after its wait; one disarmed in time never fires", async () => {
  const fired: string[] = [];
  const a = new Watchdog();
  const b = new Watchdog();
  a.arm(30, () => fired.push("a"));
  b.arm(30, () => fired.push("b"));
  await sleep(5);
  b.disarm();
  await sleep(80);
  expect(fired).toEqual(["a"]);
  a.close();
  b.close();
});

test("watchdogs armed in any order fire at their own due times, in due order", async () => {
  const started = performance.now();
  const fired: [string, number][] = [];
  const dogs = [
    ["long", 150],
    ["short", 20],
    ["middle", 80],
  ] as const;
  const watchdogs = dogs.map(([name, ms]) => {
    const w = new Watchdog();
    w.arm(ms, () => fired.push([name, performance.now() - started]));
    return w;
  });
  await sleep(250);
  expect(fired.map(([name]) => name)).toEqual(["short", "middle", "long"]);
  // the short one was armed after the long one aimed the timer: it still fired near its own 20 ms
  expect(fired[0][1]).toBeLessThan(120);
  expect(fired[2][1]).toBeGreaterThanOrEqual(145);
  watchdogs.forEach((w) => w.close());
});

test("re-arming restarts the wait; closing stops it for good", async () => {
  const fired: number[] = [];
  const w = new Watchdog();
  const started = performance.now();
  w.arm(60, () => fired.push(performance.now() - started));
  await sleep(40);
  w.arm(60, () => fired.push(performance.now() - started)); // a new wait: due 60 ms from now, not from the first arm
  await sleep(40);
  expect(fired).toEqual([]);
  await sleep(60);
  expect(fired).toHaveLength(1);
  expect(fired[0]).toBeGreaterThanOrEqual(95);
  w.close();
  w.arm(10, () => fired.push(-1));
  await sleep(40);
  expect(fired).toHaveLength(1);
});

test("watchdogs due in the same sweep: one disarmed or re-armed by an earlier one's function does not fire then", async () => {
  const fired: string[] = [];
  const first = new Watchdog();
  const disarmed = new Watchdog();
  const rearmed = new Watchdog();
  const plain = new Watchdog();
  // all four due at once; `first` is due earliest, so its function runs first in the sweep
  first.arm(20, () => {
    fired.push("first");
    disarmed.disarm();
    rearmed.arm(60, () => fired.push("rearmed, later"));
  });
  disarmed.arm(21, () => fired.push("disarmed"));
  rearmed.arm(21, () => fired.push("rearmed, now"));
  plain.arm(21, () => fired.push("plain"));
  await sleep(45);
  expect(fired).toEqual(["first", "plain"]);
  await sleep(80);
  expect(fired).toEqual(["first", "plain", "rearmed, later"]);
  [first, disarmed, rearmed, plain].forEach((w) => w.close());
});

test("many watchdogs armed and disarmed in any order: exactly the ones left armed fire, each once", async () => {
  const fired = new Map<number, number>();
  const dogs = Array.from({ length: 200 }, () => new Watchdog());
  dogs.forEach((w, i) => w.arm(30 + (i % 7), () => fired.set(i, (fired.get(i) ?? 0) + 1)));
  // disarm every third, from both ends and the middle, then re-arm every fifth of those
  const disarmed = dogs.map((_, i) => i).filter((i) => i % 3 === 0);
  for (const i of [...disarmed.slice(0, 20).reverse(), ...disarmed.slice(20)]) dogs[i].disarm();
  for (const i of disarmed.filter((i) => i % 5 === 0)) dogs[i].arm(30, () => fired.set(i, (fired.get(i) ?? 0) + 1));
  await sleep(120);
  const expected = dogs.map((_, i) => i).filter((i) => i % 3 !== 0 || i % 5 === 0);
  expect([...fired.keys()].sort((a, b) => a - b)).toEqual(expected);
  expect([...fired.values()].every((n) => n === 1)).toBe(true);
  dogs.forEach((w) => w.close());
});

test("Infinity never fires and a wait past 2^31-1 ms is accepted (no immediate overflow firing)", async () => {
  const fired: string[] = [];
  const inf = new Watchdog();
  const huge = new Watchdog();
  inf.arm(Infinity, () => fired.push("inf"));
  huge.arm(2 ** 31 + 5_000, () => fired.push("huge"));
  await sleep(50);
  expect(fired).toEqual([]);
  inf.close();
  huge.close();
});

test("a process whose calls are done exits although their idle timeout was 10 minutes", async () => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  // a child that makes calls with a 10-minute idle timeout and then simply ends: no destroy(), nothing left open
  const script = `
    const { RuntimeClient, InvokeCommand } = require("@agentcore-runtime/client");
    (async () => {
      const client = new RuntimeClient({ endpoint: "http://127.0.0.1:${port}", token: "tok-0123456789abcdef", idleTimeout: 600000 });
      for (let i = 0; i < 3; i++) await client.send(new InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", payload: {} }));
      console.log("done");
    })();
  `;
  const started = Date.now();
  // (not spawnSync: this process serves the child's calls meanwhile)
  const child = await runNodeScript(script);
  await new Promise<void>((r) => server.close(() => r()));
  expect([child.status, child.stdout.trim(), child.stderr]).toEqual([0, "done", ""]);
  expect(Date.now() - started).toBeLessThan(15_000);
});
