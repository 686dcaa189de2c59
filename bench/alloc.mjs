// Bytes allocated per small invoke, and by which functions: raw node:http and each given build of the client,
// over keep-alive loopback to a server in this process, measured with V8's sampling heap profiler (every
// 128 bytes, objects already collected included). Small invokes respond to allocation (bench/README.md,
// fifth pass), and unlike time this is steady from run to run on a noisy machine.
//
//   npm run build && node bench/alloc.mjs packages/client/dist            # raw, then the build
//   node bench/alloc.mjs /tmp/before packages/client/dist                 # two builds (copy dist aside first)
//
// ALLOC_CALLS (5000) measured per side after ALLOC_WARMUP (2000) unmeasured; ALLOC_TOP (20) functions listed.
import inspector from "node:inspector/promises";
import { importBuilds, loopbackSides, reply } from "./loopback.mjs";

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node bench/alloc.mjs <dist dir> [<dist dir> …]");
  process.exit(2);
}
const count = (name, fallback, min) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < min) {
    console.error(`${name}=${process.env[name]}: a whole number of at least ${min}`);
    process.exit(2);
  }
  return n;
};
const CALLS = count("ALLOC_CALLS", 5000, 1);
const WARMUP = count("ALLOC_WARMUP", 2000, 0);
const TOP = count("ALLOC_TOP", 20, 0);

const { sides, close } = await loopbackSides(dirs, await importBuilds(dirs));

const session = new inspector.Session();
session.connect();
await session.post("HeapProfiler.enable");
console.log(`allocation per small invoke (${CALLS} calls after ${WARMUP} unmeasured), node ${process.version}`);
for (const [name, one] of sides) {
  for (let i = 0; i < WARMUP; i++) await one();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  let bytes = 0;
  for (let i = 0; i < CALLS; i++) bytes += await one();
  const { profile } = await session.post("HeapProfiler.stopSampling");
  if (bytes !== CALLS * reply.length) throw new Error(`${name}: read ${bytes} bytes, expected ${CALLS * reply.length}`);
  let total = 0;
  const by = new Map();
  const walk = (node) => {
    total += node.selfSize;
    const frame = node.callFrame;
    const key = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-1)[0]}:${frame.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  console.log(`\n${name}: ${(total / CALLS / 1024).toFixed(2)} KB per call`);
  for (const [key, size] of [...by].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${String(Math.round(size / CALLS)).padStart(6)} B  ${key}`);
}
session.disconnect();
close();
