import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Options } from "tsup";
import { build as esbuild, type Plugin } from "esbuild";

// `tsup --env.BUILD js` (npm run build:js, used by `npm run demo`): JavaScript only, no type declarations,
// which take most of a full build's time. It leaves dist/ in place (no clean), so declarations from an
// earlier full build survive; `npm run build` (and so `npm test` and a release) always does the full build.
// tsup's `--env.X` also defines `process.env.BUILD` inside the bundles; no source reads that name.
type BuildFlags = { env?: Record<string, string> };

// The client reports its real version in `x-amz-user-agent` (see packages/client/src/version.ts).
const clientVersion: string = JSON.parse(readFileSync(new URL("./packages/client/package.json", import.meta.url), "utf8")).version;

// The browser build swaps `runtime/runtimeConfig` for its `.browser` sibling, so no `node:` import,
// `process.env` read or Node HTTP handler reaches a browser bundle.
const browserRuntime: Plugin = {
  name: "browser-runtime",
  setup(build) {
    build.onResolve({ filter: /\/(runtimeConfig|webSocketRuntime|lazy)$/ }, async (args) => {
      const swapped = `${args.path}.browser`;
      const resolved = await build.resolve(swapped, { resolveDir: args.resolveDir, kind: args.kind });
      return resolved.errors.length ? undefined : { path: resolved.path };
    });
  },
};

// Node: the real-time code (src/realtime/impl.ts: WebSocket and shells, about a fifth of the package) is a file
// of its own, dist/realtime.js (.mjs), that the root entry import()s on the first call (src/realtime/lazy.ts),
// so a cold import does not parse it. Two plugins make the split:
const REALTIME = fileURLToPath(new URL("./packages/client/src/realtime", import.meta.url));
const REALTIME_ONLY = new Set([
  ...["impl", "webSocket", "shell", "socket"].map((name) => path.join(REALTIME, `${name}.ts`)),
  path.join(REALTIME, "../runtime/webSocketRuntime.ts"),
]);
const INTERNALS = path.join(REALTIME, "internals.ts");

// 1. The root entry: lazy.ts's import("./impl") stays an import, of the sibling file of the same format.
const realtimeImport: Plugin = {
  name: "realtime-import",
  setup(build) {
    const ext = build.initialOptions.outExtension?.[".js"] ?? ".js";
    build.onResolve({ filter: /^\.\/impl$/ }, (args) =>
      args.importer === path.join(REALTIME, "lazy.ts") ? { path: `./realtime${ext}`, external: true } : undefined,
    );
  },
};

// ... and in the CommonJS build that import() becomes a require(): an import() from CommonJS would start Node's ESM
// loader, which costs more than loading the file itself. (tsup's own plugins run on esbuild's output, before its
// tree-shaking pass turns it into CommonJS; that pass keeps a require() as it is.)
const REALTIME_IMPORT = 'import("./realtime.js")';
const realtimeRequire: NonNullable<Options["plugins"]>[number] = {
  name: "realtime-require",
  renderChunk(code, info) {
    if (this.format !== "cjs" || !info.path.endsWith(`${path.sep}index.js`)) return undefined;
    if (!code.includes(REALTIME_IMPORT)) throw new Error(`${info.path}: no ${REALTIME_IMPORT} to turn into a require()`);
    return { code: code.replace(REALTIME_IMPORT, 'Promise.resolve().then(() => require("./realtime.js"))') };
  },
};

// 2. The real-time file: only the real-time modules. internals.ts (what they use of the rest of the package)
// becomes empty bindings that the root entry fills with its own modules through linkInternals when it has
// loaded the file, so no error class, WeakMap or other module is copied. Any other value import that leaves the
// real-time modules fails the build, rather than quietly bundling a second copy.
const realtimeInternals: Plugin = {
  name: "realtime-internals",
  setup(build) {
    build.onResolve({ filter: /^\./ }, async (args) => {
      // (pluginData marks the resolve call below, which passes through here too)
      if (args.pluginData === "inner" || !REALTIME_ONLY.has(args.importer)) return undefined;
      const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: "inner" });
      if (resolved.errors.length) return undefined;
      // a relative name: it shows in the output's comments and source map
      if (resolved.path === INTERNALS) return { path: "src/realtime/internals.ts", namespace: "realtime-internals" };
      if (REALTIME_ONLY.has(resolved.path)) return undefined;
      return { errors: [{ text: `${path.relative(REALTIME, args.importer)} imports ${args.path}: the real-time code takes what it uses of the rest of the package through internals.ts` }] };
    });
    build.onLoad({ filter: /.*/, namespace: "realtime-internals" }, async () => {
      // the names internals.ts exports, as esbuild sees them (type-only ones are gone)
      const { metafile } = await esbuild({ entryPoints: [INTERNALS], bundle: false, write: false, metafile: true, format: "esm", logLevel: "silent" });
      const names = Object.values(metafile.outputs).flatMap((out) => out.exports).filter((name) => name !== "linkInternals");
      return {
        contents: [
          `export let ${names.join(", ")};`,
          "let linked = false;",
          "export function linkInternals(internals) {",
          "  if (linked) return;",
          "  linked = true;",
          `  ({ ${names.join(", ")} } = internals);`,
          "}",
        ].join("\n"),
        loader: "js",
        resolveDir: REALTIME,
      };
    });
  },
};

