// SHA-256 and HMAC-SHA256 for @smithy/signature-v4 on WebCrypto (`globalThis.crypto.subtle`: Node 20 and every
// browser), so the signer needs no hash package and no `node:` import.

type SourceData = string | ArrayBuffer | ArrayBufferView;

const encoder = /* @__PURE__ */ new TextEncoder();

function bytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!s) throw new Error("SigV4 signing needs WebCrypto (globalThis.crypto.subtle): Node 20+ or a browser in a secure context");
  return s;
}

/** The `Checksum` shape @smithy/signature-v4 takes as `sha256`: a hash, or with a secret an HMAC. */
export class Sha256 {
  readonly #secret: Uint8Array | undefined;
  #chunks: Uint8Array[] = [];

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytes(secret).slice();
  }

  update(data: SourceData): void {
    this.#chunks.push(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    const chunks = this.#chunks;
    let data: Uint8Array;
    if (chunks.length === 1) data = chunks[0];
    else {
      data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        data.set(c, at);
        at += c.length;
      }
    }
    const crypto = subtle();
    const input = data as Uint8Array<ArrayBuffer>;
    if (this.#secret === undefined) return new Uint8Array(await crypto.digest("SHA-256", input));
    const key = await crypto.importKey("raw", this.#secret as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await crypto.sign("HMAC", key, input));
  }

  reset(): void {
    this.#chunks = [];
  }
}
