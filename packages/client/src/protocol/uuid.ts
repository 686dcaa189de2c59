import { randomSource, type RandomSource } from "../runtime/runtimeConfig";
import { utf8Text } from "./bytes";
import { clientError, ClientErrorNames } from "./errors";

/** UUIDs' worth of random bytes fetched at once (Node's own `randomUUID` batches 128). */
const BATCH = 64;
let pool: Uint8Array | undefined;
let next = BATCH;
let poolSource: RandomSource | undefined;
/** The text of the UUID being written, reused: one flat string per UUID is all that is allocated. */
const text = /* @__PURE__ */ new Uint8Array(36);
const HEX = /* @__PURE__ */ Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));

/** Whether a first batch has been used up: from then on `globalThis.crypto` is read as it is (see uuidv4). */
let warm = false;

/**
 * A UUIDv4 from Web Crypto's `getRandomValues` (present also where `crypto.randomUUID` is not: insecure, plain
 * http browser pages), written as one string. A call makes two (session and invocation ids): this allocates
 * the UUID's string and nothing else, where `randomUUID` in Node builds it from 20 concatenations. Without any
 * Web Crypto the caller must pass its own session id: a typed error says so.
 *
 * The first batch comes from `randomSource()`: in Node, while `globalThis.crypto` is Node's own, the same CSPRNG
 * through node:crypto, so a cold start's first calls do not load Web Crypto (about 1.7 ms); it checks the
 * global's descriptor (about 0.2 µs). Once that batch is used up, `globalThis.crypto` is read directly (a plain
 * read). Either way the bytes come from the crypto in place at each call.
 */
export function uuidv4(): string {
  if (next === BATCH && poolSource !== undefined) warm = true;
  const c = warm ? (globalThis as { crypto?: RandomSource }).crypto : randomSource();
  if (typeof c?.getRandomValues !== "function") {
    throw clientError(ClientErrorNames.invalidParameter, "No Web Crypto random source to generate a session id: pass sessionId (33–256 characters)", {
      fields: { field: "sessionId" },
    });
  }
  // a batch comes from the platform's current crypto only (a test or polyfill may replace it)
  if (next === BATCH || c !== poolSource) {
    pool ??= new Uint8Array(16 * BATCH);
    c.getRandomValues(pool);
    poolSource = c;
    next = 0;
  }
  const at = next++ * 16;
  let j = 0;
  for (let i = 0; i < 16; i++) {
    let byte = pool![at + i];
    // version 4 and the RFC 9562 variant
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) text[j++] = 0x2d;
    text[j++] = HEX[byte >> 4];
    text[j++] = HEX[byte & 0x0f];
  }
  return utf8Text(text);
}
