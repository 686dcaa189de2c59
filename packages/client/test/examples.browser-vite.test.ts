/**
 * examples/browser-vite: built with Vite's JS API into a temp dir, served from a loopback static server (one
 * origin) and driven in headless Chromium against the emulator (another origin): tokens stream into the page,
 * and "Stop session" ends the session in the emulator.
 *
 * Skips only when no chromium is installed and CI is unset; under CI a missing chromium fails.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { startServer, type TestServer } from "./helpers/server";
import { LAUNCH_ARGS, chromiumPath, skipWithoutChromium, until } from "./helpers/chromium";
import { foreverAgent } from "./helpers/agents";

const ROOT = path.resolve(__dirname, "../../..");
const EXAMPLE = path.join(ROOT, "examples/browser-vite");
const BROWSER_DIST = path.join(ROOT, "packages/client/dist/index.browser.mjs");
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };
const run = promisify(execFile);

const skip = skipWithoutChromium("examples.browser-vite.test");

(skip ? describe.skip : describe)("examples/browser-vite in headless Chromium against the emulator", () => {
  let emulator: Emulator;
  let token: string;
  let outDir: string;
  let site: TestServer | undefined;
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
    // Vite is ESM-only and jest runs CommonJS here: its JS API runs in a child node
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "browser-vite-"));
    const script = `import { build } from "vite";
await build({ root: process.cwd(), logLevel: "error", build: { outDir: process.env.OUT_DIR, emptyOutDir: true } });`;
    await run(process.execPath, ["--input-type=module", "-e", script], { cwd: EXAMPLE, env: { PATH: process.env.PATH, OUT_DIR: outDir }, timeout: 120_000 }).catch((e) => {
      throw new Error(`vite build failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
    });

    emulator = await startEmulator({
      port: 0,
      agent: foreverAgent({ aborted }),
    });
    token = await emulator.issueToken();

    site = await startServer((req, res) => {
      const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
      const file = path.join(outDir, pathname === "/" ? "index.html" : path.normalize(pathname).replace(/^(\.\.[/\\])+/, ""));
      if (!file.startsWith(outDir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(fs.readFileSync(file));
    });

    browser = await chromium.launch({ executablePath: chromiumPath, args: LAUNCH_ARGS });
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await emulator?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  test("the build is a static site whose bundle holds the SDK and no token", () => {
    const assets = fs.readdirSync(path.join(outDir, "assets")).filter((f) => f.endsWith(".js"));
    expect(assets.length).toBeGreaterThan(0);
    const bundle = assets.map((f) => fs.readFileSync(path.join(outDir, "assets", f), "utf8")).join("\n");
    expect(bundle).toContain("stopruntimesession");
    expect(bundle).not.toContain(token);
    expect(bundle).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}/);
  });

  test("tokens stream into the page, and Stop session ends the session in the emulator", async () => {
    const endpoint = emulator.url;
    const pageUrl = `${site!.url}/?endpoint=${encodeURIComponent(endpoint)}&arn=${encodeURIComponent(emulator.runtimeArn)}#token=${encodeURIComponent(token)}`;
    expect(new URL(site!.url).origin).not.toBe(new URL(endpoint).origin);
    await page.goto(pageUrl);
    await page.waitForFunction(() => document.body.dataset.state === "idle" && (document.getElementById("token") as HTMLInputElement).value !== "");
    // the token came in the fragment: gone from the address bar, and never sent to the site's server
    expect(page.url()).not.toContain("token");
    expect(site!.requests.map((r) => r.url).join(" ")).not.toContain(token.slice(0, 20));

    // a short reply first: streamed and done
    await page.fill("#prompt", "hello from vite");
    await page.click("#send");
    await page.waitForFunction(() => document.body.dataset.state === "done", undefined, { timeout: 15_000 });
    expect(await page.textContent("#output p:last-child")).toBe("You said: hello from vite");
    const sessionId = (await page.textContent("#session"))!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    // then one that goes on until stopped, in the same session
    await page.fill("#prompt", "forever");
    await page.click("#send");
    await page.waitForFunction(() => /tick 3 /.test(document.querySelector("#output p:last-child")?.textContent ?? ""), undefined, { timeout: 15_000 });
    expect(await page.getAttribute("body", "data-state")).toBe("streaming");
    expect(emulator.sessionIds()).toContain(sessionId);

    await page.click("#stop");
    await page.waitForFunction(() => document.body.dataset.state === "stopped", undefined, { timeout: 15_000 });
    expect(await page.textContent("#status")).toBe(`session ${sessionId} stopped`);

    const stops = emulator.requests.filter((r) => r.op === "stopruntimesession");
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ status: 200, sessionId });
    expect(stops[0].headers.authorization).toBe(`Bearer ${token}`);
    expect(stops[0].headers.origin).toBe(new URL(site!.url).origin);
    await until(() => aborted.includes(sessionId), "the agent's stream to end with the session");
    expect(emulator.sessionIds()).not.toContain(sessionId);

    // the stopped reply kept what streamed; the page starts a new session for the next prompt
    const streamed = await page.textContent("#output p:last-child");
    expect(streamed).toMatch(/^tick 0 tick 1 tick 2 tick 3 /);
    expect(await page.isDisabled("#stop")).toBe(true);
    await page.fill("#prompt", "again");
    await page.click("#send");
    await page.waitForFunction(() => document.body.dataset.state === "done", undefined, { timeout: 15_000 });
    expect(await page.textContent("#output p:last-child")).toBe("You said: again");
    const next = (await page.textContent("#session"))!;
    expect(next).not.toBe(sessionId);
    expect(emulator.requests.filter((r) => r.op === "invocations").at(-1)?.sessionId).toBe(next);
  }, 60_000);

  test("an error from the service shows in the page (a token the emulator did not sign)", async () => {
    const forged = token.slice(0, token.lastIndexOf(".") + 1) + "c2lnbmF0dXJl";
    // a fresh page: the same URL with another fragment would not load the page again
    await page.close();
    page = await browser!.newPage();
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(`${site!.url}/?endpoint=${encodeURIComponent(emulator.url)}&arn=${encodeURIComponent(emulator.runtimeArn)}#token=${encodeURIComponent(forged)}`);
    await page.fill("#prompt", "hello");
    await page.click("#send");
    await page.waitForFunction(() => document.body.dataset.state === "error", undefined, { timeout: 15_000 });
    expect(await page.textContent("#status")).toMatch(/^UnauthorizedException: /);
  });
});
