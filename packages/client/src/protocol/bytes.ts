/** Joins byte chunks into one buffer (the only chunk itself when there is one). */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder();

// Short texts are encoded into a shared slab and handed out as views of it, as Node's own Buffer pool does: a
// typed array of its own costs an off-heap allocation (about 1 µs in Node 20 for more than 64 bytes), more than
// encoding a request's JSON. A view is read through its byteOffset and byteLength like any other, never written.
// Sizes as Node's pool: an 8 KiB slab, pieces of at most 3 KiB, so a view kept for long pins at most 8 KiB.
const SLAB_BYTES = 8 * 1024;
/** Texts up to this many UTF-16 units (at most three times as many bytes) are cut from the slab. */
const SLAB_TEXT = 1024;
let slab: Uint8Array | undefined;
let slabUsed = 0;

/** `text` as UTF-8 bytes (for a short text, a view into a shared buffer: read it, never write to it). */
export function utf8Bytes(text: string): Uint8Array {
  if (text.length > SLAB_TEXT) return encoder.encode(text);
  // (a slab whose buffer was transferred away has length 0: a new one is made)
  if (slab === undefined || slab.length === 0 || slabUsed + text.length * 3 > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  const { written } = encoder.encodeInto(text, slab.subarray(start));
  // the next text starts 8-byte aligned, as in Node's pool
  slabUsed = (start + written + 7) & ~7;
  return slab.subarray(start, start + written);
}

/** UTF-8 text of bytes (one shared decoder: constructing one per call costs more than a small decode). */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
