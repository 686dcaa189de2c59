/**
 * examples/lambda-streaming.mjs, the Lambda response-streaming handler, run unchanged inside a stand-in for Lambda's
 * Node.js runtime and a function URL (helpers/lambda-runtime.mjs: the `awslambda` global, the response stream as a
 * chunked request to a Runtime API, the prelude + 8 NUL bytes framing, the function's timeout) against the emulator.
 * Checked: the bytes the function writes, what a caller of the function URL reads, and how the agent's stream
 * ends when the caller goes away (Lambda does not tell the function: the function's deadline ends it) or when the
 * response stream breaks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { readSSE } from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { startServer, type TestServer } from "./helpers/server";
import { foreverAgent, until } from "./helpers/agents";

const ROOT = path.resolve(__dirname, "../../..");
const EXAMPLE = path.join(ROOT, "examples/lambda-streaming.mjs");
const STANDIN = path.join(__dirname, "helpers/lambda-runtime.mjs");
const PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
const DELIMITER = Buffer.alloc(8);

interface Invocation {
  requestId: string;
  contentType?: string;
  raw: string;
  outcome: "ok" | "error" | "timeout";
  error?: string;
  handlerSettled?: "resolved" | "rejected";
  streamFinished?: boolean;
}

interface Runtime {
  url: string;
  child: ChildProcess;
  invocation(requestId: string): Promise<Invocation>;
  stderr(): string;
}

let emulator: Emulator;
let token: string;
const aborted: string[] = [];
const runtimes: Runtime[] = [];

/** A concurrent build empties dist for a moment: wait for it rather than fail on the race. */
async function waitForDist(): Promise<void> {
  const started = Date.now();
  while (!fs.existsSync(path.join(ROOT, "packages/client/dist/index.mjs"))) {
    if (Date.now() - started > 30_000) throw new Error("packages/client/dist is missing: run `npx tsup` first");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts the stand-in runtime serving the example behind a function URL. */
async function startRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  await waitForDist();
  const child = spawn(process.execPath, [STANDIN, EXAMPLE, "handler"], {
    env: { PATH: process.env.PATH, AGENT_ARN: emulator.runtimeArn, BEDROCK_AGENTCORE_DP_ENDPOINT: emulator.url, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const invocations = new Map<string, Invocation>();
  child.stderr!.on("data", (c) => (stderr += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (c) => {
      stdout += c;
      let nl: number;
      while ((nl = stdout.indexOf("\n")) >= 0) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        const listening = /^listening on (http:\/\/\S+)$/.exec(line);
        if (listening) resolve(listening[1]);
        if (line.startsWith("invocation ")) {
          const record = JSON.parse(line.slice("invocation ".length)) as Invocation;
          invocations.set(record.requestId, record);
        }
      }
    });
    child.on("exit", (code) => reject(new Error(`the stand-in runtime exited with ${code}: ${stderr}`)));
  });
  const runtime: Runtime = {
    url,
    child,
    stderr: () => stderr,
    async invocation(requestId) {
      await until(() => invocations.has(requestId), `invocation ${requestId} to finish`, 20_000);
      return invocations.get(requestId)!;
    },
  };
  runtimes.push(runtime);
  return runtime;
}

/** The function's bytes split as the function URL reads them: prelude, delimiter, body. */
function unframe(invocation: Invocation): { prelude: { statusCode: number; headers: Record<string, string> }; body: Buffer } {
  const raw = Buffer.from(invocation.raw, "base64");
  const at = raw.indexOf(DELIMITER);
  expect(at).toBeGreaterThan(0);
  return { prelude: JSON.parse(raw.subarray(0, at).toString("utf8")), body: raw.subarray(at + DELIMITER.length) };
}

async function texts(source: Response | Buffer): Promise<string> {
  const out: string[] = [];
  for await (const event of readSSE(source instanceof Response ? source : new Response(new Uint8Array(source)))) out.push(event.text);
  return out.join("");
}

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    agent: foreverAgent({ aborted }),
  });
  token = await emulator.issueToken();
});

afterAll(async () => {
  for (const { child } of runtimes) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  await emulator?.close();
});

