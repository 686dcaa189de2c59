import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

// `npm run demo` is the project's main job. It runs here the way a newcomer runs it right after `npm ci`: in a
// checkout whose packages were never built, so the demo has to build what it needs itself. The checkout is a
// copy in a temporary folder (sources, configs, the installed dependencies linked in, workspace links pointing
// at the copy), so the build cannot touch the dist folders other suites are reading.

const ROOT = path.resolve(__dirname, "../../..");
const PACKAGES = ["client", "emulator", "cli"];
const run = promisify(execFile);

/** What tsup and esbuild print while building; none of it may reach the demo's output. */
const BUILD_OUTPUT = /\b(tsup|CLI Building|Build start|Build success|CJS|ESM|DTS|dist\/index)\b/;

let checkout: string;

function unbuiltCheckout(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcore-demo-"));
  for (const file of ["package.json", "tsup.config.ts", "tsconfig.json"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  fs.cpSync(path.join(ROOT, "examples"), path.join(dir, "examples"), { recursive: true });
  fs.mkdirSync(path.join(dir, "node_modules/@agentcore-runtime"), { recursive: true });
  for (const name of PACKAGES) {
    const pkg = path.join(dir, "packages", name);
    fs.mkdirSync(pkg, { recursive: true });
    fs.copyFileSync(path.join(ROOT, "packages", name, "package.json"), path.join(pkg, "package.json"));
    fs.cpSync(path.join(ROOT, "packages", name, "src"), path.join(pkg, "src"), { recursive: true });
    fs.symlinkSync(pkg, path.join(dir, "node_modules/@agentcore-runtime", name), "dir");
  }
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry === "@agentcore-runtime") continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(dir, "node_modules", entry));
  }
  return dir;
}

beforeAll(() => {
  checkout = unbuiltCheckout();
});

afterAll(() => {
  // rmSync unlinks the symlinks without following them, so the real node_modules stays untouched
  if (checkout) fs.rmSync(checkout, { recursive: true, force: true });
});

test("`npm run demo` in an unbuilt checkout builds quietly, runs every operation against the emulator and exits 0", async () => {
  expect(fs.existsSync(path.join(checkout, "packages/client/dist"))).toBe(false);

  const started = Date.now();
  const { stdout, stderr } = await run("npm", ["run", "demo"], { cwd: checkout, timeout: 90_000 }).catch((error) => {
    throw new Error(`npm run demo failed: ${error.message}\n--- stdout\n${error.stdout}\n--- stderr\n${error.stderr}`);
  });
  process.stdout.write(`npm run demo (build + demo) took ${Date.now() - started} ms\n`);

  // the demo itself
  expect(stdout).toContain("1. blocking invoke");
  expect(stdout).toContain("exitCode=3 status=COMPLETED");
  expect(stdout).toContain("status=TIMED_OUT");
  expect(stdout).toContain("ResourceNotFoundException (404)");
  expect(stdout.trim().split("\n").at(-1)).toBe("all operations behaved as expected");

  // and nothing of the build: before the demo's first line there is only npm's "> demo" banner
  const lines = stdout.split("\n");
  const first = lines.findIndex((line) => line.startsWith("emulator at "));
  expect(first).toBeGreaterThanOrEqual(0);
  expect(lines.slice(0, first).filter((line) => line.trim() !== "" && !line.startsWith("> "))).toEqual([]);
  expect(stdout).not.toMatch(BUILD_OUTPUT);
  expect(stderr).not.toMatch(BUILD_OUTPUT);

  // it built the JavaScript the demo runs, and skipped the type declarations (the slow part of a full build)
  for (const file of ["client/dist/index.mjs", "emulator/dist/index.mjs"]) expect(fs.existsSync(path.join(checkout, "packages", file))).toBe(true);
  const declarations = PACKAGES.flatMap((name) => {
    const dist = path.join(checkout, "packages", name, "dist");
    return fs.existsSync(dist) ? fs.readdirSync(dist).filter((file) => /\.d\.[cm]?ts$/.test(file)) : [];
  });
  expect(declarations).toEqual([]);
}, 120_000);

test("a build error stops `npm run demo` loudly: non-zero exit, the compiler's message on stderr, no demo", async () => {
  fs.appendFileSync(path.join(checkout, "packages/client/src/version.ts"), "\nexport const broken = ;\n");

  const failure = await run("npm", ["run", "demo"], { cwd: checkout, timeout: 90_000 }).then(
    () => undefined,
    (error: { code?: number; stdout: string; stderr: string }) => error,
  );

  expect(failure).toBeDefined();
  expect(failure!.code).not.toBe(0);
  expect(failure!.stderr).toContain("packages/client/src/version.ts");
  expect(failure!.stderr).toMatch(/ERROR/);
  expect(failure!.stdout).not.toContain("emulator at ");
}, 120_000);
