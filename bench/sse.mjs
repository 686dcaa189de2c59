// SSE decoding throughput: the client's SseDecoder (its own spec-exact line parser behind a streaming TextDecoder,
// plus SseEvent.text) against eventsource-parser@3 fed through a streaming TextDecoder, the usual hand-rolled way.
// Both sides do the same work per event: the data string, plus unwrapping a JSON string value (`"Hel"` → Hel).
// Usage: npm run build && node bench/sse.mjs      (prints MB/s and ratios measured in this run)
import { performance } from "node:perf_hooks";
import { SseDecoder } from "@agentcore-runtime/client";
import { createParser } from "eventsource-parser";

const MiB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const encoder = new TextEncoder();

/** (i) Many small events, one JSON-quoted token each, as the agent frameworks stream them. */
function tokenStream(targetBytes) {
  const words = ["Hello", " world", ",", " the", " quick", " brown", " fox", " jumps", " über", " naïve", " 🌍", " 42", "\\n", " \\\"quoted\\\""];
  const parts = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const line = `data: "${words[i % words.length]}"\n\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  return { bytes: encoder.encode(parts.join("")), events: parts.length };
}

/** (ii) A few multi-megabyte events: one JSON object per event, mostly ASCII with some multi-byte text. */
function bigStream(count, eventBytes) {
  const unit = "lorem ipsum dolor sit amet, consectetur — adipiscing élit 🚀 ";
  const body = unit.repeat(Math.ceil(eventBytes / Buffer.byteLength(unit)));
  const parts = [];
  for (let i = 0; i < count; i++) parts.push(`event: message\nid: ${i}\ndata: ${JSON.stringify({ i, text: body })}\n\n`);
  return { bytes: encoder.encode(parts.join("")), events: count };
}

function chunk(bytes, size) {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(i + size, bytes.length)));
  return out;
}

function unwrap(data) {
  if (data.length >= 2 && data.charCodeAt(0) === 34 && data.charCodeAt(data.length - 1) === 34) {
    try {
      const v = JSON.parse(data);
      if (typeof v === "string") return v;
    } catch {
      // not JSON: raw
    }
  }
  return data;
}

function ours(chunks) {
  const decoder = new SseDecoder();
  let events = 0;
  let chars = 0;
  for (const c of chunks) {
    for (const e of decoder.push(c)) {
      events++;
      chars += e.text.length;
    }
  }
  for (const e of decoder.finish().events) {
    events++;
    chars += e.text.length;
  }
  return { events, chars };
}

/** Length of the prefix of `bytes` that ends on a whole UTF-8 character. */
function wholeChars(bytes) {
  const end = bytes.length;
  let i = end - 1;
  while (i >= 0 && end - i < 4 && (bytes[i] & 0xc0) === 0x80) i--;
  if (i < 0) return end;
  const b = bytes[i];
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return end - i < need ? i : end;
}

/**
 * A candidate, not shipped: eventsource-parser fed by one non-streaming decode per read that carries a split
 * UTF-8 tail itself (what STYLE.md suggests instead of `{stream: true}`).
 */
function candidate(chunks) {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let events = 0;
  let chars = 0;
  const parser = createParser({
    onEvent(e) {
      events++;
      chars += unwrap(e.data).length;
    },
  });
  let tail;
  for (let c of chunks) {
    if (tail) {
      const joined = new Uint8Array(tail.length + c.length);
      joined.set(tail);
      joined.set(c, tail.length);
      c = joined;
      tail = undefined;
    }
    const cut = wholeChars(c);
    if (cut < c.length) tail = c.slice(cut);
    if (cut > 0) parser.feed(decoder.decode(cut === c.length ? c : c.subarray(0, cut)));
  }
  if (tail) parser.feed(decoder.decode(tail));
  return { events, chars };
}

function baseline(chunks) {
  const decoder = new TextDecoder();
  let events = 0;
  let chars = 0;
  const parser = createParser({
    onEvent(e) {
      events++;
      chars += unwrap(e.data).length;
    },
  });
  for (const c of chunks) parser.feed(decoder.decode(c, { stream: true }));
  parser.feed(decoder.decode());
  return { events, chars };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(cases) {
  const rows = [];
  for (const { name, bytes, events, readSize } of cases) {
    const chunks = chunk(bytes, readSize);
    const check = [ours(chunks), baseline(chunks), candidate(chunks)]; // also warms them up
    if (check.some((c) => c.events !== events || c.chars !== check[0].chars)) {
      throw new Error(`${name}: decoders disagree: ${JSON.stringify(check)} (expected ${events} events)`);
    }
    const times = { ours: [], baseline: [], candidate: [] };
    const fns = [["ours", ours], ["baseline", baseline], ["candidate", candidate]];
    for (let r = 0; r < ROUNDS; r++) {
      // rotate the order so no side always runs on a warmer heap
      for (let k = 0; k < fns.length; k++) {
        const [label, fn] = fns[(r + k) % fns.length];
        const t0 = performance.now();
        fn(chunks);
        times[label].push(performance.now() - t0);
      }
    }
    const mbps = (ms) => bytes.length / MiB / (ms / 1000);
    const o = mbps(median(times.ours));
    const b = mbps(median(times.baseline));
    const c = mbps(median(times.candidate));
    rows.push({ name, readSize, mib: bytes.length / MiB, events, ours: o, baseline: b, candidate: c });
  }
  return rows;
}

const started = performance.now();
const tokens = tokenStream(8 * MiB);
const big = bigStream(3, 4 * MiB);
const rows = measure([
  { name: "small token events", ...tokens, readSize: 1024 },
  { name: "small token events", ...tokens, readSize: 64 * 1024 },
  { name: "multi-MB events", ...big, readSize: 1024 },
  { name: "multi-MB events", ...big, readSize: 64 * 1024 },
]);

console.log(`SSE decode, median of ${ROUNDS} rounds, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log("baseline = eventsource-parser@3 + TextDecoder {stream:true}; ours = SseDecoder.push(bytes)");
console.log("candidate = eventsource-parser@3 fed by one plain decode per read, carrying a split UTF-8 tail");
console.log("| workload | read size | input | events | ours MB/s | baseline MB/s | ours / baseline | candidate MB/s | candidate / baseline |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const read = r.readSize >= 1024 ? `${r.readSize / 1024} KiB` : `${r.readSize} B`;
  console.log(`| ${r.name} | ${read} | ${r.mib.toFixed(1)} MiB | ${r.events} | ${r.ours.toFixed(0)} | ${r.baseline.toFixed(0)} | ${(r.ours / r.baseline).toFixed(2)}× | ${r.candidate.toFixed(0)} | ${(r.candidate / r.baseline).toFixed(2)}× |`);
}
console.log(`(MB = MiB of input bytes; total ${((performance.now() - started) / 1000).toFixed(1)} s)`);
