// After `tsup`: the client's ESM declarations (dist/*.d.mts) become re-exports of its CommonJS ones (dist/*.d.ts).
//
// tsup writes the same declarations twice, and TypeScript took the two files for two sets of types: an ESM package
// that used a CommonJS package of the same application could not pass a RuntimeClient, a command or an error from
// one to the other ("Property '#private' refers to a different member", "Property '[BRAND]' is missing"), though
// at run time they work together (the errors' brand is a registry-wide symbol). One set of declarations, reached
// from both `import` and `require`, is one set of types; the `.d.mts` stays an ES module (as its `.mjs` is), so
// every module resolution still reads the right format.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../packages/client/dist/", import.meta.url));

for (const entry of ["index", "sigv4"]) {
  const cjs = path.join(DIST, `${entry}.d.ts`);
  if (!fs.existsSync(cjs)) throw new Error(`${cjs} is missing: run tsup (with declarations) first`);
  fs.writeFileSync(path.join(DIST, `${entry}.d.mts`), `export * from "./${entry}.js";\n`);
}
