// AWS event-stream decoding throughput: the client's EventStreamDecoder against @smithy's own streaming path
// (getChunkedStream, which the AWS SDK's unmarshaller uses, + EventStreamCodec.decode) and a naive
// concat-and-split loop. 100 MiB of 64 KiB frames arrive in 16 KiB reads through an async iterator, as a
// response body would; every side decodes every frame (both CRCs checked, headers parsed).
// Usage: npm run build && node bench/eventstream.mjs     (prints MB/s and ratios measured in this run)
import { performance } from "node:perf_hooks";
import { EventStreamDecoder } from "@agentcore-runtime/client";
import { getChunkedStream } from "@smithy/core/event-streams";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_MIB ?? 100) * MiB;
const FRAME = 64 * 1024;
const READ = 16 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** A `contentDelta` chunk frame of exactly `size` bytes, as the service sends command output. */
function frameOf(size, fill) {
  const headers = {
    ":message-type": { type: "string", value: "event" },
    ":event-type": { type: "string", value: "chunk" },
    ":content-type": { type: "string", value: "application/json" },
  };
  const overhead = codec.encode({ headers, body: fromUtf8(JSON.stringify({ contentDelta: { stdout: "" } })) }).length;
  const stdout = fill.repeat(Math.ceil(size / fill.length)).slice(0, size - overhead);
  const frame = codec.encode({ headers, body: fromUtf8(JSON.stringify({ contentDelta: { stdout } })) });
  if (frame.length !== size) throw new Error(`frame is ${frame.length} bytes, wanted ${size}`);
  return frame;
}

const frame = frameOf(FRAME, "0123456789abcdefghijklmnopqrstuvwxyz ");
const frames = Math.floor(TOTAL / FRAME);
const stream = new Uint8Array(frames * FRAME);
for (let i = 0; i < frames; i++) stream.set(frame, i * FRAME);

/** The body as a response delivers it: fixed-size reads, one await each. */
async function* body() {
  for (let i = 0; i < stream.length; i += READ) yield stream.subarray(i, Math.min(i + READ, stream.length));
}

async function ours() {
  const decoder = new EventStreamDecoder();
  let count = 0;
  let payload = 0;
  for await (const chunk of body()) {
    for (const message of decoder.push(chunk)) {
      count++;
      payload += message.body.length;
    }
  }
  decoder.finish();
  return { count, payload };
}

async function smithyChunked() {
  let count = 0;
  let payload = 0;
  for await (const bytes of getChunkedStream(body())) {
    const message = codec.decode(bytes);
    count++;
    payload += message.body.length;
  }
  return { count, payload };
}

async function naiveConcat() {
  let buffer = new Uint8Array(0);
  let count = 0;
  let payload = 0;
  for await (const chunk of body()) {
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    buffer = joined;
    while (buffer.length >= 4) {
      const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, false);
      if (buffer.length < total) break;
      const message = codec.decode(buffer.subarray(0, total));
      count++;
      payload += message.body.length;
      buffer = buffer.slice(total);
    }
  }
  if (buffer.length) throw new Error("truncated");
  return { count, payload };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sides = [
  ["ours: EventStreamDecoder.push", ours],
  ["baseline: @smithy getChunkedStream + codec.decode", smithyChunked],
  ["naive concat-and-split + codec.decode", naiveConcat],
];

const started = performance.now();
const expected = { count: frames, payload: frames * codec.decode(frame).body.length };
for (const [name, fn] of sides) {
  const got = await fn(); // correctness check and warm-up
  if (got.count !== expected.count || got.payload !== expected.payload) throw new Error(`${name}: ${JSON.stringify(got)} != ${JSON.stringify(expected)}`);
}
const times = new Map(sides.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < sides.length; k++) {
    const [name, fn] = sides[(r + k) % sides.length];
    const t0 = performance.now();
    await fn();
    times.get(name).push(performance.now() - t0);
  }
}

const mbps = (name) => stream.length / MiB / (median(times.get(name)) / 1000);
const base = mbps(sides[1][0]);
console.log(`event-stream decode, median of ${ROUNDS} rounds, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${(stream.length / MiB).toFixed(0)} MiB = ${frames} frames of ${FRAME / 1024} KiB, ${READ / 1024} KiB reads`);
console.log("| decoder | MB/s | vs baseline |");
console.log("|---|---|---|");
for (const [name] of sides) console.log(`| ${name} | ${mbps(name).toFixed(0)} | ${(mbps(name) / base).toFixed(2)}× |`);
console.log(`(MB = MiB of input bytes; total ${((performance.now() - started) / 1000).toFixed(1)} s)`);
