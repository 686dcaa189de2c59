/**
 * One long-lived signal (a server's shutdown signal) shared by many WebSockets and shells, as it is by many
 * `send()` calls: the real-time code added a listener per connection (and per connect in progress, and per
 * reconnect wait), so more than ten connections printed Node's MaxListenersExceededWarning and the listener count
 * grew with the connections. It now goes through the hub `send()` uses: one listener on the signal. Against the
 * emulator on 127.0.0.1.
 */
import { getEventListeners } from "node:events";
import { AbortError, connectWebSocket, openShell, RuntimeClient, type ShellSession, type WebSocketConnection } from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

let emulator: Emulator;
let client: RuntimeClient;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, exec: true, maxShellsPerSession: 20 });
  client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
  process.on("warning", onWarning);
});
afterAll(async () => {
  process.off("warning", onWarning);
  client.destroy();
  await emulator.close();
});

let n = 0;
const sessionId = () => `shared-signal-session-${String(++n).padStart(4, "0")}-0123456789ab`;

test("40 WebSockets on one signal: one abort listener while open, none after, no warning; the abort ends every one", async () => {
  const controller = new AbortController();
  const { signal } = controller;
  const connections: WebSocketConnection[] = [];
  for (let i = 0; i < 40; i++) connections.push(await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, sessionId: sessionId() }, { signal }));
  expect(getEventListeners(signal, "abort")).toHaveLength(1);
  // each still works
  connections[39].send("last");
  for await (const m of connections[39]) {
    expect(m).toBe(JSON.stringify({ echo: "last" }));
    break;
  }
  controller.abort();
  const ends = await Promise.all(
    // (the last one was iterated already: a second iteration is refused)
    connections.slice(0, 39).map(async (c) => {
      try {
        for await (const _ of c) void _;
        return "ended";
      } catch (e) {
        return (e as Error).name;
      }
    }),
  );
  expect(new Set(ends)).toEqual(new Set([AbortError.name]));
  expect((await connections[39].closed).code).toBe(1000);
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
  expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
});

test("40 WebSockets opened and closed one by one on one signal leave no listener", async () => {
  const { signal } = new AbortController();
  for (let i = 0; i < 40; i++) {
    const c = await connectWebSocket(client, { runtimeArn: emulator.runtimeArn, sessionId: sessionId() }, { signal });
    c.close();
    await c.closed;
  }
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
});

test("15 shells on one signal: one abort listener; the abort detaches them all", async () => {
  const controller = new AbortController();
  const { signal } = controller;
  const session = sessionId();
  const shells: ShellSession[] = [];
  for (let i = 0; i < 15; i++) shells.push(await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session }, { signal, heartbeatIntervalMs: 0 }));
  expect(getEventListeners(signal, "abort")).toHaveLength(1);
  controller.abort();
  const outcomes = await Promise.all(shells.map((s) => s.exit.then(() => "exited", (e: Error) => e.name)));
  expect(new Set(outcomes)).toEqual(new Set([AbortError.name]));
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
  expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
});
