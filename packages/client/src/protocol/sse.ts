import type { AgentRuntimeError } from "./errors";
import { DEFAULT_MAX_EVENT_BYTES, limitExceeded } from "./limits";
import { TextParts } from "./textParts";

/** One server-sent event as dispatched by the WHATWG algorithm. */
export interface SseEvent {
  /** The event's `data` lines, joined with `\n`. */
  data: string;
  /** The `event` field (the event type), when the server sent one. */
  event?: string | undefined;
  /** This event's own `id` field; not carried over from earlier events. */
  id?: string | undefined;
  /** `data` with a JSON string value unwrapped (`"Hel"` → `Hel`), else `data` itself. */
  text: string;
  /**
   * `data` parsed as JSON, or `undefined` when it is not JSON. Parsed on first access and kept; not an own
   * enumerable property, so `JSON.stringify(event)` and spreading the event carry `data`, `event`, `id`, `text` only.
   */
  readonly json?: unknown | undefined;
}

/** An event as the decoder dispatches it: `json` is a getter on the prototype, parsed once, on first access. */
class SseEventImpl implements SseEvent {
  // declared, not defined: the constructor creates them (no field initialisers run per event)
  declare data: string;
  declare text: string;
  declare event?: string;
  declare id?: string;

  constructor(data: string) {
    this.data = data;
    this.text = sseText(data);
  }

  get json(): unknown {
    let value: unknown;
    try {
      value = JSON.parse(this.data);
    } catch {
      // not JSON: undefined
    }
    // kept on the event (non-enumerable, like the getter) so the data is parsed once
    Object.defineProperty(this, "json", { value });
    return value;
  }
}

/** An `SseEvent` carrying `data` (its `text` and lazy `json` derived from it). */
export function sseEvent(data: string): SseEvent {
  return new SseEventImpl(data);
}

/** `"Hel"` → `Hel` (JSON whitespace around it allowed, as `JSON.parse` allows it); anything else stays as sent. */
export function sseText(data: string): string {
  let from = 0;
  let to = data.length - 1;
  while (from < to && isJsonSpace(data.charCodeAt(from))) from++;
  while (to > from && isJsonSpace(data.charCodeAt(to))) to--;
  if (to > from && data.charCodeAt(from) === 34 && data.charCodeAt(to) === 34) {
    // no quote, backslash or control inside: the value is the text between the quotes (no parse needed)
    let plain = true;
    for (let i = from + 1; i < to; i++) {
      const c = data.charCodeAt(i);
      if (c === 34 || c === 92 || c < 32) {
        plain = false;
        break;
      }
    }
    if (plain) return data.slice(from + 1, to);
    try {
      const value: unknown = JSON.parse(data);
      if (typeof value === "string") return value;
    } catch {
      // a quoted but invalid JSON string is passed through raw
    }
  }
  return data;
}

const isJsonSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Options of `SseDecoder`. */
export interface SseDecoderOptions {
  /**
   * Largest event's data (its `data` lines joined with LF), in decoded characters (UTF-16 code units); any other
   * line (`event`, `id`, other fields) may not be longer on its own, and comment lines are skipped without being
   * kept. A line still arriving counts as far as it has come, so where reads split the body never changes the
   * outcome. Default 16 MiB.
   */
  maxEventBytes?: number | undefined;
}

/** What `finish()` found at the end of the body. */
export interface SseEnd {
  /** Always empty: every line end is acted on as it arrives (kept for callers of the earlier decoder). */
  events: SseEvent[];
  /** The event that a blank line would have dispatched, when the body ended inside one. */
  dropped: SseEvent[];
  /** The body ended inside an event: after the last blank line came more than comments. */
  truncated: boolean;
  /** The unfinished event's fields as text (`event: …`, `id: …`, `data: …` lines), when `truncated`. */
  partial: string;
}

/**
 * Incremental, spec-exact SSE decoder (WHATWG "event stream interpretation"). Bytes are decoded by a streaming
 * TextDecoder (a split character waits for its last byte; measured faster here than carrying the tail by hand,
 * see bench/README.md), lines end at LF, CR or CRLF
 * (a CRLF pair split across reads counts once). An event's data is bounded by `maxEventBytes`, and so is each
 * other field line on its own (a line still arriving counts as far as it has come; comments are not kept), so a
 * body that never ends an event cannot grow without limit and where reads split it never changes the outcome.
 */
