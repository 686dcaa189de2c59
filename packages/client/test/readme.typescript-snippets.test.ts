/**
 * The README's server-side streaming snippets compile under `strict`, with the DOM lib in the tsconfig (Next.js,
 * most web projects) and without it (a Node service: `lib: es2022`, `types: node`). Both failed in one of them:
 * `request.json()` is `unknown` without the DOM lib, and with it `Readable.fromWeb` refused the DOM lib's
 * `ReadableStream`. Type-checked with the TypeScript compiler API against the built declarations.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";

const ROOT = join(__dirname, "../../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The first ```ts block after `heading` (a line of the README). */
function snippetAfter(heading: string): string {
  const at = README.indexOf(heading);
  expect(at).toBeGreaterThan(-1);
  const block = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  expect(block).not.toBeNull();
  return block![1];
}

// what the snippets take from the quick start, and an Express-shaped `app`
const PRELUDE = `
import { InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import type { IncomingMessage, ServerResponse } from "node:http";
const client = new RuntimeClient({ token: "t" });
const runtimeArn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij";
declare const app: { get(path: string, handler: (req: IncomingMessage & { query: Record<string, unknown> }, res: ServerResponse) => unknown): void };
void InvokeStreamCommand;
`;

function diagnostics(source: string, lib: string[], types: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "readme-ts-"));
  try {
    const file = join(dir, "snippet.ts");
    // the snippet's own imports first: an import must come before the prelude's statements in a module
    const imports = source.match(/^import .*;$/gm) ?? [];
    writeFileSync(file, `${imports.join("\n")}\n${PRELUDE}\n${source.replace(/^import .*;$/gm, "")}\nexport {};\n`);
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: lib.map((name) => `lib.${name}.d.ts`),
      types,
      typeRoots: [join(ROOT, "node_modules/@types")],
      baseUrl: ROOT,
      paths: { "@agentcore-runtime/client": [join(ROOT, "packages/client/dist/index.d.ts")] },
      skipLibCheck: true,
    };
    const program = ts.createProgram([file], options);
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file || d.file === undefined)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const setups = [
  ["with the DOM lib (a web project)", ["es2022", "dom", "dom.iterable"], ["node"]],
  ["without it (a Node service)", ["es2022"], ["node"]],
] as const;

describe.each(setups)("README snippets type-check %s", (_label, lib, types) => {
  test("the Web route handler", () => {
    expect(diagnostics(snippetAfter("A Web route handler"), [...lib], [...types])).toEqual([]);
  }, 60_000);
  test("Node http or Express", () => {
    expect(diagnostics(snippetAfter("Node `http` or Express:"), [...lib], [...types])).toEqual([]);
  }, 60_000);
});

test("a broken snippet is reported (the check can fail)", () => {
  expect(diagnostics("const n: number = 'text';", ["es2022"], ["node"]).join("\n")).toMatch(/not assignable/);
}, 60_000);
