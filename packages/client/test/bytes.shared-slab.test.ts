/**
 * utf8Bytes cuts short texts from a shared slab (one off-heap allocation per 8 KiB instead of one per call):
 * each result must hold exactly its own bytes, untouched by later ones, whatever the text.
 */
import { utf8Bytes, utf8Text } from "../src/protocol/bytes";

const reference = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));

describe("utf8Bytes", () => {
  it("encodes ASCII, multi-byte, astral, empty and long texts exactly", () => {
    const texts = ["", "a", '{"prompt":"hi"}', "héllo wörld", "日本語のテキスト", "emoji 😀👍🏽", "x".repeat(1024), "é".repeat(1024), "x".repeat(1025), "y".repeat(5000), "€".repeat(3000)];
    for (const text of texts) {
      const bytes = utf8Bytes(text);
      expect(bytes).toEqual(reference(text));
      expect(bytes.byteLength).toBe(Buffer.byteLength(text));
      expect(utf8Text(bytes)).toBe(text);
    }
  });

  it("hands out views that never overlap: earlier results keep their bytes across many calls and new slabs", () => {
    const kept: [string, Uint8Array][] = [];
    for (let i = 0; i < 2000; i++) {
      // lengths vary so slab boundaries fall everywhere; some texts are multi-byte (3 bytes per unit)
      const text = (i % 3 === 0 ? "€" : "ab").repeat(i % 700) + String(i);
      kept.push([text, utf8Bytes(text)]);
    }
    for (const [text, bytes] of kept) expect(utf8Text(bytes)).toBe(text);
    // views of a shared buffer: read through byteOffset/byteLength, as any Uint8Array must be
    const a = utf8Bytes("first");
    const b = utf8Bytes("second");
    if (a.buffer === b.buffer) expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + a.byteLength);
    expect(a.byteOffset % 8).toBe(0);
    expect(b.byteOffset % 8).toBe(0);
  });

  it("recovers when the slab's buffer was transferred away (detached)", () => {
    const bytes = utf8Bytes("to be transferred");
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
    expect(bytes.length).toBe(0); // detached
    expect(utf8Text(utf8Bytes("after the transfer"))).toBe("after the transfer");
  });
});
