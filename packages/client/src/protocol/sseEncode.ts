import type { SseEvent } from "./sse";
import { AgentRuntimeError } from "./errors";

/** Options of `stream.toSSEStream()` and `stream.toSSEResponse()`. */
export interface SSEStreamOptions {
  /** Milliseconds of silence after which a `: heartbeat` comment is sent (default 15000; Infinity for none). */
  heartbeatMs?: number | undefined;
}

/** Headers a proxied event stream needs: no caching, and no buffering by nginx-style proxies. */
export const SSE_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

export const DEFAULT_HEARTBEAT_MS = 15_000;

const HEARTBEAT = ": heartbeat\n\n";

/** A field value on one line: a CR or LF inside `event` or `id` would start a field of its own. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}

/** One event as SSE text; multi-line data becomes several `data:` lines, which a decoder joins back with LF. */
export function encodeSseEvent(event: Pick<SseEvent, "data" | "event" | "id">): string {
  let out = "";
  if (event.event) out += `event: ${oneLine(event.event)}\n`;
  // an id with NUL is ignored by decoders (WHATWG), so it is not sent
  if (event.id !== undefined && !event.id.includes("\u0000")) out += `id: ${oneLine(event.id)}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * A stream failure as an `event: error` whose data is what the official agent frameworks send
 * (`{"error","error_type","message"}`), so `readSSE` on the other side raises the same typed error.
 */
export function encodeSseError(error: unknown): string {
  const e = (error ?? {}) as Partial<AgentRuntimeError> & { error?: unknown };
  const message = typeof e.message === "string" && e.message ? e.message : String(error);
  const name = typeof e.name === "string" && e.name ? e.name : "Error";
  // an agent error without a type stays without one; any other failure is named by its error name
  const errorType = typeof e.errorType === "string" && e.errorType ? e.errorType : AgentRuntimeError.isInstance(error) && name === "AgentRuntimeError" ? undefined : name;
  const body: Record<string, string> = { error: typeof e.error === "string" && e.error ? e.error : message };
  if (errorType !== undefined) body.error_type = errorType;
  body.message = message;
  return encodeSseEvent({ event: "error", data: JSON.stringify(body) });
}

export function heartbeatText(): string {
  return HEARTBEAT;
}
