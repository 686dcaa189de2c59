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
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";

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
const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_agent-abcdefghij";
const payload = { prompt: "Summarise the last three build logs in one short sentence, please.", n: 1 };
const reply = Buffer.from(JSON.stringify({ result: "ok", message: "Hello from the loopback agent", tokens: 12 }));
// (the same folder twice would be one module instance: pass a copy of a build as the control)
if (new Set(dirs.map((dir) => path.resolve(dir))).size !== dirs.length) {
  console.error("each build must be a folder of its own: copy a build to compare it with itself");
  process.exit(2);
}
const builds = await Promise.all(dirs.map((dir) => import(pathToFileURL(path.resolve(dir, "index.mjs")).href)));

const sides = [];
let server;
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
  let captured;
  server = http.createServer((req, res) => {
    captured ??= { ...req.headers };
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": reply.length }).end(reply));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  builds.forEach((m, i) => {
    const client = new m.RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: "bench-token" });
    sides.push([dirs[i], () => client.send(new m.InvokeCommand({ runtimeArn: ARN, payload }))]);
  });
  await sides[0][1]();
  const headers = { ...captured };
  for (const name of ["host", "connection"]) delete headers[name];
  const body = new TextEncoder().encode(JSON.stringify(payload));
  const agent = new http.Agent({ keepAlive: true });
  const raw = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/raw", agent, headers }, (res) => {
        res.on("data", () => undefined);
        res.on("end", resolve);
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  sides.unshift(["raw node:http", raw]);
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
server?.closeAllConnections();
server?.close();
