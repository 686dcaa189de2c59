/**
 * The browser side of a proxy in real headless Chromium: a page loads the bundled SDK (browser build) and reads,
 * with readSSE, the stream a Node server proxies from the emulator with toSSEStream. A page that stops reading
 * cancels the agent's stream upstream.
 *
 * Skips only when no chromium is installed and CI is unset; under CI a missing chromium fails.
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { startServer, type TestServer } from "./helpers/server";
import { LAUNCH_ARGS, chromiumPath, skipWithoutChromium, until } from "./helpers/chromium";
import { foreverAgent } from "./helpers/agents";

const ROOT = path.resolve(__dirname, "../../..");
const BROWSER_DIST = path.join(ROOT, "packages/client/dist/index.browser.mjs");

const skip = skipWithoutChromium("browser.readsse.chromium.test");

(skip ? describe.skip : describe)("readSSE in headless Chromium, through a Node proxy to the emulator", () => {
  let emulator: Emulator;
  let client: RuntimeClient;
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const aborted: string[] = [];

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
      logLevel: "silent",
    });
    const bundle = built.outputFiles[0].text;

    emulator = await startEmulator({
      port: 0,
      agent: foreverAgent({ aborted }),
    });
    client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });

    // one origin: the page, its bundle and the proxy route (the token stays on the server)
    server = await startServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/page.js") {
        res.writeHead(200, { "Content-Type": "text/javascript" });
        res.end(bundle);
      } else if (url.pathname === "/api/chat") {
        const { stream } = await client.send(
          new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, sessionId: url.searchParams.get("session") ?? undefined, payload: { prompt: url.searchParams.get("prompt") ?? "" } }),
        );
        res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
        await pipeline(Readable.fromWeb(stream.toSSEStream() as import("node:stream/web").ReadableStream), res).catch(() => undefined);
      } else if (url.pathname === "/favicon.ico") {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end('<!doctype html><meta charset="utf-8"><title>readSSE</title><script type="module" src="/page.js"></script>');
      }
    });

    browser = await chromium.launch({ executablePath: chromiumPath, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(server.url + "/");
    await page.waitForFunction(() => (window as any).agentcore !== undefined, undefined, { timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    client?.destroy();
    await emulator?.close();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  test("the page reads the proxied events with readSSE", async () => {
    const out = await page.evaluate(async () => {
      const sdk = (window as any).agentcore;
      const texts: string[] = [];
      for await (const event of sdk.readSSE(await fetch("/api/chat?prompt=" + encodeURIComponent("hello from the page")))) texts.push(event.text);
      return texts;
    });
    expect(out.length).toBeGreaterThan(1);
    expect(out.join("")).toBe("You said: hello from the page");
  });

  test("the agent's error reaches the page as the same typed error", async () => {
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, payload: { prompt: "fail" } }));
    let direct: any;
    try {
      for await (const _ of stream);
    } catch (e) {
      direct = e;
    }
    const out = await page.evaluate(async () => {
      const sdk = (window as any).agentcore;
      const texts: string[] = [];
      try {
        for await (const event of sdk.readSSE(await fetch("/api/chat?prompt=fail"))) texts.push(event.text);
        return { texts };
      } catch (e: any) {
        return { texts, name: e.name, errorType: e.errorType, message: e.message, isAgentError: sdk.AgentRuntimeError.isInstance(e) };
      }
    });
    expect(direct?.name).toBe("ValueError");
    expect(out).toMatchObject({ name: direct.name, errorType: direct.errorType, message: direct.message, isAgentError: true });
    expect(out.texts.join("")).toBe("You said: fail");
  });

  test("a page that stops reading cancels the agent's stream upstream", async () => {
    const session = `browser-readsse-forever-${Date.now()}-0123456789abcdef`;
    const first = await page.evaluate(async (session) => {
      const sdk = (window as any).agentcore;
      for await (const event of sdk.readSSE(await fetch(`/api/chat?prompt=forever&session=${session}`))) return event.text; // break → cancel
      return undefined;
    }, session);
    expect(first).toBe("tick 0 ");
    await until(() => aborted.includes(session), "the emulator to see the agent's stream cancelled");
  });
});
