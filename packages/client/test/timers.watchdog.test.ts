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
