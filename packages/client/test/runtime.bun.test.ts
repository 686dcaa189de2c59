/**
 * The client in Bun (the `bun` devDependency), imported as a Bun application does: the bare specifier through the
 * package's exports (Bun takes the "node" condition, so the Node build with its own keep-alive agent), by `import`
 * and by `require`, against the emulator on 127.0.0.1 in this process. An outside review ran 38 checks in Bun and
 * found no defect; these keep it so.
 */
import fs from "node:fs";
import path from "node:path";
import { startEmulator, type Emulator } from "../../emulator/src";
import { lastJsonLine, runProgram } from "./helpers/child";

const ROOT = path.resolve(__dirname, "../../..");
const BUN = path.join(ROOT, "node_modules/.bin/bun");
// Bun resolves the bare specifier from the repository's node_modules, as an application's own
const SCRIPTS = path.join(ROOT, ".tmp/bun-tests");

/** Runs `source` in Bun with `args`; resolves with its exit status and its last stdout line, parsed. */
async function bun(name: string, source: string, args: string[]): Promise<{ status: number | null; stderr: string; result: any }> {
  fs.mkdirSync(SCRIPTS, { recursive: true });
  const file = path.join(SCRIPTS, name);
  fs.writeFileSync(file, source);
  const run = await runProgram(BUN, [file, ...args], { env: { NO_COLOR: "1" } });
  return { status: run.status, stderr: run.stderr, result: lastJsonLine(run.stdout) };
}

// The same calls, written once: `load` is how the script gets the package.
const calls = (load: string) => `${load}
const [endpoint, token, runtimeArn] = process.argv.slice(2);
const client = new RuntimeClient({ endpoint, token });
const sessionId = "bun-session-" + "x".repeat(30);
(async () => {
  const json = await client.send(new InvokeCommand({ runtimeArn, sessionId, accept: "application/json", payload: { prompt: "hello from bun" } }));
  const stream = await client.send(new InvokeStreamCommand({ runtimeArn, sessionId, payload: { prompt: "one two three" } }));
  const words = [];
  for await (const event of stream.stream) words.push(event.text);
  const exec = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "echo hi" }));
  let aborted;
  try {
    await client.send(new InvokeStreamCommand({ runtimeArn, sessionId, payload: { prompt: "x" } }), { abortSignal: AbortSignal.abort(new Error("mine")) });
  } catch (e) {
    aborted = e.name;
  }
  let invalid;
  try {
    await client.send(new InvokeCommand({ runtimeArn: "not an arn", payload: {} }));
  } catch (e) {
    invalid = e.name;
  }
  const stop = await client.send(new StopSessionCommand({ runtimeArn, sessionId }));
  client.destroy();
  console.log(JSON.stringify({ json: json.json, words, exec: { exitCode: exec.exitCode, stdout: exec.stdout }, aborted, invalid, stop: stop.statusCode }));
})();
`;

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

const expected = {
  json: { response: "You said: hello from bun", sessionId: "bun-session-" + "x".repeat(30) },
  words: ["You ", "said: ", "one ", "two ", "three"],
  exec: { exitCode: 0, stdout: "hi\n" },
  aborted: "AbortError",
  invalid: "InvalidArnError",
  stop: 200,
};

test.each([
  ["import (ESM)", "calls.mjs", `import { RuntimeClient, InvokeCommand, InvokeStreamCommand, ExecuteCommandCommand, StopSessionCommand } from "@agentcore-runtime/client";`],
  ["require (CommonJS)", "calls.cjs", `const { RuntimeClient, InvokeCommand, InvokeStreamCommand, ExecuteCommandCommand, StopSessionCommand } = require("@agentcore-runtime/client");`],
])("Bun, %s: JSON, an SSE stream, a command, an abort, a bad ARN and a stop against the emulator", async (_label, name, load) => {
  const run = await bun(name, calls(load), [emulator.url, token, emulator.runtimeArn]);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.result).toEqual(expected);
});
