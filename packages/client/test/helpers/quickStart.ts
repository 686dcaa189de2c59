import { readFileSync } from "node:fs";
import { transformSync } from "esbuild";
import * as sdk from "@agentcore-runtime/client";
import type { Emulator } from "@agentcore-runtime/emulator";

/** The ts blocks of a README's "Quick start" section, in order, as one TypeScript program. */
function quickStart(readmePath: string): string {
  const readme = readFileSync(readmePath, "utf8");
  const section = readme.split(/^## Quick start$/m)[1].split(/^## /m)[0];
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  return blocks.join("\n");
}

/**
 * Runs a README's quick start as written against the emulator: its imports become parameters bound to the
 * package, the rest the body of an async function; returns what it printed (console.log) and wrote (stdout).
 */
export async function runQuickStart(readmePath: string, emulator: Emulator): Promise<{ printed: string[]; written: string[] }> {
  const source = quickStart(readmePath);
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
  return { printed, written };
}
