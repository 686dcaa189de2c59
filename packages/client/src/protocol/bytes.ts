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

/**
 * `text` as UTF-8 bytes, in a buffer of their own. (Cutting short texts from a shared slab, as Node's Buffer pool
 * does, saves an off-heap allocation per call, but a view's `buffer` then holds other calls' bytes, and a
 * redacted copy could sit beside the text it was redacted from: not done.)
 */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 text of bytes (one shared decoder: constructing one per call costs more than a small decode). */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
