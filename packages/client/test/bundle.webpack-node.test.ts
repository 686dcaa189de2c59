/**
 * webpack 5 with a Node target (a server, Lambda or NestJS bundle) over the built package, in an application that
 * never opens a WebSocket and has no `ws` installed. webpack resolves every literal `import()` when it builds, and
 * the real-time file's `import("ws")` made such a build fail ("Can't resolve 'ws'"); the import now carries
 * `webpackIgnore`, so Node resolves it at run time. `ws` is made unresolvable here by an alias to a missing path
 * (the repository itself has it installed). The bundles are then run against the emulator.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import webpack from "webpack";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../../..");
let dir: string;
let emulator: Emulator;
let token: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "webpack-node-"));
  emulator = await startEmulator({ port: 0 });
  token = await emulator.issueToken();
});
afterAll(async () => {
  await emulator?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Builds `entry` (a file under `dir`) for Node; resolves with webpack's errors and warnings as text. */
function build(entry: string, out: string): Promise<{ errors: string[]; warnings: string[] }> {
  const compiler = webpack({
    mode: "production",
    target: "node",
    context: ROOT,
    entry: path.join(dir, entry),
    output: { path: dir, filename: out },
    resolve: { modules: [path.join(ROOT, "node_modules")], alias: { ws: path.join(dir, "no-such-package", "ws") } },
    optimization: { minimize: false },
    infrastructureLogging: { level: "none" },
  });
  return new Promise((resolve, reject) =>
    compiler.run((err, stats) => {
      compiler.close(() => undefined);
      if (err || !stats) return reject(err ?? new Error("webpack gave no stats"));
      const { errors = [], warnings = [] } = stats.toJson({ all: false, errors: true, warnings: true });
      resolve({ errors: errors.map((e) => e.message), warnings: warnings.map((w) => w.message) });
    }),
  );
}

function runNode(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(dir, file)], {
      cwd: dir,
      env: { PATH: process.env.PATH, ENDPOINT: emulator.url, TOKEN: token, ARN: emulator.runtimeArn },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const BODY = `
const client = new RuntimeClient({ endpoint: process.env.ENDPOINT, token: process.env.TOKEN });
client
  .send(new InvokeCommand({ runtimeArn: process.env.ARN, payload: { prompt: "bundled" } }))
  .then(async (out) => {
    // no ws anywhere Node looks from here: a WebSocket is the typed error that says what to do
    const e = await connectWebSocket(client, { runtimeArn: process.env.ARN }).catch((err) => err);
    console.log(JSON.stringify({ text: out.text, ws: e?.name + ": " + e?.message }));
    client.destroy();
  });
`;

test.each([
  ["CommonJS", "entry.cjs", `const { RuntimeClient, InvokeCommand, connectWebSocket } = require("@agentcore-runtime/client");\n${BODY}`],
  ["ESM", "entry.mjs", `import { RuntimeClient, InvokeCommand, connectWebSocket } from "@agentcore-runtime/client";\n${BODY}`],
])("%s: builds without `ws` and with no warning about it, and the bundle invokes", async (_label, entry, source) => {
  fs.writeFileSync(path.join(dir, entry), source);
  const out = `${entry}.bundle.js`;
  const { errors, warnings } = await build(entry, out);
  expect(errors).toEqual([]);
  expect(warnings.filter((w) => /\bws\b/.test(w))).toEqual([]);
  const text = fs.readFileSync(path.join(dir, out), "utf8");
  // the package's own code is in the bundle, `ws` is not
  expect(text).toContain("base64UrlBearerAuthorization");
  expect(text).not.toContain("WebSocketServer");
  const r = await runNode(out);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const printed = JSON.parse(r.stdout);
  expect(printed.text).toContain("bundled");
  expect(printed.ws).toMatch(/^InvalidParameterError: No WebSocket implementation/);
});
