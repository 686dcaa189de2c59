import { readFileSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";
import * as sdk from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

// The package's own README is what npm shows; its quick start must run as written, like the project README's
// (readme.snippets.test.ts), against the emulator.

/** The ts blocks of packages/client/README.md's "Quick start" section, in order, as one TypeScript program. */
function quickStart(): string {
  const readme = readFileSync(join(__dirname, "../README.md"), "utf8");
  const section = readme.split(/^## Quick start$/m)[1].split(/^## /m)[0];
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  return blocks.join("\n");
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

test("packages/client/README.md's quick start runs as written against the emulator", async () => {
  const source = quickStart();
  // imports become parameters bound to the package; the rest runs as the body of an async function
  const imports = /^import \{([^}]+)\} from "@agentcore-runtime\/client";$/m.exec(source);
  expect(imports).not.toBeNull();
  const names = imports![1].split(",").map((n) => n.trim());
  const body = transformSync(source.replace(imports![0], ""), { loader: "ts", format: "esm", target: "es2022" }).code;

  const printed: string[] = [];
  const fakeConsole = { ...console, log: (...args: unknown[]) => printed.push(args.map(String).join(" ")) };
  const written: string[] = [];
  const fakeProcess = { env: { AGENTCORE_TOKEN: await emulator.issueToken(), AGENT_ARN: emulator.runtimeArn }, stdout: { write: (s: string) => written.push(s) } };

  process.env.BEDROCK_AGENTCORE_DP_ENDPOINT = emulator.url;
  try {
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
    const run = new AsyncFunction(...names, "console", "process", body);
    await run(...names.map((n) => (sdk as Record<string, unknown>)[n]), fakeConsole, fakeProcess);
  } finally {
    delete process.env.BEDROCK_AGENTCORE_DP_ENDPOINT;
  }

  expect(printed[0]).toContain("Hello");
  expect(written.join("")).toContain("Tell me a story");
  expect(written.length).toBeGreaterThan(1); // streamed in several events
  expect(printed[1]).toBe("0 COMPLETED hello from the container\n");
  expect(printed[2]).toMatch(/^InvokeCommand took \d+ ms$/);
  const ops = emulator.requests.map((r) => `${r.op}:${r.status}`);
  expect(ops).toEqual(["invocations:200", "invocations:200", "commands:200", "stopruntimesession:200", "invocations:200"]);
});
