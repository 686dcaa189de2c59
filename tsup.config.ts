import { readFileSync } from "node:fs";
import { defineConfig, type Options } from "tsup";
import type { Plugin } from "esbuild";

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
    build.onResolve({ filter: /\/(runtimeConfig|webSocketRuntime)$/ }, async (args) => {
      const swapped = `${args.path}.browser`;
      const resolved = await build.resolve(swapped, { resolveDir: args.resolveDir, kind: args.kind });
      return resolved.errors.length ? undefined : { path: resolved.path };
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
  noExternal: [/^@smithy\//],
  // `ws` (optional peer dependency) is import()ed on the first WebSocket connect in Node, never at import
  external: ["ws"],
  define: { __AGENTCORE_SDK_VERSION__: JSON.stringify(clientVersion) },
};

// `@agentcore-runtime/client/sigv4`: entries of their own, so the root entry's bundles do not change by a byte.
const clientSigv4: Options = { ...client, entry: { sigv4: "packages/client/src/sigv4/index.ts" }, clean: false };

const builds: Options[] = [
  client,
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
    entry: {
      index: "packages/emulator/src/index.ts",
      bin: "packages/emulator/src/bin.ts",
    },
    outDir: "packages/emulator/dist",
    format: ["cjs", "esm"],
    platform: "node",
    target: "node20",
    dts: { entry: { index: "packages/emulator/src/index.ts" } },
    sourcemap: true,
    clean: true,
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
    external: ["@agentcore-runtime/client", /^@smithy\//, "@aws-sdk/credential-providers"],
  },
];

export default defineConfig((flags: BuildFlags) =>
  flags.env?.BUILD === "js" ? builds.map((build) => ({ ...build, dts: false, clean: false })) : builds,
);
