import { clientError, ClientErrorNames } from "./errors";

/**
 * A UUIDv4; `crypto.randomUUID` is missing on insecure (plain http) browser pages, so fall back to
 * getRandomValues. Without any Web Crypto the caller must pass its own session id: a typed error says so.
 */
export function uuidv4(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  if (typeof c?.getRandomValues !== "function") {
    throw clientError(ClientErrorNames.invalidParameter, "No Web Crypto random source to generate a session id: pass sessionId (33–256 characters)", {
      fields: { field: "sessionId" },
    });
  }
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
