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

const decoder = /* @__PURE__ */ new TextDecoder();
/** UTF-8 text of bytes (one shared decoder: constructing one per call costs more than a small decode). */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
