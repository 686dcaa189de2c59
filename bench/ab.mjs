// A/B of builds of the client on small invokes: the same calls through each build, interleaved round by round in
// one process (the order rotates), reported as the median of per-round ratios to the first build. Copy
// packages/client/dist aside before a change (e.g. `cp -r packages/client/dist /tmp/before`), build, then:
//
//   node bench/ab.mjs /tmp/before packages/client/dist /tmp/before-copy   # a copy of a build is the control
//   AB_MODE=loopback node bench/ab.mjs /tmp/before packages/client/dist    # over 127.0.0.1, with raw node:http
//
// AB_MODE=memory (default): a request handler that answers at once with a Node stream, so the time is the SDK's
// own per-call work. AB_MODE=loopback: a keep-alive server in this process; raw node:http (the request our first
// build sends, replayed) runs in the rotation and is the first column. AB_ROUNDS (21), AB_CALLS (2000 memory,
// 300 loopback) per side per round; 3 untimed rounds first.
import { Readable } from "node:stream";
import { ARN, importBuilds, loopbackSides, payload, reply } from "./loopback.mjs";

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error("usage: node bench/ab.mjs <dist dir> [<dist dir> …]");
  process.exit(2);
}
const MODE = process.env.AB_MODE ?? "memory";
const count = (name, fallback) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name}=${process.env[name]}: a whole number of at least 1`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = count("AB_ROUNDS", 21);
const CALLS = count("AB_CALLS", MODE === "memory" ? 2000 : 300);
const builds = await importBuilds(dirs);

const sides = [];
let close = () => undefined;
if (MODE === "memory") {
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    takesLightAbort: true,
    handle: async () => {
      const body = new Readable({ read() {} });
      body.push(reply);
      body.push(null);
      return { response: { statusCode: 200, headers: { "content-type": "application/json", "content-length": String(reply.length) }, body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  builds.forEach((m, i) => {
    const client = new m.RuntimeClient({ endpoint: "https://127.0.0.1:1", token: "bench-token", requestHandler: handler });
    sides.push([dirs[i], () => client.send(new m.InvokeCommand({ runtimeArn: ARN, payload }))]);
  });
} else if (MODE === "loopback") {
  const loopback = await loopbackSides(dirs, builds);
  sides.push(...loopback.sides);
  close = loopback.close;
} else {
  console.error(`AB_MODE=${MODE}: memory or loopback`);
  process.exit(2);
}

const times = sides.map(() => []);
for (let round = -3; round < ROUNDS; round++) {
  for (let k = 0; k < sides.length; k++) {
    const at = (k + Math.max(round, 0)) % sides.length;
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) await sides[at][1]();
    if (round >= 0) times[at].push(((performance.now() - started) * 1000) / CALLS);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${MODE}, ${ROUNDS} rounds of ${CALLS} InvokeCommand calls per side, node ${process.version}`);
for (let k = 0; k < sides.length; k++) {
  const ratio = median(times[k].map((t, round) => times[0][round] / t));
  console.log(`${sides[k][0].padEnd(40)} ${median(times[k]).toFixed(1).padStart(8)} µs/call   ${ratio.toFixed(3)}× the first (median of per-round ratios; > 1 = faster)`);
}
close();