const client: Options = {
  entry: { index: "packages/client/src/index.ts" },
  outDir: "packages/client/dist",
  format: ["cjs", "esm"],
  platform: "node",
  target: "node20",
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  splitting: false,
  // Node: the used parts of @smithy are bundled in, tree-shaken, so an import loads one file instead of
  // @smithy/core's submodules one by one (most of a cold start). The default HTTP handler's node:http(s) are
  // import()ed on the first send, so an import loads neither.
  // (Except the fetch handler: Deno's first send import()s it from the package's dependency, so Node's build
  // carries none of it; see runtime/runtimeConfig.ts.)
  noExternal: [/^@smithy\/(?!fetch-http-handler$)/],
  // `ws` (optional peer dependency) is import()ed on the first WebSocket connect in Node, never at import
  external: ["ws", "@smithy/fetch-http-handler"],
  define: { __AGENTCORE_SDK_VERSION__: JSON.stringify(clientVersion) },
  esbuildPlugins: [realtimeImport],
  plugins: [realtimeRequire],
};

// dist/realtime.js / .mjs (see realtimeInternals above): no declarations, it is no entry point of the package
const realtimeChunk: Options = {
  ...client,
  entry: { realtime: "packages/client/src/realtime/impl.ts" },
  dts: false,
  clean: false,
  esbuildPlugins: [realtimeInternals],
  plugins: [],
};

// `@agentcore-runtime/client/sigv4`: entries of their own, so the root entry's bundles do not change by a byte.
const clientSigv4: Options = { ...client, entry: { sigv4: "packages/client/src/sigv4/index.ts" }, clean: false };

const builds: Options[] = [
  client,
  realtimeChunk,
  clientSigv4,
  {
    ...client,
    entry: { "index.browser": "packages/client/src/index.ts" },
    platform: "browser",
    target: "es2022",
    dts: false,
    clean: false,
    esbuildPlugins: [browserRuntime],
    // browsers: dependencies stay imports, so an application's bundler dedupes them with its own copies
    noExternal: [],
    external: [/^@smithy\//],
  },
  {
    ...clientSigv4,
    entry: { "sigv4.browser": "packages/client/src/sigv4/index.ts" },
    platform: "browser",
    target: "es2022",
    dts: false,
    esbuildPlugins: [browserRuntime],
    noExternal: [],
    external: [/^@smithy\//],
  },
  {
    entry: { index: "packages/emulator/src/index.ts" },
    outDir: "packages/emulator/dist",
    format: ["cjs", "esm"],
    platform: "node",
    target: "node20",
    dts: { entry: { index: "packages/emulator/src/index.ts" } },
    sourcemap: true,
    clean: true,
    external: ["@agentcore-runtime/client", "jose", "ws", /^@smithy\//],
  },
  // the bin (package.json "bin": dist/bin.js) is CommonJS only: an ESM copy of it was shipped and never used
  {
    entry: { bin: "packages/emulator/src/bin.ts" },
    outDir: "packages/emulator/dist",
    format: ["cjs"],
    platform: "node",
    target: "node20",
    sourcemap: true,
    clean: false,
    external: ["@agentcore-runtime/client", "jose", "ws", /^@smithy\//],
  },
  {
    entry: { bin: "packages/cli/src/bin.ts" },
    outDir: "packages/cli/dist",
    format: ["cjs"],
    platform: "node",
    target: "node20",
    sourcemap: true,
    clean: true,
    external: ["@agentcore-runtime/client", /^@smithy\//, "@aws-sdk/credential-providers", "ws"],
  },
];

export default defineConfig((flags: BuildFlags) =>
  flags.env?.BUILD === "js" ? builds.map((build) => ({ ...build, dts: false, clean: false })) : builds,
);
