/**
 * The user agent names the version that was actually released: the build writes packages/client/package.json's
 * `version` into the code (tsup `define`, see src/version.ts), so after `changeset version` bumps it the next
 * build reports the new number with no source edit. Each built entry point is loaded the way an application
 * loads it, in a separate Node process, and calls a loopback server that records the header.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { SDK_VERSION } from "../src/version";
import { ARN, startServer, type TestServer } from "./helpers/server";

const ROOT = path.resolve(__dirname, "../../..");
const DIST = path.join(ROOT, "packages/client/dist");
const PKG = "@agentcore-runtime/client";
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, "packages/client/package.json"), "utf8")).version;
const run = promisify(execFile);

let server: TestServer;

beforeAll(async () => {
  const started = Date.now();
  // a concurrent `tsup` run empties dist for a moment; wait for the files rather than fail on the race
  while (!["index.js", "index.mjs", "index.browser.mjs"].every((f) => fs.existsSync(path.join(DIST, f)))) {
    if (Date.now() - started > 30_000) throw new Error("packages/client/dist is incomplete: run `npm run build` first");
    await new Promise((r) => setTimeout(r, 200));
  }
  server = await startServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});

afterAll(() => server?.close());

/** Loads the SDK with `load` in a child Node process, sends one InvokeCommand to the server, returns its user agent. */
async function userAgentFrom(load: string, inputType: "commonjs" | "module"): Promise<string> {
  const before = server.requests.length;
  const body = `
    const sdk = ${load};
    const client = new sdk.RuntimeClient({ endpoint: ${JSON.stringify(server.url)}, token: "tok-123" });
    await client.send(new sdk.InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, payload: {} }));
    client.destroy();`;
  const script = inputType === "module" ? body : `(async () => { ${body} })().catch((e) => { console.error(e); process.exit(1); });`;
  await run(process.execPath, [`--input-type=${inputType}`, "-e", script], { cwd: ROOT, timeout: 20_000 });
  expect(server.requests.length).toBe(before + 1);
  return String(server.requests.at(-1)!.headers["x-amz-user-agent"]);
}

test("the version is a real semver from package.json", () => {
  expect(VERSION).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
});

test("require() of the built package sends x-amz-user-agent: agentcore-runtime-js/<package.json version>", async () => {
  expect(await userAgentFrom(`require(${JSON.stringify(PKG)})`, "commonjs")).toBe(`agentcore-runtime-js/${VERSION}`);
});

test("import of the built package sends the same user agent", async () => {
  expect(await userAgentFrom(`await import(${JSON.stringify(PKG)})`, "module")).toBe(`agentcore-runtime-js/${VERSION}`);
});

test("the browser build (fetch handler) sends the same user agent", async () => {
  const browserBuild = JSON.stringify(path.join(DIST, "index.browser.mjs"));
  expect(await userAgentFrom(`await import(${browserBuild})`, "module")).toBe(`agentcore-runtime-js/${VERSION}`);
});

test("no built file keeps the placeholder or the from-source fallback", () => {
  for (const file of ["index.js", "index.mjs", "index.browser.js", "index.browser.mjs"]) {
    const text = fs.readFileSync(path.join(DIST, file), "utf8");
    expect([file, text.includes("__AGENTCORE_SDK_VERSION__"), text.includes("0.0.0-dev")]).toEqual([file, false, false]);
  }
});

test("run from source (nothing defines the constant) the SDK falls back to 0.0.0-dev instead of throwing", async () => {
  expect(SDK_VERSION).toBe("0.0.0-dev");
  const client = new RuntimeClient({ endpoint: server.url, token: "tok-123" });
  try {
    await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  } finally {
    client.destroy();
  }
  expect(server.requests.at(-1)!.headers["x-amz-user-agent"]).toBe("agentcore-runtime-js/0.0.0-dev");
});
