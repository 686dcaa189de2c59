// 1,000 concurrent SSE streams through one client with default settings: each stream is opened (response
// headers received) before any is read, then all are read to the end. Reports wall time and peak RSS / heap,
// next to the same run through raw node:http keep-alive as the baseline.
// Usage: npm run build && node bench/concurrency.mjs      (BENCH_STREAMS=1000, BENCH_EVENTS=20)
import http from "node:http";
import { performance } from "node:perf_hooks";
import { InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);
const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_agent-abcdefghij";

let opened = 0;
let release;
let gate = new Promise((r) => (release = r));
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", async () => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: "first"\n\n');
    if (++opened === STREAMS) release();
    await gate;
    for (let i = 0; i < EVENTS; i++) res.write(`data: "token ${i}"\n\n`);
    res.end();
  });
});
server.maxConnections = STREAMS * 2;
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const { port } = server.address();

let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
}, 10);

async function sdk() {
  const client = new RuntimeClient({ endpoint: `http://127.0.0.1:${port}`, token: "bench-token-0123456789" });
  const outs = await Promise.all(Array.from({ length: STREAMS }, () => client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }))));
  let events = 0;
  await Promise.all(outs.map(async (out) => { for await (const _ of out.stream) events++; }));
  client.destroy();
  return events;
}

async function raw() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const responses = await Promise.all(
    Array.from({ length: STREAMS }, () => new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/invocations", agent, headers: { "content-type": "application/json" } }, resolve);
      req.on("error", reject);
      req.end("{}");
    })),
  );
  let events = 0;
  await Promise.all(responses.map(async (res) => {
    let text = "";
    for await (const chunk of res) text += chunk;
    events += text.split("\n\n").length - 1;
  }));
  agent.destroy();
  return events;
}

const results = [];
for (const [name, fn] of [["raw node:http keep-alive", raw], ["RuntimeClient defaults", sdk]]) {
  opened = 0;
  gate = new Promise((r) => (release = r));
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  peakRss = 0;
  peakHeap = 0;
  const t0 = performance.now();
  const events = await fn();
  const ms = performance.now() - t0;
  if (events !== STREAMS * (EVENTS + 1)) throw new Error(`${name}: read ${events} events, expected ${STREAMS * (EVENTS + 1)}`);
  results.push({ name, ms, peakRss, rssGrowth: peakRss - rssBefore, peakHeap });
}
clearInterval(sampler);
server.close();
const MiB = 1024 * 1024;
console.log(`${STREAMS} concurrent SSE streams (${EVENTS + 1} events each), all opened before any is read; node ${process.version}`);
console.log("| client | time | peak RSS | RSS growth | peak heap+buffers |");
console.log("|---|---|---|---|---|");
for (const r of results) console.log(`| ${r.name} | ${r.ms.toFixed(0)} ms | ${(r.peakRss / MiB).toFixed(0)} MiB | ${(r.rssGrowth / MiB).toFixed(0)} MiB | ${(r.peakHeap / MiB).toFixed(0)} MiB |`);
console.log(`time ratio (raw / ours): ${(results[0].ms / results[1].ms).toFixed(2)}×`);
