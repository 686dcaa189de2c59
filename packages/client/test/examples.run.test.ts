import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { readSSE } from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { foreverAgent, until } from "./helpers/agents";

// Every script in examples/ runs as a user would run it (node, env vars AGENT_ARN, AGENTCORE_TOKEN,
// BEDROCK_AGENTCORE_DP_ENDPOINT) against the emulator, importing the built package.

const ROOT = path.resolve(__dirname, "../../..");
const run = promisify(execFile);
let emulator: Emulator;
let env: NodeJS.ProcessEnv;
const aborted: string[] = [];

beforeAll(async () => {
  // a concurrent build empties dist for a moment
  const started = Date.now();
  while (!fs.existsSync(path.join(ROOT, "packages/client/dist/index.mjs"))) {
    if (Date.now() - started > 30_000) throw new Error("packages/client/dist is missing: run `npx tsup` first");
    await new Promise((r) => setTimeout(r, 200));
  }
  emulator = await startEmulator({
    port: 0,
    exec: true,
    agent: foreverAgent({ aborted }),
  });
  env = { PATH: process.env.PATH, AGENT_ARN: emulator.runtimeArn, AGENTCORE_TOKEN: await emulator.issueToken(), BEDROCK_AGENTCORE_DP_ENDPOINT: emulator.url };
});
afterAll(() => emulator?.close());

/** Starts a server example on a free port and resolves with its URL once it prints it. */
async function startExample(file: string): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [path.join(ROOT, "examples", file)], { env: { ...env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (c) => {
      stdout += c;
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`${file} exited with ${code} before listening: ${stderr}`)));
  });
  return { url, child, stderr: () => stderr };
}

async function stopExample(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

describe("examples/proxy-node.mjs", () => {
  let server: Awaited<ReturnType<typeof startExample>>;
  beforeAll(async () => {
    server = await startExample("proxy-node.mjs");
  }, 30_000);
  afterAll(() => stopExample(server.child));

  test("a browser-style client reads the agent's reply, and its error, with readSSE", async () => {
    const response = await fetch(`${server.url}/chat?prompt=${encodeURIComponent("through the proxy")}`);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const texts: string[] = [];
    for await (const event of readSSE(response)) texts.push(event.text);
    expect(texts.join("")).toBe("You said: through the proxy");

    const failing = readSSE(await fetch(`${server.url}/chat?prompt=fail`));
    await expect((async () => {
      for await (const _ of failing);
    })()).rejects.toMatchObject({ name: "ValueError" });
  });

  test("a browser that goes away cancels the agent's stream", async () => {
    const session = `example-proxy-forever-${Date.now()}-0123456789abcdef`;
    const abort = new AbortController();
    const response = await fetch(`${server.url}/chat?prompt=forever&session=${session}`, { signal: abort.signal });
    const events = readSSE(response)[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ text: "tick 0 " });
    abort.abort();
    await until(() => aborted.includes(session), "the emulator to see the stream cancelled");
  });
});

describe("examples/route-handler.mjs", () => {
  let server: Awaited<ReturnType<typeof startExample>>;
  beforeAll(async () => {
    server = await startExample("route-handler.mjs");
  }, 30_000);
  afterAll(() => stopExample(server.child));

  const post = (body: unknown, signal?: AbortSignal) => fetch(`${server.url}/api/chat`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, signal });

  test("POST /api/chat streams the reply as SSE", async () => {
    const response = await post({ prompt: "through a route" });
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const texts: string[] = [];
    for await (const event of readSSE(response)) texts.push(event.text);
    expect(texts.join("")).toBe("You said: through a route");
  });

  test("a browser that goes away cancels the agent's stream", async () => {
    const session = `example-route-forever-${Date.now()}-0123456789abcdef`;
    const abort = new AbortController();
    const events = readSSE(await post({ prompt: "forever", sessionId: session }, abort.signal))[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ text: "tick 0 " });
    abort.abort();
    await until(() => aborted.includes(session), "the emulator to see the stream cancelled");
  });
});

test("examples/middleware.mjs times the call and its header reaches the agent", async () => {
  const { stdout } = await run(process.execPath, [path.join(ROOT, "examples/middleware.mjs")], { env: { ...env, TENANT: "tenant-42" }, timeout: 30_000 });
  expect(stdout).toMatch(/^InvokeCommand ok in \d+ ms, 1 attempt\(s\)$/m);
  expect(stdout).toContain("reply: You said: timed");
  expect(stdout).toContain("tenant header seen by the agent: tenant-42");
  const last = emulator.requests.filter((r) => r.op === "invocations").at(-1)!;
  expect(last.headers["x-amzn-bedrock-agentcore-runtime-custom-tenant"]).toBe("tenant-42");
});

test("examples/commands.mjs runs its checks in one session and exits 0", async () => {
  const { stdout } = await run(process.execPath, [path.join(ROOT, "examples/commands.mjs")], { env, timeout: 60_000 }).catch((e) => {
    throw new Error(`commands.mjs failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  });
  expect(stdout).not.toContain("FAIL");
  expect(stdout.match(/^ok /gm)).toHaveLength(4);
  expect(stdout.trim().split("\n").at(-1)).toBe("all checks passed");
  const sessions = new Set(emulator.requests.filter((r) => r.op === "commands").map((r) => r.sessionId));
  expect(sessions.size).toBe(1);
  expect(emulator.requests.filter((r) => r.op === "stopruntimesession").at(-1)?.status).toBe(200);
}, 60_000);
