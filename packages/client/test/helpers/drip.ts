import type { ServerResponse } from "node:http";

/** Writes `bytes` in pieces of the given sizes (cycled), yielding to the event loop between writes. */
export async function drip(res: ServerResponse, bytes: Uint8Array, sizes: number[] = [1, 2, 3, 5, 7]): Promise<void> {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = sizes[k++ % sizes.length];
    res.write(Buffer.from(bytes.subarray(i, i + n)));
    i += n;
    await new Promise((r) => setImmediate(r));
  }
}
