/**
 * WebSockets from a real browser: a page on one loopback origin opens the emulator's `/ws` on another through
 * the bundled SDK (browser build). Browsers cannot set headers, so the token travels as the two subprotocols
 * and the session id in the query.
 *
 * Skips only when no chromium is installed and CI is unset; under CI a missing chromium fails.
 */
import fs from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { startServer, type TestServer } from "./helpers/server";
import { LAUNCH_ARGS, chromiumPath, skipWithoutChromium } from "./helpers/chromium";

const ROOT = path.resolve(__dirname, "../../..");
const BROWSER_DIST = path.join(ROOT, "packages/client/dist/index.browser.mjs");

const skip = skipWithoutChromium("browser.websocket.chromium.test");

(skip ? describe.skip : describe)("WebSocket from headless Chromium to the emulator, cross-origin", () => {
  let emulator: Emulator;
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let token: string;
  let bundleInputs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!chromiumPath) throw new Error("chromium is required under CI=true but was not found on PATH");
    const started = Date.now();
    while (!fs.existsSync(BROWSER_DIST)) {
      if (Date.now() - started > 30_000) throw new Error("packages/client/dist/index.browser.mjs is missing: run `npx tsup` first");
      await new Promise((r) => setTimeout(r, 200));
    }
    const built = await esbuild.build({
      stdin: { contents: 'import * as sdk from "@agentcore-runtime/client";\nwindow.agentcore = sdk;\n', resolveDir: ROOT, sourcefile: "page.js" },
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
    const bundle = built.outputFiles[0].text;
    bundleInputs = Object.keys(built.metafile!.inputs);

    emulator = await startEmulator({ port: 0 });
    token = await emulator.issueToken();
    server = await startServer(async (req, res) => {
      if (req.url === "/page.js") {
        res.writeHead(200, { "Content-Type": "text/javascript" });
        res.end(bundle);
      } else if (req.url === "/favicon.ico") {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end('<!doctype html><meta charset="utf-8"><title>ws</title><script type="module" src="/page.js"></script>');
      }
    });
    expect(new URL(server.url).origin).not.toBe(new URL(emulator.url).origin);
    browser = await chromium.launch({ executablePath: chromiumPath, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(server.url + "/");
    await page.waitForFunction(() => (window as any).agentcore !== undefined, undefined, { timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await emulator?.close();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  test("the browser bundle has no `ws` package in it", () => {
    expect(bundleInputs.filter((f) => /node_modules\/ws\//.test(f))).toEqual([]);
  });

  test("connectWebSocket in the page: the subprotocol token, messages echoed in order, text and bytes", async () => {
    const sessionId = "browser-ws-session-0123456789abcdef0123";
    const out = await page.evaluate(
      async ({ endpoint, token, runtimeArn, sessionId }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token });
        const ws = await sdk.connectWebSocket(client, { runtimeArn, sessionId });
        const got: unknown[] = [];
        for (let i = 0; i < 20; i++) ws.send(`m${i}`);
        ws.send({ json: true });
        ws.send(new Uint8Array([1, 2, 3]));
        for await (const m of ws) {
          got.push(m instanceof Uint8Array ? Array.from(m) : m);
          if (got.length === 22) ws.close();
        }
        return { got, protocol: ws.protocol, closed: await ws.closed, sessionId: ws.sessionId };
      },
      { endpoint: emulator.url, token, runtimeArn: emulator.runtimeArn, sessionId },
    );
    expect(out.protocol).toBe("base64UrlBearerAuthorization");
    expect(out.sessionId).toBe(sessionId);
    expect(out.got.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => JSON.stringify({ echo: `m${i}` })));
    expect(out.got[20]).toBe(JSON.stringify({ echo: '{"json":true}' }));
    expect(out.got[21]).toEqual([1, 2, 3]);
    expect(out.closed.code).toBe(1000);
    // the session id reached the emulator through the query (no header from a browser)
    expect(emulator.sessionIds()).toContain(sessionId);
    const upgrade = emulator.requests.find((r) => r.sessionId === sessionId);
    expect(upgrade?.headers?.authorization).toBeUndefined();
    expect(upgrade?.headers?.["sec-websocket-protocol"]).toMatch(/^base64UrlBearerAuthorization\.\S+, ?base64UrlBearerAuthorization$/);
  });

  test("getWebSocketConnection's url and protocols work with the page's own WebSocket", async () => {
    const out = await page.evaluate(
      async ({ endpoint, token, runtimeArn }) => {
        const sdk = (window as any).agentcore;
        const { url, protocols } = await sdk.getWebSocketConnection({ runtimeArn }, { endpoint, token });
        const ws = new WebSocket(url, protocols);
        return await new Promise<string>((resolve, reject) => {
          ws.onopen = () => ws.send("raw");
          ws.onmessage = (e) => {
            resolve(String(e.data));
            ws.close();
          };
          ws.onerror = () => reject(new Error("error"));
        });
      },
      { endpoint: emulator.url, token, runtimeArn: emulator.runtimeArn },
    );
    expect(out).toBe('{"echo":"raw"}');
  });

  test("a refused upgrade is opaque in a browser: a NetworkError that says why it cannot tell", async () => {
    const out = await page.evaluate(
      async ({ endpoint, runtimeArn }) => {
        const sdk = (window as any).agentcore;
        const client = new sdk.RuntimeClient({ endpoint, token: "not.a.valid.token" });
        try {
          await sdk.connectWebSocket(client, { runtimeArn });
          return { name: "none", message: "" };
        } catch (e: any) {
          return { name: e.name, message: e.message, json: JSON.stringify(e) };
        }
      },
      { endpoint: emulator.url, runtimeArn: emulator.runtimeArn },
    );
    expect(out.name).toBe("NetworkError");
    expect(out.message).toContain("does not tell why");
    expect(out.json).not.toContain("not.a.valid.token");
  });
});
