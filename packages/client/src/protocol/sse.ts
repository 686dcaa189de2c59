import { createParser, type EventSourceParser } from "eventsource-parser";

/** One server-sent event as dispatched by the WHATWG algorithm. */
export interface SseEvent {
  data: string;
  event?: string;
  /** This event's own `id` field; not carried over from earlier events. */
  id?: string;
  /** `data` with a JSON string value unwrapped (`"Hel"` → `Hel`), else `data` itself. */
  text: string;
}


// A JSON string with no escapes, quotes or controls inside: its value is the text between the quotes.
const PLAIN_JSON_STRING = /^"[^"\\\u0000-\u001f]*"$/;

/** `"Hel"` → `Hel`; anything that is not a JSON string stays as sent. */
export function sseText(data: string): string {
  if (data.length >= 2 && data.charCodeAt(0) === 34 && data.charCodeAt(data.length - 1) === 34) {
    if (PLAIN_JSON_STRING.test(data)) return data.slice(1, -1);
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
 * Incremental SSE decoder: eventsource-parser@3 (measured faster than our own byte-level decoder, see
 * bench/README.md) behind a streaming TextDecoder, with its known traps handled here: the decoder strips a
 * leading BOM, a trailing CR that the parser holds back is flushed at the end of the body, and an event left
 * unterminated at the end is caught so it can be reported instead of vanishing silently.
 */
export class SseDecoder {
  private readonly decoder = new TextDecoder("utf-8");
  private readonly parser: EventSourceParser;
  private out: SseEvent[] = [];
  private endsWithCR = false;

  constructor() {
    this.parser = createParser({
      onEvent: (message) => {
        const event: SseEvent = { data: message.data, text: sseText(message.data) };
        if (message.event) event.event = message.event;
        if (message.id !== undefined) event.id = message.id;
        this.out.push(event);
      },
    });
  }

  /** Feeds bytes; returns the events completed by them. */
  push(chunk: Uint8Array): SseEvent[] {
    if (chunk.length === 0) return [];
    const text = this.decoder.decode(chunk, { stream: true });
    if (text) {
      this.parser.feed(text);
      this.endsWithCR = text.charCodeAt(text.length - 1) === 13;
    }
    return this.take();
  }

  /**
   * End of body: returns the events a trailing CR completes. Per the spec an event not closed by a blank
   * line is not dispatched; it comes back in `dropped` so the caller can report it (or raise an agent error in it).
   */
  finish(): { events: SseEvent[]; dropped: SseEvent[] } {
    const tail = this.decoder.decode();
    if (tail) {
      this.parser.feed(tail);
      this.endsWithCR = tail.charCodeAt(tail.length - 1) === 13;
    }
    // the parser waits for an LF after a final CR; the body is over, so that CR ended its line
    if (this.endsWithCR) this.parser.feed("\n");
    const events = this.take();
    // whatever two more line ends would dispatch was never terminated by the server
    this.parser.feed("\n\n");
    const dropped = this.take();
    this.parser.reset();
    return { events, dropped };
  }

  private take(): SseEvent[] {
    if (this.out.length === 0) return [];
    const events = this.out;
    this.out = [];
    return events;
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
  // `"error": null` (or "") in an ordinary result is not a failure; a real one names the error or its type
  const error = record.error;
  const hasError = (typeof error === "string" && error !== "") || (typeof error === "object" && error !== null) || typeof record.error_type === "string";
  if (!flagged && !hasError) return undefined;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  return {
    errorType: str(record.error_type) ?? str(record.errorType) ?? str(record.type),
    message: str(record.message) ?? str(record.error) ?? "The agent reported an error",
    error: record.error,
  };
}
