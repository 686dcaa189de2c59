import { readFileSync } from "node:fs";
import { join } from "node:path";

/** SSE and event-stream test vectors, copied into the repository so a lone clone passes its tests. */
const fixturesDir = (): string => join(__dirname, "../fixtures");

export interface SseCase {
  name: string;
  body: string;
  events: { data: string; event?: string; id?: string }[];
  texts: string[];
  text?: string;
  error?: { errorType: string; message: string };
  /** The body ends inside an event: TruncatedStreamError after the complete events, with this partial text. */
  truncated?: { partial: string };
}

export interface EventStreamCase {
  name: string;
  stream: string;
  events: Record<string, unknown>[];
  result?: { stdout: string; stderr: string; exitCode: number; status: string };
  error?: { name?: string; message?: string; framing?: boolean; truncated?: boolean };
}

export const sseCases: SseCase[] = JSON.parse(readFileSync(join(fixturesDir(), "sse-vectors.json"), "utf8")).cases;
export const eventStreamCases: EventStreamCase[] = JSON.parse(readFileSync(join(fixturesDir(), "eventstream-vectors.json"), "utf8")).cases;

/** Every way the tests cut a body: whole, 1-byte pieces, and each two-piece split. */
export function splits(bytes: Uint8Array): { label: string; pieces: Uint8Array[] }[] {
  const out = [{ label: "whole", pieces: [bytes] }];
  out.push({ label: "1-byte", pieces: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)) });
  for (let i = 1; i < bytes.length; i++) out.push({ label: `split@${i}`, pieces: [bytes.subarray(0, i), bytes.subarray(i)] });
  return out;
}

/** Cuts `bytes` at the given positions (taken modulo its length, deduplicated, in order). */
export function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(prev, p));
    prev = p;
  }
  pieces.push(bytes.subarray(prev));
  return pieces;
}