export class SseDecoder {
  readonly #utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  readonly #maxEventBytes: number;
  #started = false;
  /** The previous text ended with CR: an LF that starts the next one belongs to it. */
  #skipLF = false;
  /** An unfinished line, in pieces (joined once its end arrives). */
  #carry: string[] = [];
  #carryLength = 0;
  /** Inside a comment line that has not ended yet (its text is not kept). */
  #inComment = false;
  /** The event's data: its first line, then (rarely) the others. */
  #data: string | undefined;
  #moreData: TextParts | undefined;
  #dataLength = 0;
  #eventType: string | undefined;
  #id: string | undefined;
  /** A non-comment line arrived since the last blank line. */
  #open = false;
  #out: SseEvent[] = [];
  #failed: AgentRuntimeError | undefined;

  constructor(options: SseDecoderOptions = {}) {
    this.#maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  /**
   * Feeds bytes; returns the events completed by them. Throws `ResponseLimitExceededError` past `maxEventBytes`;
   * when the same bytes completed events first, those are returned and the error is held in `failure`.
   */
  push(chunk: Uint8Array): SseEvent[] {
    if (this.#failed) throw this.#failed;
    if (chunk.length === 0) return [];
    const text = this.#utf8.decode(chunk, { stream: true });
    try {
      this.#feed(text);
    } catch (e) {
      // events completed before the limit was crossed are still delivered; the error waits in `failure`
      this.#failed = e as AgentRuntimeError;
      if (this.#out.length === 0) throw e;
    }
    return this.#take();
  }

  /**
   * The error `push` held back so that the events before it could be returned, else undefined; every later
   * `push` or `finish` throws it. Check it once a push's events are handled: more bytes may never come.
   */
  get failure(): AgentRuntimeError | undefined {
    return this.#failed;
  }

  /**
   * End of body. An event not closed by a blank line is not dispatched (WHATWG); `truncated` says whether
   * one was cut off, `dropped` holds what it would have been (so an agent error in it is never lost).
   */
  finish(): SseEnd {
    if (this.#failed) throw this.#failed;
    const rest = this.#utf8.decode();
    if (rest) this.#feed(rest);
    this.#inComment = false;
    if (this.#carryLength > 0) {
      const line = this.#carry.join("");
      this.#carry = [];
      this.#carryLength = 0;
      // an unfinished line counts for the truncation check and the partial text, but is not dispatched
      if (line.charCodeAt(0) !== 58 /* : */) {
        this.#open = true;
        this.#field(line);
      }
    }
    const truncated = this.#open;
    const partial = truncated ? this.#partialText() : "";
    this.#dispatch();
    const dropped = truncated ? this.#take() : [];
    this.#reset();
    return { events: [], dropped, truncated, partial };
  }

  #feed(input: string): void {
    let text = input;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let pos = 0;
    if (this.#skipLF && text.length > 0) {
      this.#skipLF = false;
      if (text.charCodeAt(0) === 10) pos = 1;
    }
    const length = text.length;
    let lf = text.indexOf("\n", pos);
    let cr = text.indexOf("\r", pos);
    while (lf !== -1 || cr !== -1) {
      const end = lf === -1 ? cr : cr === -1 ? lf : lf < cr ? lf : cr;
      if (this.#carryLength > 0) {
        this.#carry.push(text.slice(pos, end));
        const line = this.#carry.join("");
        this.#carry = [];
        this.#carryLength = 0;
        this.#line(line);
      } else if (this.#inComment) {
        this.#inComment = false;
      } else if (end > pos + 4 && text.startsWith("data:", pos)) {
        // the common line, read without slicing it out first
        this.#open = true;
        this.#addData(text.slice(text.charCodeAt(pos + 5) === 32 ? pos + 6 : pos + 5, end));
      } else {
        this.#line(text.slice(pos, end));
      }
      if (end === cr) {
        if (end + 1 === length) {
          this.#skipLF = true;
          pos = length;
          break;
        }
        pos = text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      } else {
        pos = end + 1;
      }
      if (lf !== -1 && lf < pos) lf = text.indexOf("\n", pos);
      if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos);
    }
    if (pos < length && !this.#inComment) {
      if (this.#carryLength === 0 && text.charCodeAt(pos) === 58 /* : */) {
        // a comment: nothing of it is kept, however long it grows
        this.#inComment = true;
        return;
      }
      const rest = pos === 0 ? text : text.slice(pos);
      this.#carry.push(rest);
      this.#carryLength += rest.length;
      this.#checkUnfinished();
    }
  }

  /**
   * Bounds a line still arriving by what it will count once it ends (never more), so a body that never ends a
   * line cannot grow without limit and the outcome does not depend on where the reads split it.
   */
  #checkUnfinished(): void {
    let head = this.#carry[0];
    if (head.length < 6 && this.#carry.length > 1) this.#carry = [(head = this.#carry.join(""))];
    if (
      head.startsWith("data:")
        ? this.#dataLength + (this.#data === undefined ? 0 : 1) + this.#carryLength - (head.charCodeAt(5) === 32 ? 6 : 5) > this.#maxEventBytes
        : this.#carryLength > this.#maxEventBytes && (head.length > 4 || !"data:".startsWith(head))
    )
      this.#tooLarge();
  }

  #line(line: string): void {
    if (line.length === 0) {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    this.#open = true;
    this.#field(line);
  }

  #field(line: string): void {
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    // a line other than data is bounded on its own (data lines count toward the event's data below)
    if (name !== "data" && line.length > this.#maxEventBytes) this.#tooLarge();
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (name) {
      case "data":
        this.#addData(value);
        break;
      case "event":
        this.#eventType = value;
        break;
      case "id":
        if (!value.includes("\u0000")) this.#id = value;
        break;
      // "retry" and unknown fields are ignored, as the spec says
    }
  }

  #addData(value: string): void {
    if (this.#data === undefined) this.#data = value;
    // (joined as they come: an event of a million short data lines holds its text, not a million strings; a
    // joined piece still reads as its lines, since a data line holds no LF)
    else (this.#moreData ??= new TextParts("\n")).add(value);
    // the joining LF counts from the second line on: an event of exactly maxEventBytes characters fits
    this.#dataLength += this.#dataLength === 0 && this.#moreData === undefined ? value.length : value.length + 1;
    if (this.#dataLength > this.#maxEventBytes) this.#tooLarge();
  }

  #tooLarge(): never {
    throw limitExceeded("maxEventBytes", this.#maxEventBytes, "A server-sent event");
  }

  #dispatch(): void {
    if (this.#data !== undefined) {
      const data = this.#moreData === undefined ? this.#data : `${this.#data}\n${this.#moreData.text()}`;
      const event = new SseEventImpl(data);
      if (this.#eventType) event.event = this.#eventType;
      if (this.#id !== undefined) event.id = this.#id;
      this.#out.push(event);
    }
    this.#reset();
  }

  #reset(): void {
    this.#data = undefined;
    this.#moreData = undefined;
    this.#dataLength = 0;
    this.#eventType = undefined;
    this.#id = undefined;
    this.#open = false;
  }

  /** The unfinished event's fields, as the lines that carried them. */
  #partialText(): string {
    const lines: string[] = [];
    if (this.#eventType !== undefined) lines.push(`event: ${this.#eventType}`);
    if (this.#id !== undefined) lines.push(`id: ${this.#id}`);
    // (a joined piece holds its lines with LF between them: one string each, not one per line)
    if (this.#data !== undefined) for (const d of [this.#data, ...(this.#moreData?.pieces() ?? [])]) lines.push(`data: ${d.replaceAll("\n", "\ndata: ")}`);
    return lines.join("\n");
  }

  #take(): SseEvent[] {
    if (this.#out.length === 0) return [];
    const events = this.#out;
    this.#out = [];
    return events;
  }
}

/**
 * The mid-stream failure of an agent: an event of type `error`, or data that is a JSON object with a string
 * `error` and a string `error_type` (the official frameworks also send `message`). An ordinary event that
 * merely has an `error` field (`{"tool":"search","error":"no results"}`) is data. Returns undefined for data.
 */
export function sseErrorPayload(event: SseEvent): { errorType?: string; message: string; error?: unknown } | undefined {
  const { data } = event;
  const flagged = event.event === "error";
  if (!flagged && !(data.charCodeAt(0) === 123 /* { */ && data.includes('"error_type"'))) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return flagged ? { message: data || "The agent reported an error" } : undefined;
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return flagged ? { message: typeof body === "string" && body ? body : data || "The agent reported an error" } : undefined;
  }
  const record = body as Record<string, unknown>;
  if (!flagged && !(typeof record.error === "string" && typeof record.error_type === "string")) return undefined;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  return {
    errorType: str(record.error_type) ?? str(record.errorType) ?? str(record.type),
    message: str(record.message) ?? str(record.error) ?? "The agent reported an error",
    error: record.error,
  };
}
