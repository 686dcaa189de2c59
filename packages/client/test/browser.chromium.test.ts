/**
 * The browser build in real headless Chromium: a page on one loopback origin calls a CORS-enabled
 * AgentCore-like server on another, through fetch, preflights and exposed headers included.
 *
 * Skips only when no chromium is installed and CI is unset; under CI a missing chromium fails.
 */
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { startEmulator } from "../../emulator/src";
import { ARN, SESSION, TOKEN, startServer, until, type Recorded, type TestServer } from "./helpers/server";
import { LAUNCH_ARGS, chromiumPath, skipWithoutChromium } from "./helpers/chromium";

const ROOT = path.resolve(__dirname, "../../..");
const BROWSER_DIST = path.join(ROOT, "packages/client/dist/index.browser.mjs");
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id";

// Exactly what the SDK may send cross-origin; a header outside this list fails the preflight and the test.
const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept",
  "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
  "x-amz-user-agent",
];
const EXPOSE_HEADERS = ["X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "x-amzn-RequestId", "x-amzn-ErrorType", "Retry-After"];

const skip = skipWithoutChromium("browser.chromium.test");

/** A concurrent `tsup` run empties dist for a moment; wait for the file rather than fail on the race. */
async function waitForFile(file: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!fs.existsSync(file)) {
    if (Date.now() - started > timeoutMs) throw new Error(`${path.relative(ROOT, file)} is missing: run \`npx tsup\` first`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes pieces with pauses so the browser receives them as separate reads (Nagle off). */
async function writePieces(res: http.ServerResponse, pieces: (string | Uint8Array)[], pauseMs: number): Promise<void> {
  res.socket?.setNoDelay(true);
  for (const piece of pieces) {
    if (res.destroyed) return;
    res.write(typeof piece === "string" ? Buffer.from(piece) : piece);
    await sleep(pauseMs);
  }
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);
function chunkFrame(payload: object): Uint8Array {
  return codec.encode({
    headers: {
      ":message-type": { type: "string", value: "event" },
      ":event-type": { type: "string", value: "chunk" },
      ":content-type": { type: "string", value: "application/json" },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** Cuts bytes at the given offsets. */
function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

(skip ? describe.skip : describe)("browser build in headless Chromium, cross-origin", () => {
  let browser: Browser | undefined;
  let page: Page;
  let pageServer: TestServer | undefined;
  let api: TestServer | undefined;
  let endpoint: string;
  let bundle: string;
  let bundleInputs: string[];
  const pageErrors: string[] = [];
  /** Ordered log shared by the server and the page, to prove what happened before what. */
  const timeline: string[] = [];
  let onPageEvent: ((text: string) => void) | undefined;
  const cancelledStreams: string[] = [];

  function corsHeaders(req: http.IncomingMessage): Record<string, string> {
    return {
      "Access-Control-Allow-Origin": req.headers.origin ?? "*",
      "Access-Control-Expose-Headers": EXPOSE_HEADERS.join(", "),
      Vary: "Origin",
    };
  }

  async function handleInvoke(req: http.IncomingMessage, res: http.ServerResponse, rec: Recorded): Promise<void> {
    const session = String(req.headers[SESSION_HEADER] ?? "");
    const base = { ...corsHeaders(req), "x-amzn-RequestId": "req-browser-1", "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session };
    const { scenario } = JSON.parse(rec.body.toString("utf8")) as { scenario: string };
    switch (scenario) {
      case "json":
        res.writeHead(200, { ...base, "Content-Type": "application/json" });
        res.end(JSON.stringify({ result: "héllo", n: 1 }));
        return;
      case "sse": {
        res.writeHead(200, { ...base, "Content-Type": "text/event-stream" });
        const rest = Buffer.from('data: "wörld 🌍"\r\n\r\n: heartbeat\r\n\r\nevent: message\r\nid: 7\r\ndata: {"n":3}\r\n\r\ndata: "last"\r\n\r\n');
        const emoji = rest.indexOf(Buffer.from("🌍"));
        const umlaut = rest.indexOf(Buffer.from("ö"));
        const crlf = rest.indexOf(Buffer.from("\r\n: heartbeat"));
        // first event closed by a CR whose LF arrives in the next read
        await writePieces(res, ['data: "Hel"\r\n\r'], 0);
        timeline.push("server: sent first event");
        // hold the rest back until the page reports the first event (or 5 s pass, which fails the test)
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5000);
          onPageEvent = (text) => text === "Hel" && resolve();
        });
        clearTimeout(timer);
        onPageEvent = undefined;
        // cuts inside ö (2 bytes), inside 🌍 (4 bytes) and inside a CRLF pair
        const pieces = cut(rest, [umlaut + 1, emoji + 1, emoji + 3, crlf + 1, rest.length - 5]);
        await writePieces(res, ["\n", ...pieces.slice(0, -1)], 25);
        timeline.push("server: sending last piece");
        res.end(pieces[pieces.length - 1]);
        return;
      }
      case "endless": {
        res.writeHead(200, { ...base, "Content-Type": "text/event-stream" });
        res.on("close", () => {
          if (!res.writableEnded) cancelledStreams.push(session);
        });
        res.socket?.setNoDelay(true);
        for (let i = 0; i < 400 && !res.destroyed; i++) {
          res.write(`data: "tick ${i}"\n\n`);
          await sleep(25);
        }
        if (!res.destroyed) res.end();
        return;
      }
      case "no-cors":
        // the preflight passed, but the response names no Access-Control-Allow-Origin: the page cannot read it
        // (fetch rejects with a bare TypeError), though the agent has run
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ ran: true }));
        return;
      case "throttle":
        res.writeHead(429, {
          ...base,
          "Content-Type": "application/json",
          "x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock.agentcore/",
          "Retry-After": "1",
        });
        res.end(JSON.stringify({ message: "Rate exceeded" }));
        return;
      case "retryable-conflict":
        // the header, not the status, tells the two 409s apart: it must be readable cross-origin
        res.writeHead(409, { ...base, "Content-Type": "application/json", "x-amzn-ErrorType": "RetryableConflictException" });
        res.end(JSON.stringify({ message: "Session operation in progress, please retry" }));
        return;
      default:
        res.writeHead(400, { ...base, "Content-Type": "application/json", "x-amzn-ErrorType": "ValidationException" });
        res.end(JSON.stringify({ message: `unknown scenario ${scenario}` }));
    }
  }

  async function handleCommand(req: http.IncomingMessage, res: http.ServerResponse, rec: Recorded): Promise<void> {
    const { command } = JSON.parse(rec.body.toString("utf8")) as { command: string };
    res.writeHead(200, {
      ...corsHeaders(req),
      "Content-Type": "application/vnd.amazon.eventstream",
      "x-amzn-RequestId": "req-browser-cmd",
      "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": String(req.headers[SESSION_HEADER] ?? ""),
    });
    const frames = [
      chunkFrame({ contentStart: {} }),
      chunkFrame({ contentDelta: { stdout: command === "echo hi" ? "hi\n" : `unexpected: ${command}` } }),
      chunkFrame({ contentDelta: { stderr: "wärn\n" } }),
      chunkFrame({ contentStop: { exitCode: 0, status: "COMPLETED" } }),
    ];
    const all = Buffer.concat(frames);
    // cuts inside a prelude, inside a header block and inside a payload
    await writePieces(res, cut(all, [5, frames[0].length + 20, frames[0].length + frames[1].length - 3]), 20);
    res.end();
  }

  beforeAll(async () => {
    if (!chromiumPath) throw new Error("chromium is required under CI=true but was not found on PATH (set CHROMIUM_PATH or install chromium)");
    await waitForFile(BROWSER_DIST);
    const built = await esbuild.build({
      stdin: {
        contents: 'import * as sdk from "@agentcore-runtime/client";\nwindow.agentcore = sdk;\nwindow.dispatchEvent(new Event("agentcore-ready"));\n',
        resolveDir: ROOT,
        sourcefile: "page.js",
      },
      absWorkingDir: ROOT,
      bundle: true,
      platform: "browser",
      conditions: ["browser"],
      format: "esm",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    bundle = built.outputFiles[0].text;
    bundleInputs = Object.keys(built.metafile!.inputs);

    pageServer = await startServer((req, res) => {
      if (req.url === "/page.js") {
        res.writeHead(200, { "Content-Type": "text/javascript" });
        res.end(bundle);
      } else if (req.url === "/favicon.ico") {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end('<!doctype html><meta charset="utf-8"><title>agentcore browser test</title><script type="module" src="/page.js"></script>');
      }
    });
    api = await startServer(async (req, res, rec) => {
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          ...corsHeaders(req),
          "Access-Control-Allow-Methods": "POST, OPTIONS",
          "Access-Control-Allow-Headers": ALLOW_HEADERS.join(", "),
          "Access-Control-Max-Age": "0",
        });
        res.end();
        return;
      }
      const route = /\/(invocations|commands|stopruntimesession)(\?|$)/.exec(req.url ?? "")?.[1];
      if (route === "invocations") return handleInvoke(req, res, rec);
      if (route === "commands") return handleCommand(req, res, rec);
      if (route === "stopruntimesession") {
        // a session named nocors-…: the response the page cannot read (no Access-Control-Allow-Origin)
        if (String(req.headers[SESSION_HEADER]).startsWith("nocors-")) {
          res.writeHead(200);
          res.end();
          return;
        }
        res.writeHead(200, { ...corsHeaders(req), "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": String(req.headers[SESSION_HEADER] ?? "") });
        res.end();
        return;
      }
      res.writeHead(404, corsHeaders(req));
      res.end();
    });
    // same host, other port: a different origin, so every call is a CORS request with a preflight
    endpoint = api.url;
    expect(new URL(endpoint).origin).not.toBe(new URL(pageServer.url).origin);

    browser = await chromium.launch({ executablePath: chromiumPath, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.exposeFunction("reportEvent", (text: string) => {
      timeline.push(`page: got ${text}`);
      onPageEvent?.(text);
    });
    await page.goto(pageServer.url + "/");
    await page.waitForFunction(() => (window as any).agentcore !== undefined, undefined, { timeout: 10_000 });
  }, 60_000); // a browser launch on a loaded 2-core machine can take a while

  afterAll(async () => {
    await browser?.close();
    await pageServer?.close();
    await api?.close();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  const posts = () => api!.requests.filter((r) => r.method === "POST");
  const lastPost = () => posts()[posts().length - 1];

  test("the page bundle resolves the package's browser build: no Node handler, no node: imports", () => {
    expect(bundleInputs).toContain("packages/client/dist/index.browser.mjs");
    expect(bundleInputs.filter((f) => /packages\/client\/(dist\/index\.(m?js)|src\/)/.test(f))).toEqual([]);
    expect(bundleInputs.some((f) => f.includes("@smithy/node-http-handler"))).toBe(false);
    expect(bundleInputs.some((f) => f.includes("@smithy/fetch-http-handler"))).toBe(true);
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(bundle).not.toContain("NodeHttpHandler");
    expect(bundle).not.toContain("BEDROCK_AGENTCORE_DP_ENDPOINT");
  });

  test("blocking InvokeCommand (JSON) with bearer auth and a generated UUID session id", async () => {
    const out = await page.evaluate(
      async ({ endpoint, token, arn }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const res = await client.send(new sdk.InvokeCommand({ runtimeArn: arn, payload: { scenario: "json" } }));
        client.destroy();
        return { statusCode: res.statusCode, contentType: res.contentType, json: res.json, text: res.text, sessionId: res.sessionId, requestId: res.$metadata.requestId };
      },
      { endpoint, token: TOKEN, arn: ARN },
    );
    const seen = lastPost();
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.headers[SESSION_HEADER]).toMatch(UUID_V4);
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers.origin).toBe(pageServer!.url);
    expect(out).toEqual({
      statusCode: 200,
      contentType: "application/json",
      json: { result: "héllo", n: 1 },
      text: JSON.stringify({ result: "héllo", n: 1 }),
      // exposed response headers are readable cross-origin
      sessionId: seen.headers[SESSION_HEADER],
      requestId: "req-browser-1",
    });
    // the browser preflighted the call and asked only for allow-listed headers
    const preflight = api!.requests.filter((r) => r.method === "OPTIONS").pop()!;
    expect(preflight.headers.authorization).toBeUndefined();
    const asked = String(preflight.headers["access-control-request-headers"]).split(",").map((h) => h.trim().toLowerCase());
    expect(asked).toContain("authorization");
    for (const h of asked) expect(ALLOW_HEADERS.map((a) => a.toLowerCase())).toContain(h);
  });

  test("a page without crypto.randomUUID still sends a UUIDv4 session id", async () => {
    const fresh = await browser!.newPage();
    try {
      fresh.on("pageerror", (e) => pageErrors.push(String(e)));
      await fresh.goto(pageServer!.url + "/");
      await fresh.waitForFunction(() => (window as any).agentcore !== undefined, undefined, { timeout: 10_000 });
      const out = await fresh.evaluate(
        async ({ endpoint, token, arn }) => {
          // what an insecure (plain http, non-loopback) origin looks like
          Object.defineProperty(Crypto.prototype, "randomUUID", { value: undefined, configurable: true });
          const sdk = (window as any).agentcore;
          const client = new sdk.RuntimeClient({ endpoint, token });
          const res = await client.send(new sdk.InvokeCommand({ runtimeArn: arn, payload: { scenario: "json" } }));
          return { hasRandomUUID: typeof crypto.randomUUID, sessionId: res.sessionId };
        },
        { endpoint, token: TOKEN, arn: ARN },
      );
      expect(out.hasRandomUUID).toBe("undefined");
      expect(lastPost().headers[SESSION_HEADER]).toMatch(UUID_V4);
      expect(out.sessionId).toBe(lastPost().headers[SESSION_HEADER]);
    } finally {
      await fresh.close();
    }
  });

  test("InvokeStreamCommand delivers SSE events incrementally across reads cut inside CRLF and UTF-8", async () => {
    timeline.length = 0;
    const out = await page.evaluate(
      async ({ endpoint, token, arn, session }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const res = await client.send(new sdk.InvokeStreamCommand({ runtimeArn: arn, sessionId: session, payload: { scenario: "sse" } }));
        const events: unknown[] = [];
        for await (const ev of res.stream) {
          events.push(ev);
          await (window as any).reportEvent(ev.text);
        }
        return { contentType: res.contentType, sessionId: res.sessionId, events };
      },
      { endpoint, token: TOKEN, arn: ARN, session: SESSION },
    );
    expect(out.contentType).toBe("text/event-stream");
    expect(out.sessionId).toBe(SESSION);
    expect(out.events).toEqual([
      { data: '"Hel"', text: "Hel" },
      { data: '"wörld 🌍"', text: "wörld 🌍" },
      { data: '{"n":3}', text: '{"n":3}', event: "message", id: "7" },
      { data: '"last"', text: "last" },
    ]);
    // the first event reached the page before the server wrote the rest of the body
    expect(timeline.indexOf("page: got Hel")).toBeGreaterThan(-1);
    expect(timeline.indexOf("page: got Hel")).toBeLessThan(timeline.indexOf("server: sending last piece"));
    expect(lastPost().headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  test("break out of for await cancels the response body: the server sees the response close", async () => {
    const session = "browser-break-0123456789-0123456789";
    const out = await page.evaluate(
      async ({ endpoint, token, arn, session }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const res = await client.send(new sdk.InvokeStreamCommand({ runtimeArn: arn, sessionId: session, payload: { scenario: "endless" } }));
        const texts: string[] = [];
        for await (const ev of res.stream) {
          texts.push(ev.text);
          if (texts.length === 3) break;
        }
        return texts;
      },
      { endpoint, token: TOKEN, arn: ARN, session },
    );
    expect(out).toEqual(["tick 0", "tick 1", "tick 2"]);
    await until(() => cancelledStreams.includes(session), 5000);
  });

  test("ExecuteCommandCommand decodes an event-stream response cut inside frames", async () => {
    const out = await page.evaluate(
      async ({ endpoint, token, arn }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const res = await client.send(new sdk.ExecuteCommandCommand({ runtimeArn: arn, command: "echo hi", timeout: 30 }));
        return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode, status: res.status, sessionId: res.sessionId, requestId: res.$metadata.requestId };
      },
      { endpoint, token: TOKEN, arn: ARN },
    );
    const seen = lastPost();
    expect(seen.url).toMatch(/\/commands(\?|$)/);
    expect(seen.headers.accept).toBe("application/vnd.amazon.eventstream");
    expect(JSON.parse(seen.body.toString("utf8"))).toEqual({ command: "echo hi", timeout: 30 });
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(out).toEqual({ stdout: "hi\n", stderr: "wärn\n", exitCode: 0, status: "COMPLETED", sessionId: seen.headers[SESSION_HEADER], requestId: "req-browser-cmd" });
  });

  test("ExecuteCommandStreamCommand yields the command events in order", async () => {
    const events = await page.evaluate(
      async ({ endpoint, token, arn }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const res = await client.send(new sdk.ExecuteCommandStreamCommand({ runtimeArn: arn, command: "echo hi" }));
        const out: unknown[] = [];
        for await (const ev of res.stream) out.push(ev);
        return out;
      },
      { endpoint, token: TOKEN, arn: ARN },
    );
    expect(events).toEqual([
      { contentStart: {} },
      { contentDelta: { stdout: "hi\n" } },
      { contentDelta: { stderr: "wärn\n" } },
      { contentStop: { exitCode: 0, status: "COMPLETED" } },
    ]);
  });

  test("StopSessionCommand sends the session header and a UUID client token", async () => {
    const out = await page.evaluate(
      async ({ endpoint, token, arn, session }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const res = await client.send(new sdk.StopSessionCommand({ runtimeArn: arn, sessionId: session }));
        return { statusCode: res.statusCode, sessionId: res.sessionId };
      },
      { endpoint, token: TOKEN, arn: ARN, session: SESSION },
    );
    const seen = lastPost();
    expect(seen.url).toMatch(/\/stopruntimesession(\?|$)/);
    expect(seen.headers[SESSION_HEADER]).toBe(SESSION);
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(seen.body.toString("utf8")).clientToken).toMatch(UUID_V4);
    expect(out).toEqual({ statusCode: 200, sessionId: SESSION });
  });

  test("HTTP errors map to the typed error classes, using the exposed x-amzn-ErrorType header", async () => {
    const out = await page.evaluate(
      async ({ endpoint, token, arn }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token, maxAttempts: 1 });
        const describe = async (scenario: string) => {
          try {
            await client.send(new sdk.InvokeCommand({ runtimeArn: arn, payload: { scenario } }));
            return { thrown: false };
          } catch (e: any) {
            return {
              thrown: true,
              name: e.name,
              message: e.message,
              statusCode: e.statusCode,
              fault: e.$fault,
              requestId: e.$metadata?.requestId,
              agentRuntimeError: sdk.AgentRuntimeError.isInstance(e),
              throttling: sdk.ThrottlingException.isInstance(e),
              retryableConflict: sdk.RetryableConflictException.isInstance(e),
              instanceofThrottling: e instanceof sdk.ThrottlingException,
              leaksToken: JSON.stringify({ ...e, message: e.message, s: String(e) }).includes(token),
            };
          }
        };
        return { throttle: await describe("throttle"), conflict: await describe("retryable-conflict") };
      },
      { endpoint, token: TOKEN, arn: ARN },
    );
    expect(out.throttle).toMatchObject({
      thrown: true,
      name: "ThrottlingException",
      message: "Rate exceeded",
      statusCode: 429,
      fault: "client",
      requestId: "req-browser-1",
      agentRuntimeError: true,
      throttling: true,
      retryableConflict: false,
      instanceofThrottling: true,
      leaksToken: false,
    });
    expect(out.conflict).toMatchObject({ thrown: true, name: "RetryableConflictException", statusCode: 409, retryableConflict: true, throttling: false });
  });

  test("(was a defect) a response the browser blocks (no Access-Control-Allow-Origin) is a NetworkError that says so, and the invoke is not sent again (the agent ran: it was sent 3 times)", async () => {
    const before = posts().filter((r) => r.body.toString().includes('"no-cors"')).length;
    const out = await page.evaluate(
      async ({ endpoint, token, arn }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        try {
          await client.send(new sdk.InvokeCommand({ runtimeArn: arn, payload: { scenario: "no-cors" } }));
          return { thrown: false };
        } catch (e: any) {
          return { thrown: true, name: e.name, message: e.message, retryable: e.retryable, beforeResponse: e.beforeResponse, attempts: e.$metadata?.attempts };
        } finally {
          client.destroy();
        }
      },
      { endpoint, token: TOKEN, arn: ARN },
    );
    expect(out).toMatchObject({ thrown: true, name: "NetworkError", retryable: false, attempts: 1 });
    expect((out as { beforeResponse?: unknown }).beforeResponse).not.toBe(true);
    expect((out as { message: string }).message).toMatch(/Access-Control-Allow-Origin.*may have reached the agent/);
    expect(posts().filter((r) => r.body.toString().includes('"no-cors"')).length - before).toBe(1);
  });

  test("the same failure on StopSessionCommand is retried: a stop is idempotent (class unknownOutcome, on for stop only)", async () => {
    const sessionId = "nocors-session-0123456789-0123456789-01";
    const out = await page.evaluate(
      async ({ endpoint, token, arn, sessionId }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token, retryStrategy: sdk.standardRetryStrategy({ maxAttempts: 3, baseDelay: 10 }) });
        try {
          await client.send(new sdk.StopSessionCommand({ runtimeArn: arn, sessionId }));
          return { thrown: false };
        } catch (e: any) {
          return { thrown: true, name: e.name, attempts: e.$metadata?.attempts };
        } finally {
          client.destroy();
        }
      },
      { endpoint, token: TOKEN, arn: ARN, sessionId },
    );
    expect(out).toEqual({ thrown: true, name: "NetworkError", attempts: 3 });
    expect(posts().filter((r) => r.headers[SESSION_HEADER] === sessionId)).toHaveLength(3);
  });

  test("the same page against the emulator: invoke (JSON and SSE), command, stop, all cross-origin", async () => {
    const emu = await startEmulator({ host: "127.0.0.1", port: 0 });
    try {
      expect(new URL(emu.url).origin).not.toBe(new URL(pageServer!.url).origin);
      const token = await emu.issueToken();
      const out = await page.evaluate(
        async ({ endpoint, token, arn, session }) => {
          const sdk = (window as any).agentcore;
          const client = new sdk.RuntimeClient({ endpoint, token });
          const json = await client.send(new sdk.InvokeCommand({ runtimeArn: arn, sessionId: session, accept: "application/json", payload: { prompt: "hi" } }));
          const streamed = await client.send(new sdk.InvokeStreamCommand({ runtimeArn: arn, sessionId: session, payload: { prompt: "one two three" } }));
          const tokens: string[] = [];
          for await (const ev of streamed.stream) tokens.push(ev.text);
          const command = await client.send(new sdk.ExecuteCommandCommand({ runtimeArn: arn, sessionId: session, command: "echo hi" }));
          const stop = await client.send(new sdk.StopSessionCommand({ runtimeArn: arn, sessionId: session }));
          return {
            json: json.json,
            jsonSession: json.sessionId,
            streamContentType: streamed.contentType,
            tokens,
            command: { stdout: command.stdout, exitCode: command.exitCode, status: command.status },
            stop: { statusCode: stop.statusCode, sessionId: stop.sessionId },
          };
        },
        { endpoint: emu.url, token, arn: emu.runtimeArn, session: SESSION },
      );
      expect(out.json).toMatchObject({ response: "You said: hi", sessionId: SESSION });
      expect(out.jsonSession).toBe(SESSION);
      expect(out.streamContentType).toMatch(/^text\/event-stream/);
      expect(out.tokens.join("")).toBe("You said: one two three");
      expect(out.tokens.length).toBeGreaterThan(1);
      expect(out.command).toEqual({ stdout: "hi\n", exitCode: 0, status: "COMPLETED" });
      expect(out.stop).toEqual({ statusCode: 200, sessionId: SESSION });
      const ops = emu.requests.map((r) => r.op);
      expect(ops).toContain("preflight");
      expect(emu.requests.filter((r) => r.op !== "preflight").map((r) => [r.op, r.status])).toEqual([
        ["invocations", 200],
        ["invocations", 200],
        ["commands", 200],
        ["stopruntimesession", 200],
      ]);
    } finally {
      await emu.close();
    }
  });
});
