/**
 * The API reference check (`npm run docs:check`, part of `npm test`) fails on a public name without a doc comment.
 * The real configuration's rules run against a tiny package of their own: once with an undocumented export and an
 * undocumented interface property (the check must fail and name both), once fully documented (it must pass). The
 * real entry points are checked by `docs:check` itself, so this suite does not run TypeDoc over them again.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../../..");
const TYPEDOC = path.join(ROOT, "node_modules", "typedoc", "bin", "typedoc");
const FIXTURE_PACKAGE = "docs-check-fixture";
const run = promisify(execFile);

/** The repository's typedoc.json (JSON with comments), parsed. */
function realConfig(): Record<string, unknown> {
  const file = path.join(ROOT, "typedoc.json");
  const { config, error } = ts.parseConfigFileTextToJson(file, fs.readFileSync(file, "utf8"));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  return config;
}

/** Runs the real rules over `source` as a one-file package; resolves with TypeDoc's exit code and output. */
async function check(source: string): Promise<{ code: number; output: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-check-"));
  try {
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: FIXTURE_PACKAGE, version: "0.0.0" }));
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "ESNext", moduleResolution: "Bundler", types: [] }, include: ["index.ts"] }),
    );
    fs.writeFileSync(path.join(dir, "index.ts"), source);
    const options = {
      ...realConfig(),
      name: FIXTURE_PACKAGE,
      entryPoints: [path.join(dir, "index.ts")],
      tsconfig: path.join(dir, "tsconfig.json"),
      packagesRequiringDocumentation: [FIXTURE_PACKAGE],
      // the repository's own exceptions name repository names; none of them is in the fixture
      intentionallyNotDocumented: [],
    };
    fs.writeFileSync(path.join(dir, "typedoc.json"), JSON.stringify(options));
    try {
      const { stdout, stderr } = await run(process.execPath, [TYPEDOC, "--options", path.join(dir, "typedoc.json"), "--emit", "none"], { cwd: dir });
      return { code: 0, output: stdout + stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === "number" ? err.code : -1, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const DOCUMENTED = `
/** How a greeting is phrased. */
export interface GreetOptions {
  /** Said before the name (default "Hello"). */
  salutation?: string;
}

/** Greets \`name\`. */
export function greet(name: string, options: GreetOptions = {}): string {
  return \`\${options.salutation ?? "Hello"}, \${name}\`;
}
`;

describe("the API reference check", () => {
  test("fails on an export or an interface property without a doc comment, naming each", async () => {
    const source = DOCUMENTED.replace("  /** Said before the name (default \"Hello\"). */\n", "") + "\nexport const DEFAULT_NAME = \"world\";\n";
    const { code, output } = await check(source);
    expect(code).not.toBe(0);
    expect(output).toMatch(/GreetOptions\.salutation \(Property\).*does not have any documentation/);
    expect(output).toMatch(/DEFAULT_NAME \(Variable\).*does not have any documentation/);
  });

  test("passes when every public name is documented", async () => {
    const { code, output } = await check(DOCUMENTED);
    expect(output).not.toMatch(/does not have any documentation/);
    expect(code).toBe(0);
  });
});
