/**
 * The package's two entries (the root and `/sigv4`) type-check in a TypeScript project of every module resolution
 * users have: node10 (what `"module": "commonjs"` without a `moduleResolution` means, so most older CommonJS
 * projects), node16 in a CommonJS and in an ESM package, nodenext and bundler. `/sigv4` had no types under node10
 * (node10 does not read `exports`): `typesVersions` in package.json now maps it. A temporary project outside the
 * repository links the package in node_modules, as an install does, and the compiler API checks it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../../..");

const SOURCE = `
import { InvokeCommand, RuntimeClient, type InvokeCommandOutput } from "@agentcore-runtime/client";
import { sigv4Auth } from "@agentcore-runtime/client/sigv4";
const client = new RuntimeClient({ token: "t" });
export const pending: Promise<InvokeCommandOutput> = client.send(new InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-abcdefghij", payload: {} }));
export const auth: typeof sigv4Auth = sigv4Auth;
`;

type Setup = { type: "commonjs" | "module"; options: ts.CompilerOptions };
const setups: [string, Setup][] = [
  ["node10 (module commonjs)", { type: "commonjs", options: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 } }],
  ["node16, a CommonJS package", { type: "commonjs", options: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 } }],
  ["node16, an ESM package", { type: "module", options: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 } }],
  ["nodenext, an ESM package", { type: "module", options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext } }],
  ["bundler", { type: "module", options: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler } }],
];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-consumers-"));
  fs.mkdirSync(path.join(dir, "node_modules/@agentcore-runtime"), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "packages/client"), path.join(dir, "node_modules/@agentcore-runtime/client"), "dir");
  if (!fs.existsSync(path.join(ROOT, "packages/client/dist/sigv4.d.ts"))) throw new Error("packages/client/dist has no declarations: run `npm run build` first");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The diagnostics of `source` as the one file of a project of `setup`'s kind. */
function diagnostics(source: string, setup: Setup): string[] {
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: setup.type }));
  const file = path.join(dir, "consumer.ts");
  fs.writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
    typeRoots: [path.join(ROOT, "node_modules/@types")],
    ...setup.options,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

test.each(setups)("a TypeScript project with %s: the root entry and /sigv4 resolve to their real declarations", (_label, setup) => {
  // two misuses, so the types are known to be real (not \`any\`): exactly their two errors, nothing else
  const found = diagnostics(`${SOURCE}\nexport const n: number = sigv4Auth;\nexport const c: string = new RuntimeClient({});\n`, setup);
  expect(found).toHaveLength(2);
  expect(found[0]).toMatch(/^consumer\.ts: Type .* is not assignable to type 'number'/);
  expect(found[1]).toMatch(/^consumer\.ts: Type 'RuntimeClient' is not assignable to type 'string'/);
});

test("an ESM package and a CommonJS package of one application pass clients, commands and errors to each other (one set of types)", () => {
  // dist/index.d.mts re-exports dist/index.d.ts: the two copies tsup writes were two sets of types, and TypeScript
  // refused a CommonJS-typed RuntimeClient where the ESM-typed one was expected ('#private' refers to a different
  // member), and the same for commands and errors ('[BRAND]' is missing), though at run time they work together
  const app = fs.mkdtempSync(path.join(dir, "dual-"));
  for (const [sub, type] of [["lib-cjs", "commonjs"], ["app-esm", "module"]] as const) {
    fs.mkdirSync(path.join(app, sub));
    fs.writeFileSync(path.join(app, sub, "package.json"), JSON.stringify({ type }));
  }
  fs.writeFileSync(
    path.join(app, "lib-cjs/index.ts"),
    `import { RuntimeClient, InvokeCommand, AgentRuntimeError, ThrottlingException } from "@agentcore-runtime/client";
export function createClient(token: string): RuntimeClient { return new RuntimeClient({ token }); }
export function invoke(runtimeArn: string): InvokeCommand { return new InvokeCommand({ runtimeArn, payload: {} }); }
export function toError(e: unknown): AgentRuntimeError | undefined { return e instanceof AgentRuntimeError ? e : undefined; }
export function isThrottled(e: AgentRuntimeError): boolean { return ThrottlingException.isInstance(e); }
`,
  );
  fs.writeFileSync(
    path.join(app, "app-esm/main.ts"),
    `import { RuntimeClient, AgentRuntimeError, StopSessionCommand } from "@agentcore-runtime/client";
import { createClient, invoke, toError, isThrottled } from "../lib-cjs/index.js";
const fromCjs = createClient("t");
export const asEsm: RuntimeClient = fromCjs;
export const out = fromCjs.send(new StopSessionCommand({ runtimeArn: "a-abcdefghij", accountId: "123456789012", sessionId: "s".repeat(33) }));
export const mine = new RuntimeClient({ token: "t" });
export const out2 = mine.send(invoke("arn"));
export const err: AgentRuntimeError | undefined = toError(new Error("x"));
declare const esmErr: AgentRuntimeError;
export const t = isThrottled(esmErr);
// the types are real: a misuse is still an error
export const n: number = mine;
`,
  );
  const program = ts.createProgram([path.join(app, "lib-cjs/index.ts"), path.join(app, "app-esm/main.ts")], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    typeRoots: [path.join(ROOT, "node_modules/@types")],
  });
  const found = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(/^main\.ts: Type 'RuntimeClient' is not assignable to type 'number'/);
});
