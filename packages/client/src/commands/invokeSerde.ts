import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeContext } from "../Command";
import { DEFAULT_IDLE_TIMEOUT } from "../config";
import { readAll, type BodyReader } from "../protocol/body";
import { clientError, ClientErrorNames, inBandError, type AgentRuntimeError } from "../protocol/errors";
import { SseDecoder, sseErrorPayload, sseText, type SseEvent } from "../protocol/sse";
import { checkOptionalHeader, checkPayloadSize, LIMITS, checkHeaderValue } from "../protocol/validate";
import { buildRequest, sessionIdFor, streamFailure, utf8, type RuntimeResponseHeaders, type RuntimeTarget } from "./serde";

/** Input of `InvokeCommand` and `InvokeStreamCommand`. */
export interface InvokeInput extends RuntimeTarget {
  /** An object is sent as JSON; a string or bytes are sent as they are. */
  payload?: unknown;
  /** Default `application/json`. */
  contentType?: string;
  /** Default `application/json, text/event-stream`: agents stream only when asked, MCP servers require both. */
  accept?: string;
  userId?: string;
  mcpSessionId?: string;
  mcpProtocolVersion?: string;
  mcpMethod?: string;
  mcpName?: string;
}

export const DEFAULT_ACCEPT = "application/json, text/event-stream";

function payloadBytes(payload: unknown): Uint8Array {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  if (typeof payload === "string") return utf8(payload);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (e) {
    throw clientError(ClientErrorNames.invalidParameter, `payload cannot be serialised as JSON: ${(e as Error).message}`, { fields: { field: "payload" } });
  }
  if (json === undefined) throw clientError(ClientErrorNames.invalidParameter, "payload cannot be serialised as JSON", { fields: { field: "payload" } });
  return utf8(json);
}

export function serializeInvoke(input: InvokeInput, context: RuntimeContext): HttpRequest {
  context.idleTimeout ??= DEFAULT_IDLE_TIMEOUT;
  const body = payloadBytes(input.payload);
  checkPayloadSize(body.length);
  const headers: Record<string, string> = {
    "Content-Type": checkHeaderValue("contentType", input.contentType ?? "application/json"),
    Accept: checkHeaderValue("accept", input.accept ?? DEFAULT_ACCEPT),
  };
  const optional: [string, string, unknown][] = [
    ["userId", "X-Amzn-Bedrock-AgentCore-Runtime-User-Id", input.userId],
    ["mcpSessionId", "Mcp-Session-Id", input.mcpSessionId],
    ["mcpProtocolVersion", "Mcp-Protocol-Version", input.mcpProtocolVersion],
    ["mcpMethod", "Mcp-Method", input.mcpMethod],
    ["mcpName", "Mcp-Name", input.mcpName],
  ];
  for (const [field, header, value] of optional) {
    const checked = checkOptionalHeader(field, value, 1, 1024);
    if (checked !== undefined) headers[header] = checked;
  }
  return buildRequest(input, context, "invocations", { traceLimit: LIMITS.traceInvoke, sessionId: sessionIdFor(input), headers, body });
}

export function isEventStream(contentType: string | undefined): boolean {
  return !!contentType && /^\s*text\/event-stream\s*(;|$)/i.test(contentType);
}

function sseError(event: SseEvent): AgentRuntimeError | undefined {
  const payload = sseErrorPayload(event);
  if (!payload) return undefined;
  return inBandError(payload.errorType, payload.message, { errorType: payload.errorType, fields: { error: payload.error } });
}

/**
 * Events of an invoke response: SSE events as they complete, or (any other content type) one event holding
 * the whole body. An in-band `{"error", …}` event is thrown after the events before it were yielded.
 */
export async function* invokeEvents(body: BodyReader, context: RuntimeContext, head: RuntimeResponseHeaders): AsyncGenerator<SseEvent, void, undefined> {
  try {
    if (!isEventStream(head.contentType)) {
      const data = new TextDecoder().decode(await readAll(body));
      yield { data, text: sseText(data) };
      return;
    }
    const decoder = new SseDecoder();
    for (let chunk = await body.read(); chunk !== undefined; chunk = await body.read()) yield* checked(decoder.push(chunk));
    const { events, dropped } = decoder.finish();
    yield* checked(events);
    // an unterminated last event is discarded per the spec, but an agent's error is never dropped silently
    for (const event of dropped) {
      const error = sseError(event);
      if (error) throw error;
    }
    if (dropped.length) {
      context.logger?.warn?.(`agentcore: ${context.commandName}: the event stream ended without a blank line after its last event; that unterminated event was discarded (per the SSE spec)`);
    }
  } catch (e) {
    await body.cancel();
    throw streamFailure(e, context, head);
  }
}

function* checked(events: SseEvent[]): Generator<SseEvent> {
  for (const event of events) {
    const error = sseError(event);
    if (error) throw error;
    yield event;
  }
}
