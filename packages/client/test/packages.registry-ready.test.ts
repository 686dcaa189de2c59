/**
 * Each package as the registry and its users will see it: metadata pointing at the repository, the license
 * text it declares, an honest module type, internal dependency ranges that changesets keeps in step (and npm
 * workspaces still link), a tarball with the build, README and LICENSE and nothing else, and a README that
 * stands on its own (no relative link leaves the package).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(__dirname, "../../..");
const REPO = "https://github.com/agentcore-runtime/agentcore-runtime-js";
const NAMES = ["client", "emulator", "cli"] as const;
const run = promisify(execFile);

interface Manifest {
  name: string;
  version: string;
  license: string;
  type?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  browser?: unknown;
  main?: string;
  module?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  files: string[];
  publishConfig?: { access?: string; provenance?: boolean };
  dependencies?: Record<string, string>;
}

const manifest = (name: string): Manifest => JSON.parse(fs.readFileSync(path.join(ROOT, "packages", name, "package.json"), "utf8"));
const byName = new Map(NAMES.map((name) => [manifest(name).name, name] as const));

/** Every [condition path, target] pair of an exports map. */
function targets(value: unknown, conditions: string[] = []): Array<[string[], string]> {
  if (typeof value === "string") return [[conditions, value]];
  if (value && typeof value === "object") return Object.entries(value).flatMap(([key, inner]) => targets(inner, [...conditions, key]));
  return [];
}

test("the root LICENSE is the full Apache-2.0 text with the project's copyright line", () => {
  const text = fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8");
  expect(text).toMatch(/^\s*Apache License\n\s*Version 2\.0, January 2004\n/);
  for (const section of ["1. Definitions.", "4. Redistribution.", "9. Accepting Warranty or Additional Liability.", "END OF TERMS AND CONDITIONS", "APPENDIX: How to apply the Apache License to your work."]) {
    expect(text).toContain(section);
  }
  expect(text).toContain("Copyright 2026 The agentcore-runtime-js authors");
  expect(text).not.toContain("[yyyy]");
  expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).license).toBe("Apache-2.0");
});

describe.each(NAMES)("packages/%s", (name) => {
  const dir = path.join(ROOT, "packages", name);
  const pkg = manifest(name);

  test("points at the repository, its folder, the issue tracker and has keywords", () => {
    expect(pkg.repository).toEqual({ type: "git", url: `git+${REPO}.git`, directory: `packages/${name}` });
    expect(pkg.homepage).toBe(`${REPO}/tree/main/packages/${name}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPO}/issues` });
    expect(pkg.keywords).toEqual(expect.arrayContaining(["aws", "bedrock", "agentcore"]));
    expect(pkg.publishConfig).toEqual({ access: "public", provenance: true });
  });

  test("ships the same LICENSE as the root and names it in files", () => {
    expect(pkg.license).toBe("Apache-2.0");
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "README.md", "LICENSE", "CHANGELOG.md"]));
    expect(fs.readFileSync(path.join(dir, "LICENSE"), "utf8")).toBe(fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8"));
  });

  test('is "type": "commonjs" and every .js it points to is CommonJS, every .mjs ESM', () => {
    expect(pkg.type).toBe("commonjs");
    // browser builds are chosen by the "browser" exports condition; for bundlers that do not read "exports"
    // (webpack 4, browserify) the "browser" field maps each Node build to its browser build instead
    expect(pkg.browser).toEqual(
      name === "client"
        ? {
            "./dist/index.js": "./dist/index.browser.js",
            "./dist/index.mjs": "./dist/index.browser.mjs",
            "./dist/sigv4.js": "./dist/sigv4.browser.js",
            "./dist/sigv4.mjs": "./dist/sigv4.browser.mjs",
          }
        : undefined,
    );
    for (const [conditions, target] of targets(pkg.exports)) {
      if (conditions.includes("types")) expect(target).toMatch(conditions.includes("import") ? /\.d\.mts$/ : /\.d\.ts$/);
      else if (conditions.includes("import")) expect(target).toMatch(/\.mjs$/);
      else if (conditions.includes("require")) expect(target).toMatch(/\.js$/);
    }
    for (const file of [pkg.main, ...Object.values(pkg.bin ?? {})].filter((f): f is string => !!f)) expect(file).toMatch(/\.js$/);
    if (pkg.module) expect(pkg.module).toMatch(/\.mjs$/);
  });

  test("depends on its siblings with the caret range of their current version, and npm links the workspace copy", () => {
    const internal = Object.entries(pkg.dependencies ?? {}).filter(([dep]) => dep.startsWith("@agentcore-runtime/"));
    if (name === "cli") expect(internal.map(([dep]) => dep)).toEqual(["@agentcore-runtime/client"]);
    for (const [dep, range] of internal) {
      const sibling = byName.get(dep);
      expect(sibling).toBeDefined();
      expect(range).toBe(`^${manifest(sibling!).version}`);
      expect(fs.realpathSync(path.join(ROOT, "node_modules", dep))).toBe(fs.realpathSync(path.join(ROOT, "packages", sibling!)));
    }
  });

  test("packs dist, README.md, LICENSE and package.json only", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir, timeout: 60_000 });
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE"]));
    expect(files.filter((f) => !/^(dist\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$|RETRIES\.md$)/.test(f))).toEqual([]);
    // every file of its own that the build loads at run time is packed too (the client's real-time code,
    // dist/realtime.js and .mjs, is import()ed by the root entry on the first call)
    const siblings = files
      .filter((f) => /\.(c|m)?js$/.test(f))
      .flatMap((f) =>
        [...fs.readFileSync(path.join(dir, f), "utf8").matchAll(/(?:\bimport\(|\brequire\(|\bfrom)\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => path.posix.join(path.posix.dirname(f), m[1])),
      );
    expect(siblings.filter((f) => !files.includes(f))).toEqual([]);
    if (name === "client") expect(siblings).toEqual(expect.arrayContaining(["dist/realtime.js", "dist/realtime.mjs"]));
  }, 60_000);

  test("its README stands alone: install and links sections, and no relative link leaves the package", () => {
    const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
    expect(readme).toMatch(/^## Install$/m);
    expect(readme).toMatch(/^## Links$/m);
    expect(readme).toContain(`npm install ${name === "cli" ? "-g " : name === "emulator" ? "--save-dev " : ""}${pkg.name}`);
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      if (/^https:\/\//.test(link) || link.startsWith("#")) continue;
      // a relative link must name a file that is inside the package and published with it
      const target = link.split("#")[0];
      expect([link, fs.existsSync(path.join(dir, target))]).toEqual([link, true]);
      expect([link, path.relative(dir, path.join(dir, target)).startsWith("..")]).toEqual([link, false]);
      expect([link, pkg.files.some((f) => target === f || target.startsWith(`${f}/`))]).toEqual([link, true]);
    }
    // links into the repository name the main branch (or are the project page and its issues)
    for (const link of links.filter((l) => l.startsWith(REPO))) expect(link).toMatch(new RegExp(`^${REPO}(#readme|/issues|/(blob|tree)/main/.+)$`));
  });
});