describe("examples/lambda-streaming.mjs with a fixed token", () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({ AGENTCORE_TOKEN: token, LAMBDA_TIMEOUT_MS: "30000" });
  }, 30_000);

  test("GET ?prompt= streams the reply as SSE, framed with the function URL prelude", async () => {
    const response = await fetch(`${runtime.url}/?prompt=${encodeURIComponent("hello lambda")}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await texts(response)).toBe("You said: hello lambda");

    const invocation = await runtime.invocation(response.headers.get("x-amzn-requestid")!);
    expect(invocation).toMatchObject({ outcome: "ok", handlerSettled: "resolved", streamFinished: true, contentType: PRELUDE_CONTENT_TYPE });
    const raw = Buffer.from(invocation.raw, "base64");
    const { prelude, body } = unframe(invocation);
    expect(prelude).toEqual({ statusCode: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" } });
    // the prelude is the JSON text exactly, then 8 NUL bytes, then SSE
    expect(raw.subarray(0, raw.indexOf(DELIMITER)).toString("utf8")).toBe(JSON.stringify(prelude));
    expect(body.subarray(0, 5).toString("utf8")).toMatch(/^(data:|event|id:)/);
    expect(await texts(body)).toBe("You said: hello lambda");
    expect(body.includes(0)).toBe(false);
  });

  test("POST with a JSON body and a session id reaches the agent in that session", async () => {
    const sessionId = `lambda-example-post-${Date.now()}-0123456789abcdef`;
    const response = await fetch(runtime.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "posted", sessionId }) });
    expect(await texts(response)).toBe("You said: posted");
    const call = emulator.requests.filter((r) => r.op === "invocations").at(-1)!;
    expect(call.sessionId).toBe(sessionId);
    expect(call.headers.authorization).toBe(`Bearer ${token}`);
  });

  test("the agent's error reaches the caller as the same typed error, and the invocation still succeeds", async () => {
    const response = await fetch(`${runtime.url}/?prompt=fail`);
    const seen: string[] = [];
    await expect((async () => {
      for await (const event of readSSE(response)) seen.push(event.text);
    })()).rejects.toMatchObject({ name: "ValueError" });
    expect(seen.join("")).toBe("You said: fail");
    expect(await runtime.invocation(response.headers.get("x-amzn-requestid")!)).toMatchObject({ outcome: "ok", streamFinished: true });
  });

  test("a request without a prompt gets 400 JSON, its status in the prelude", async () => {
    const response = await fetch(`${runtime.url}/`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ error: "BadRequest" });
    const invocation = await runtime.invocation(response.headers.get("x-amzn-requestid")!);
    expect(invocation).toMatchObject({ outcome: "ok", streamFinished: true });
    const { prelude, body } = unframe(invocation);
    expect(prelude).toEqual({ statusCode: 400, headers: { "content-type": "application/json" } });
    expect(JSON.parse(body.toString("utf8"))).toMatchObject({ error: "BadRequest" });
  });

  test("an error before streaming is a JSON response with its status (a session id too short: 400)", async () => {
    const response = await fetch(`${runtime.url}/?prompt=x&session=short`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "InvalidParameterError" });
    const { prelude } = unframe(await runtime.invocation(response.headers.get("x-amzn-requestid")!));
    expect(prelude.statusCode).toBe(400);
  });
});

test("a caller that goes away: the function's deadline cancels the agent's stream and the stream ends cleanly", async () => {
  // as in Lambda, the stand-in tells the function nothing; the bytes it writes after the caller left are dropped
  const runtime = await startRuntime({ AGENTCORE_TOKEN: token, LAMBDA_TIMEOUT_MS: "5000" });
  const session = `lambda-example-deadline-${Date.now()}-0123456789abcdef`;
  const abort = new AbortController();
  const response = await fetch(`${runtime.url}/?prompt=forever&session=${session}`, { signal: abort.signal });
  const requestId = response.headers.get("x-amzn-requestid")!;
  const events = readSSE(response)[Symbol.asyncIterator]();
  expect((await events.next()).value).toMatchObject({ text: "tick 0 " });
  abort.abort();

  const invocation = await runtime.invocation(requestId);
  expect(aborted).toContain(session);
  // ended by the handler, a second before the timeout, not killed by it
  expect(invocation).toMatchObject({ outcome: "ok", handlerSettled: "resolved", streamFinished: true });
  const { body } = unframe(invocation);
  const ticks: string[] = [];
  await expect((async () => {
    for await (const event of readSSE(new Response(new Uint8Array(body)))) ticks.push(event.text);
  })()).rejects.toMatchObject({ name: "DeadlineExceededError" });
  expect(ticks.length).toBeGreaterThan(1);
  expect(ticks[0]).toBe("tick 0 ");
}, 30_000);

test("a response stream that breaks cancels the agent's stream at once, and the handler returns", async () => {
  // the Runtime API connection is reset when the caller goes away: what a broken response stream looks like
  const runtime = await startRuntime({ AGENTCORE_TOKEN: token, LAMBDA_TIMEOUT_MS: "60000", LAMBDA_ON_DISCONNECT: "reset" });
  const session = `lambda-example-reset-${Date.now()}-0123456789abcdef`;
  const abort = new AbortController();
  const response = await fetch(`${runtime.url}/?prompt=forever&session=${session}`, { signal: abort.signal });
  const requestId = response.headers.get("x-amzn-requestid")!;
  const events = readSSE(response)[Symbol.asyncIterator]();
  expect((await events.next()).value).toMatchObject({ text: "tick 0 " });
  abort.abort();

  await until(() => aborted.includes(session), "the emulator to see the agent's stream cancelled");
  const invocation = await runtime.invocation(requestId);
  // the handler caught the failure and returned; the runtime reports the unfinished stream, as Lambda does
  expect(invocation).toMatchObject({ handlerSettled: "resolved", outcome: "error" });
  expect(invocation.outcome).not.toBe("timeout");
  expect(runtime.stderr()).toMatch(/response stream failed, agent stream cancelled/);
}, 30_000);

describe("examples/lambda-streaming.mjs with OAuth client credentials", () => {
  let idp: TestServer;
  let runtime: Runtime;
  beforeAll(async () => {
    idp = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }));
    });
    runtime = await startRuntime({ OAUTH_TOKEN_URL: `${idp.url}/oauth2/token`, OAUTH_CLIENT_ID: "lambda-client", OAUTH_CLIENT_SECRET: "s3cret", OAUTH_SCOPES: "agent/invoke", LAMBDA_TIMEOUT_MS: "30000" });
  }, 30_000);
  afterAll(() => idp?.close());

  test("the function gets its token from the token endpoint once and reuses it", async () => {
    expect(await texts(await fetch(`${runtime.url}/?prompt=one`))).toBe("You said: one");
    expect(await texts(await fetch(`${runtime.url}/?prompt=two`))).toBe("You said: two");
    expect(idp.requests).toHaveLength(1);
    const [request] = idp.requests;
    expect(request.url).toBe("/oauth2/token");
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from("lambda-client:s3cret").toString("base64")}`);
    expect(new URLSearchParams(request.body.toString("utf8")).get("grant_type")).toBe("client_credentials");
    expect(new URLSearchParams(request.body.toString("utf8")).get("scope")).toBe("agent/invoke");
  });
});
