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
