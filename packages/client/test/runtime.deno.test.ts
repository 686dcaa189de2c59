/**
 * The client in Deno 2 (the `deno` devDependency), imported as a Deno application does: the bare specifier through
 * the package's exports (Deno takes the "node" condition), against the emulator and purpose-built servers on
 * 127.0.0.1 in this process. An outside review found, each failing here before its fix:
 * - Deno's node:http sent a request a second time, on a new connection, when the client destroyed it on a pooled
 *   connection before the response (a call ended by `requestTimeout`, its deadline or its signal): the agent ran
 *   twice while the caller got RequestTimeoutError with `attempts: 1`. In Deno the default handler is now fetch;
 * - without env access, `new RuntimeClient({ token })` threw Deno's untyped `NotCapable` (reading
 *   BEDROCK_AGENTCORE_DP_ENDPOINT), or asked on the terminal;
 * - Deno's WebSocket reports close code 0 for a connection dropped without a close frame: the client passed 0 on
 *   (no retry rule, no shell reconnect knew it) where a drop is 1006.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { WebSocketServer } from "ws";
import { startEmulator, type Emulator } from "../../emulator/src";
import { lastJsonLine, runProgram } from "./helpers/child";

const ROOT = path.resolve(__dirname, "../../..");
const DENO = path.join(ROOT, "node_modules/.bin/deno");
// Deno resolves the bare specifier from the repository's package.json and node_modules, as an application's own
const SCRIPTS = path.join(ROOT, ".tmp/deno-tests");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The script's last stdout line, parsed. */
  result: any;
}

/** Runs `body` (top-level await, `args` in scope) as a Deno module with `flags`; resolves with what it printed. */
async function deno(name: string, body: string, flags: string[], args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  fs.mkdirSync(SCRIPTS, { recursive: true });
  const file = path.join(SCRIPTS, `${name}.mjs`);
  fs.writeFileSync(file, `const args = Deno.args;\n${body}\n`);
  const run = await runProgram(DENO, ["run", "--no-prompt", ...flags, file, ...args], { env: { NO_COLOR: "1", ...env } });
  return { ...run, result: lastJsonLine(run.stdout) };
}

const NET = "--allow-net=127.0.0.1";

let emulator: Emulator;
let token: string;
beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, "packages/client/dist/index.mjs"))) throw new Error("packages/client/dist is missing: run `npm run build` first");
  emulator = await startEmulator({ host: "127.0.0.1", port: 0 });
  token = await emulator.issueToken();
});
afterAll(async () => {
  await emulator?.close();
  fs.rmSync(SCRIPTS, { recursive: true, force: true });
});

test("Deno runs every command against the emulator: JSON, an SSE stream, a command's event stream, stop", async () => {
  const run = await deno(
    "commands",
    `import { RuntimeClient, InvokeCommand, InvokeStreamCommand, ExecuteCommandCommand, StopSessionCommand } from "@agentcore-runtime/client";
const [endpoint, token, runtimeArn] = args;
const client = new RuntimeClient({ endpoint, token });
const sessionId = "deno-session-" + "x".repeat(30);
const json = await client.send(new InvokeCommand({ runtimeArn, sessionId, accept: "application/json", payload: { prompt: "hello from deno" } }));
const stream = await client.send(new InvokeStreamCommand({ runtimeArn, sessionId, payload: { prompt: "one two three four" } }));
const words = [];
for await (const event of stream.stream) words.push(event.text);
const exec = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "echo hi" }));
const stop = await client.send(new StopSessionCommand({ runtimeArn, sessionId }));
client.destroy();
console.log(JSON.stringify({ json: json.json, words, exec: { exitCode: exec.exitCode, status: exec.status, stdout: exec.stdout }, stop: stop.statusCode }));`,
    [NET],
    [emulator.url, token, emulator.runtimeArn],
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.result.json).toEqual({ response: "You said: hello from deno", sessionId: "deno-session-" + "x".repeat(30) });
  expect(run.result.words).toEqual(["You ", "said: ", "one ", "two ", "three ", "four"]);
  expect(run.result.exec).toEqual({ exitCode: 0, status: "COMPLETED", stdout: "hi\n" });
  expect(run.result.stop).toBe(200);
});

