/**
 * The declarations as a strict TypeScript team uses them: `strict`, `exactOptionalPropertyTypes`,
 * `noUncheckedIndexedAccess`, `noPropertyAccessFromIndexSignature`, and declaration emit (a library that re-exports
 * what it builds with the client). Each line of the consumer below was an error before (an outside review):
 * - `exactOptionalPropertyTypes` refused `undefined` for optional inputs the client accepts at runtime (the
 *   README's own `token: process.env.AGENTCORE_TOKEN`): optional inputs are now `?: T | undefined`;
 * - the error interfaces were structurally identical, so `if (ThrottlingException.isInstance(e)) return;` left
 *   `e` as `never`, and an `AbortError` was assignable to a `ThrottlingException`: each now has its literal `name`;
 * - `RuntimeContext` was an `Omit<>` of the AWS SDK's context, whose index signature swallowed every inherited
 *   field (`clientName` was `any`); `context.logger` was optional although always set;
 * - public signatures named types the package did not export (`RuntimeRef`, `ResolvedEndpoint`,
 *   `RuntimeResponse`, …): a consumer emitting declarations failed with TS4023 / TS2459.
 * A temporary project links the built package as an install does; the compiler API checks it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../../..");

const SOURCE = `
import {
  AbortError, AgentRuntimeError, ClientErrorNames, InvokeCommand, RuntimeClient, RuntimeCommand, ThrottlingException,
  parseRuntimeRef, resolveEndpoint, connectWebSocket,
  type BodyReader, type InvokeCommandOutput, type MetadataBearer, type RuntimeContext, type RuntimeResponse,
} from "@agentcore-runtime/client";
import { sigv4Auth } from "@agentcore-runtime/client/sigv4";
import type { HttpRequest } from "@smithy/protocol-http";

const env: { SESSION?: string; AGENTCORE_TOKEN?: string; ENDPOINT?: string } = {};
const maybe: string | undefined = env.SESSION;

// exactOptionalPropertyTypes: undefined where the runtime takes it
export const client = new RuntimeClient({ token: env.AGENTCORE_TOKEN, endpoint: env.ENDPOINT, logger: undefined, region: maybe });
export const invoke = new InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-abcdefghij", sessionId: maybe, payload: {}, qualifier: undefined });
export const sent: Promise<InvokeCommandOutput> = client.send(invoke, { abortSignal: undefined, deadline: maybe === undefined ? undefined : 5_000 });
export const ws = () => connectWebSocket(client, { runtimeArn: "a-abcdefghij", accountId: "123456789012", sessionId: maybe }, { signal: undefined });
export const signed = sigv4Auth({ credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "s", sessionToken: maybe }, region: undefined });

// narrowing: a class check leaves the other errors, never \`never\`
export function describe(e: unknown): string {
  if (!AgentRuntimeError.isInstance(e)) throw e;
  if (ThrottlingException.isInstance(e)) return "throttled " + e.name;
  return e.message + String(e.cause) + e.$fault;
}
export function named(e: AbortError | ThrottlingException): string {
  if (e.name === "AbortError") {
    const a: AbortError = e;
    return a.name;
  }
  const t: ThrottlingException = e;
  return t.name + ClientErrorNames.aborted;
}
// @ts-expect-error an AbortError is not a ThrottlingException
export const wrong: ThrottlingException = {} as AbortError;

// middleware: the context's fields keep their types, its logger is always there
client.middlewareStack.add(
  (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    context.logger.debug("sending", context.commandName);
    const name: string | undefined = context.clientName;
    const signal: AbortSignal = context.signal;
    // @ts-expect-error clientName is a string, not a number
    const n: number = context.clientName;
    void name; void signal; void n;
    return next(args);
  },
  { step: "finalizeRequest", name: "audit" },
);

// declaration emit: inferred types the package exports
export const ref = parseRuntimeRef("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-abcdefghij");
export const endpoint = resolveEndpoint({ region: "us-east-1" });
export class Custom extends RuntimeCommand<{ runtimeArn: string }, MetadataBearer & { bytes: number }> {
  readonly commandName = "Custom";
  readonly operation = "invoke" as const;
  constructor(input: { runtimeArn: string }) { super(input); }
  serialize(_input: { runtimeArn: string }, _context: RuntimeContext): Promise<HttpRequest> { throw new Error("not sent"); }
  async deserialize(response: RuntimeResponse, _context: RuntimeContext) {
    const body: BodyReader = response.body;
    void body;
    return { $metadata: {}, bytes: 0 };
  }
}
`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-strict-consumer-"));
  fs.mkdirSync(path.join(dir, "node_modules/@agentcore-runtime"), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "packages/client"), path.join(dir, "node_modules/@agentcore-runtime/client"), "dir");
  // the consumer's own import of the request type (a dependency of the client, installed beside it)
  fs.symlinkSync(path.join(ROOT, "node_modules/@smithy"), path.join(dir, "node_modules/@smithy"), "dir");
  if (!fs.existsSync(path.join(ROOT, "packages/client/dist/sigv4.d.ts"))) throw new Error("packages/client/dist has no declarations: run `npm run build` first");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function diagnostics(type: "commonjs" | "module", options: ts.CompilerOptions): string[] {
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type }));
  const file = path.join(dir, "consumer.ts");
  fs.writeFileSync(file, SOURCE);
  const program = ts.createProgram([file], {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noPropertyAccessFromIndexSignature: true,
    noUnusedLocals: false,
    declaration: true,
    emitDeclarationOnly: true,
    outDir: path.join(dir, "out"),
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    typeRoots: [path.join(ROOT, "node_modules/@types")],
    ...options,
  });
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map(
    (d) => `${d.file ? path.basename(d.file.fileName) : ""}(${d.start ?? ""}): ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
  );
}

test.each([
  ["node16, an ESM package", "module", { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
  ["bundler", "module", { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }],
  ["node10 (module commonjs)", "commonjs", { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
] as const)("a strict consumer (%s) that emits declarations compiles without an error", (_label, type, options) => {
  expect(diagnostics(type, options)).toEqual([]);
  // the emitted declarations name the package's own types
  const dts = fs.readFileSync(path.join(dir, "out/consumer.d.ts"), "utf8");
  expect(dts).toMatch(/ref: import\("@agentcore-runtime\/client"\)\.RuntimeRef/);
  expect(dts).toMatch(/endpoint: import\("@agentcore-runtime\/client"\)\.ResolvedEndpoint/);
});
