export interface Payload {
  body: string | Uint8Array;
  /** What the bytes look like; `--content-type` overrides it. */
  contentType: string;
}

function isJson(text: string): boolean {
  if (text.trim() === "") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A PAYLOAD argument: sent exactly as typed, labelled JSON only when it is JSON. */
export function payloadFromText(text: string): Payload {
  return { body: text, contentType: isJson(text) ? "application/json" : "text/plain; charset=utf-8" };
}

/** Bytes from stdin: JSON or UTF-8 text as above (a BOM dropped from JSON, which parsers reject), anything else as bytes. */
export function payloadFromBytes(bytes: Uint8Array): Payload {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { body: bytes, contentType: "application/octet-stream" };
  }
  if (isJson(text)) return { body: text, contentType: "application/json" };
  return { body: bytes, contentType: "text/plain; charset=utf-8" };
}

/** The service's payload limit: reading stops just past it, and the client refuses the payload before sending. */
export const MAX_STDIN_BYTES = 100_000_000;

/** Reads stdin to its end, or to just past MAX_STDIN_BYTES; gives up when `signal` aborts (Ctrl-C while waiting for input). */
export function readStdin(stdin: NodeJS.ReadableStream, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const cleanup = () => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    let total = 0;
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      total += bytes.length;
      // too large already: no more is read (`invoke - < /dev/zero` must not fill memory)
      if (total > MAX_STDIN_BYTES) {
        stdin.pause();
        onEnd();
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(new Uint8Array(Buffer.concat(chunks)));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onAbort = () => {
      cleanup();
      stdin.pause();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