test("a call ended by requestTimeout on a pooled connection reaches the server once (Deno's node:http sent it again)", async () => {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      const reply = () => {
        if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      };
      if (body.includes("slow")) setTimeout(reply, 1_200);
      else reply();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const run = await deno(
      "abandoned",
      `import { RuntimeClient, InvokeCommand } from "@agentcore-runtime/client";
const [endpoint] = args;
const client = new RuntimeClient({ endpoint, token: "t".repeat(24), maxAttempts: 1 });
const runtimeArn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-abcdefghij";
await client.send(new InvokeCommand({ runtimeArn, payload: { n: "fast" } })); // pools a keep-alive connection
let error;
try {
  await client.send(new InvokeCommand({ runtimeArn, payload: { n: "slow" } }), { requestTimeout: 300 });
} catch (e) {
  error = { name: e.name, attempts: e.$metadata?.attempts };
}
await new Promise((r) => setTimeout(r, 2_000)); // a second request would have been answered by now
client.destroy();
console.log(JSON.stringify({ error }));`,
      [NET],
      [url],
    );
    expect(run.status).toBe(0);
    expect(run.result.error).toEqual({ name: "RequestTimeoutError", attempts: 1 });
    expect(bodies.filter((b) => b.includes("slow"))).toHaveLength(1);
    expect(bodies).toHaveLength(2);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("without env access a client is constructed (the endpoint variable is left unread); with it, BEDROCK_AGENTCORE_DP_ENDPOINT is the endpoint", async () => {
  const body = `import { RuntimeClient } from "@agentcore-runtime/client";
let out;
try {
  const client = new RuntimeClient({ token: "t".repeat(24) });
  out = { endpoint: client.config.endpoint ?? null };
} catch (e) {
  out = { threw: e.name + ": " + e.message };
}
console.log(JSON.stringify(out));`;
  const denied = await deno("env-denied", body, [NET], [], { BEDROCK_AGENTCORE_DP_ENDPOINT: "http://127.0.0.1:9" });
  expect(denied.result).toEqual({ endpoint: null });
  const allowed = await deno("env-allowed", body, [NET, "--allow-env=BEDROCK_AGENTCORE_DP_ENDPOINT"], [], { BEDROCK_AGENTCORE_DP_ENDPOINT: "http://127.0.0.1:9" });
  expect(allowed.result).toEqual({ endpoint: "http://127.0.0.1:9" });
});

test("Deno's own WebSocket: a connection dropped without a close frame ends as 1006, not Deno's code 0", async () => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  wss.on("connection", (socket) => {
    socket.send("hello");
    // a drop: the TCP connection ends without a close frame
    setTimeout(() => socket.terminate(), 100);
  });
  await new Promise<void>((r) => wss.on("listening", () => r()));
  const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  try {
    const run = await deno(
      "ws-drop",
      `import { RuntimeClient, connectWebSocket } from "@agentcore-runtime/client";
const [endpoint] = args;
const client = new RuntimeClient({ endpoint, token: "t".repeat(24) });
const connection = await connectWebSocket(client, { runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-abcdefghij" }, { WebSocket: globalThis.WebSocket });
const messages = [];
let error;
try {
  for await (const message of connection) messages.push(message);
} catch (e) {
  error = { name: e.name, code: e.code };
}
client.destroy();
console.log(JSON.stringify({ messages, error }));`,
      [NET],
      [url],
    );
    expect(run.status).toBe(0);
    expect(run.result).toEqual({ messages: ["hello"], error: { name: "WebSocketClosedError", code: 1006 } });
  } finally {
    wss.close();
  }
});
