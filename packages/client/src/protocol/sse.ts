import { concatBytes } from "./bytes";

/** One server-sent event as dispatched by the WHATWG algorithm. */
export interface SseEvent {
  data: string;
  event?: string;
  /** This event's own `id` field; not carried over from earlier events. */
  id?: string;
  /** `data` with a JSON string value unwrapped (`"Hel"` → `Hel`), else `data` itself. */
  text: string;
}

const LF = 10;
const CR = 13;

/** `"Hel"` → `Hel`; anything that is not a JSON string stays as sent. */
export function sseText(data: string): string {
  if (data.length >= 2 && data.charCodeAt(0) === 34 && data.charCodeAt(data.length - 1) === 34) {
    try {
      const value: unknown = JSON.parse(data);
      if (typeof value === "string") return value;
    } catch {
      // a quoted but invalid JSON string is passed through raw
    }
  }
  return data;
}

/**
 * Incremental SSE decoder working on bytes. Lines are cut on CR, LF or CRLF in the byte stream (all ASCII,
 * so never inside a UTF-8 sequence) and each complete line is decoded whole: a split multi-byte character or
 * CRLF pair across reads needs no special state, and no streaming TextDecoder sits on the hot path.
 */
export class SseDecoder {
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  private pending: Uint8Array[] = [];
  private skipLF = false;
  private firstLine = true;
  private data: string[] = [];
  private hasData = false;
  private eventType: string | undefined;
  private eventId: string | undefined;

  /** Feeds bytes; returns the events completed by them. */
  push(chunk: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    const len = chunk.length;
    if (this.skipLF && len > 0) {
      this.skipLF = false;
      if (chunk[0] === LF) start = 1;
    }
    let i = start;
    while (i < len) {
      let lf = chunk.indexOf(LF, i);
      if (lf < 0) lf = len;
      // CR can only matter before the next LF, so search just that window
      let cr = -1;
      for (let j = i; j < lf; j++) {
        if (chunk[j] === CR) {
          cr = j;
          break;
        }
      }
      const end = cr >= 0 ? cr : lf;
      if (end === len) break;
      this.line(chunk, i, end, out);
      if (cr >= 0) {
        if (cr + 1 < len) {
          i = chunk[cr + 1] === LF ? cr + 2 : cr + 1;
        } else {
          this.skipLF = true;
          i = len;
        }
      } else {
        i = lf + 1;
      }
      start = i;
    }
    if (start < len) this.pending.push(chunk.subarray(start));
    return out;
  }

  /**
   * End of body. Per the spec an event not closed by a blank line is discarded; returns true when such
   * an unterminated event (or line) was dropped, so the caller can report it.
   */
  end(): boolean {
    const dropped = this.pending.length > 0 || this.hasData;
    this.pending = [];
    this.resetEvent();
    return dropped;
  }

  private line(chunk: Uint8Array, from: number, to: number, out: SseEvent[]): void {
    let text: string;
    if (this.pending.length) {
      this.pending.push(chunk.subarray(from, to));
      text = this.decoder.decode(concatBytes(this.pending));
      this.pending = [];
    } else {
      text = from === to ? "" : this.decoder.decode(chunk.subarray(from, to));
    }
    if (this.firstLine) {
      this.firstLine = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.field(text, out);
  }

  private field(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(":");
    let name: string;
    let value: string;
    if (colon < 0) {
      name = line;
      value = "";
    } else {
      name = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (name) {
      case "data":
        this.data.push(value);
        this.hasData = true;
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.eventId = value;
        break;
      default:
        // `retry` and unknown fields carry nothing a caller of this SDK uses
        break;
    }
  }

  private dispatch(out: SseEvent[]): void {
    if (this.hasData) {
      const data = this.data.length === 1 ? this.data[0] : this.data.join("\n");
      const event: SseEvent = { data, text: sseText(data) };
      if (this.eventType !== undefined && this.eventType !== "") event.event = this.eventType;
      if (this.eventId !== undefined) event.id = this.eventId;
      out.push(event);
    }
    this.resetEvent();
  }

  private resetEvent(): void {
    this.data = [];
    this.hasData = false;
    this.eventType = undefined;
    this.eventId = undefined;
  }
}

/**
 * The mid-stream failure format of the official agent frameworks: `{"error": …, "error_type": …, "message": …}`.
 * Returns the parsed fields, or undefined for an ordinary event.
 */
export function sseErrorPayload(event: SseEvent): { errorType?: string; message: string; error?: unknown } | undefined {
  const { data } = event;
  const flagged = event.event === "error";
  if (!flagged && !(data.charCodeAt(0) === 123 /* { */ && data.includes('"error'))) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return flagged ? { message: data || "The agent reported an error" } : undefined;
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return flagged ? { message: typeof body === "string" ? body : data } : undefined;
  }
  const record = body as Record<string, unknown>;
  if (!flagged && !("error" in record)) return undefined;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  return {
    errorType: str(record.error_type) ?? str(record.errorType) ?? str(record.type),
    message: str(record.message) ?? str(record.error) ?? "The agent reported an error",
    error: record.error,
  };
}
