import type { HttpRequest } from "@smithy/protocol-http";
import type { Abort } from "../protocol/abort";
import type { RuntimeContext } from "../types";
import { readAll, type BodyReader } from "../protocol/body";
import { concatBytes, utf8Bytes, utf8Text } from "../protocol/bytes";
import { AgentRuntimeError, clientError, ClientErrorNames, inBandError } from "../protocol/errors";
import { limitExceeded } from "../protocol/limits";
import { SseDecoder, sseErrorPayload, sseEvent, type SseEvent } from "../protocol/sse";
import { checkOptionalHeader, checkPayloadSize, checkWellFormed, HEADER_VALUE_MAX_BYTES, LIMITS } from "../protocol/validate";
import { buildRequest, contentTypeTest, sessionIdFor, streamFailure, type RuntimeResponseHeaders, type RuntimeTarget } from "./serde";

/** Input of `InvokeCommand` and `InvokeStreamCommand`. */
export interface InvokeInput extends RuntimeTarget {
  /** An object is sent as JSON; a string, bytes, a Blob or a stream of bytes are sent as they are. */
  payload?: unknown | undefined;
  /** Default `application/json`. */
  contentType?: string | undefined;
  /** Default `application/json, text/event-stream`: agents stream only when asked, MCP servers require both. */
  accept?: string | undefined;
  /** Sent as `X-Amzn-Bedrock-AgentCore-Runtime-User-Id`: the end user the agent acts for (see the service's docs). */
  userId?: string | undefined;
  /** Sent as `Mcp-Session-Id` (an MCP server's session). */
  mcpSessionId?: string | undefined;
  /** Sent as `Mcp-Protocol-Version`. */
  mcpProtocolVersion?: string | undefined;
  /** Sent as `Mcp-Method`. */
  mcpMethod?: string | undefined;
  /** Sent as `Mcp-Name`. */
  mcpName?: string | undefined;
}

export const DEFAULT_ACCEPT = "application/json, text/event-stream";

function invalidPayload(message: string): never {
  throw clientError(ClientErrorNames.invalidParameter, message, { fields: { field: "payload" } });
}

/** The payload source's own failure, typed; an abort of the call keeps its own reason. */
function payloadStreamError(e: unknown): unknown {
  if (AgentRuntimeError.isInstance(e)) return e;
  return clientError(ClientErrorNames.invalidParameter, `The payload stream failed: ${(e as Error)?.message ?? String(e)}`, {
    cause: e,
    fields: { field: "payload" },
  });
}

/**
 * Reads a streamed payload (web ReadableStream, Node Readable, async iterable) up to one byte past the limit.
 * The call's abort (abortSignal, deadline, destroy()) cancels the source and ends the wait at once.
 */
async function collect(source: AsyncIterable<unknown> | ReadableStream<unknown>, abort: Abort): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  // a string chunk's last UTF-16 unit when it is the first half of a pair: a string cut anywhere (slice(i, i + n))
  // may split an emoji between two chunks, and the pair is whole only once the next chunk comes
  let half = "";
  const add = (chunk: unknown) => {
    let bytes: Uint8Array;
    if (typeof chunk === "string") {
      let text = half + chunk;
      const last = text.charCodeAt(text.length - 1);
      half = last >= 0xd800 && last <= 0xdbff ? text.slice(-1) : "";
      if (half) text = text.slice(0, -1);
      // a surrogate that no chunk completes would reach the agent as U+FFFD: refused, as in a string payload
      bytes = utf8Bytes(checkWellFormed("payload", text));
    } else {
      if (half) checkWellFormed("payload", half);
      bytes = chunk instanceof Uint8Array ? chunk : ArrayBuffer.isView(chunk) ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : invalidPayload("a streamed payload must yield strings or bytes");
    }
    parts.push(bytes);
    total += bytes.length;
    return total > LIMITS.payloadBytes;
  };
  let next: () => Promise<IteratorResult<unknown>>;
  let stop: () => Promise<unknown>;
  if (typeof (source as ReadableStream).getReader === "function") {
    const reader = (source as ReadableStream<unknown>).getReader();
    next = () => reader.read() as Promise<IteratorResult<unknown>>;
    stop = () => reader.cancel();
  } else {
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    next = () => iterator.next();
    // a Node Readable is destroyed at once; return() alone would wait for a read that may never come
    stop = async () => {
      (source as { destroy?: () => void }).destroy?.();
      await iterator.return?.();
    };
  }
  if (abort.aborted) throw abort.reason;
  let unlisten: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    unlisten = abort.listen(() => reject(abort.reason));
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      let result: IteratorResult<unknown>;
      try {
        result = await Promise.race([next(), aborted]);
      } catch (e) {
        throw abort.aborted ? abort.reason : payloadStreamError(e);
      }
      if (result.done) break;
      if (add(result.value)) break;
    }
  } catch (e) {
    // not awaited: a generator suspended inside its own await only returns once that await settles
    void stop().catch(() => undefined);
    throw e;
  } finally {
    unlisten!();
  }
  if (total > LIMITS.payloadBytes) void stop().catch(() => undefined);
  else if (half) checkWellFormed("payload", half);
  return concatBytes(parts);
}

/** Objects JSON.stringify turns into {} (or an empty array) whatever they hold. */
const UNSENDABLE = /^(Map|Set|WeakMap|WeakSet|WeakRef|URLSearchParams|FormData|Headers|Request|Response)$/;

/** The payload's bytes: at once for what is already in memory, a promise for a Blob or a stream. */
function payloadBytes(payload: unknown, abort: Abort): Uint8Array | Promise<Uint8Array> {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  // a lone surrogate would reach the agent as U+FFFD: refused, like any other input that cannot be sent as given
  if (typeof payload === "string") return utf8Bytes(checkWellFormed("payload", payload));
  if (payload instanceof Uint8Array) return payload;
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  // by tag, not instanceof: buffers, blobs and collections from another realm (a worker, an iframe, vm) too
  const tag = Object.prototype.toString.call(payload).slice(8, -1);
  if (tag === "ArrayBuffer") return new Uint8Array(payload as ArrayBuffer);
  // (a copy: shared memory could change while it is sent)
  if (tag === "SharedArrayBuffer") return new Uint8Array(payload as ArrayBuffer).slice();
  if ((tag === "Blob" || tag === "File") && typeof (payload as Blob).arrayBuffer === "function") {
    const blob = payload as Blob;
    if (blob.size > LIMITS.payloadBytes) checkPayloadSize(blob.size);
    return blob.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  }
  if (typeof payload === "object" && (typeof (payload as ReadableStream).getReader === "function" || Symbol.asyncIterator in payload)) {
    return collect(payload as AsyncIterable<unknown>, abort);
  }
  if (typeof (payload as PromiseLike<unknown>).then === "function") invalidPayload("payload is a Promise (or another thenable): await it before sending");
  // these serialise to {} and would reach the agent empty
  if (typeof payload === "function" || typeof payload === "symbol" || UNSENDABLE.test(tag)) {
    invalidPayload(`payload of type ${typeof payload === "object" ? tag : typeof payload} cannot be sent; pass a plain object, a string or bytes`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (e) {
    invalidPayload(`payload cannot be serialised as JSON: ${(e as Error).message}`);
  }
  if (json === undefined) invalidPayload("payload cannot be serialised as JSON");
  return utf8Bytes(json);
}

/** The optional invoke inputs sent as headers (1–1024 characters each). */
const OPTIONAL_HEADERS: [keyof InvokeInput & string, string][] = [
  ["userId", "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"],
  ["mcpSessionId", "Mcp-Session-Id"],
  ["mcpProtocolVersion", "Mcp-Protocol-Version"],
  ["mcpMethod", "Mcp-Method"],
  ["mcpName", "Mcp-Name"],
];

export async function serializeInvoke(input: InvokeInput, context: RuntimeContext): Promise<HttpRequest> {
  const bytes = payloadBytes(input.payload, context.abort);
  const body = bytes instanceof Uint8Array ? bytes : await bytes;
  checkPayloadSize(body.length);
  const headers: Record<string, string> = {
    // the defaults are known-good constants: only a caller's value is checked. Names in lower case, as the AWS
    // SDK's serializers write them: a middleware reads and replaces `content-type` rather than adding a second one
    "content-type": checkOptionalHeader("contentType", input.contentType, 1, HEADER_VALUE_MAX_BYTES) ?? "application/json",
    accept: checkOptionalHeader("accept", input.accept, 1, HEADER_VALUE_MAX_BYTES) ?? DEFAULT_ACCEPT,
  };
  for (const [field, header] of OPTIONAL_HEADERS) {
    const value = input[field];
    if (value === undefined) continue;
    headers[header] = checkOptionalHeader(field, value, 1, 1024)!;
  }
  return buildRequest(input, context, "invocations", { traceLimit: LIMITS.traceInvoke, sessionId: sessionIdFor(input), headers, body });
}

/** Whether a response is SSE (`text/event-stream`). */
export const isEventStream = /* @__PURE__ */ contentTypeTest(/^\s*text\/event-stream\s*(;|$)/i);

/** The error `readAll` throws past `maxResponseBytes`. */
export function responseTooLarge(limit: number) {
  return limitExceeded("maxResponseBytes", limit, "The response body");
}

function sseError(event: SseEvent): AgentRuntimeError | undefined {
  const payload = sseErrorPayload(event);
  if (!payload) return undefined;
  return inBandError(payload.errorType, payload.message, { errorType: payload.errorType, fields: { error: payload.error } });
}

/**
 * Events of an invoke response: SSE events as they complete, or (any other content type) one event holding
 * the whole body. An in-band agent error is thrown after the events before it were yielded; a body that ends
 * inside an event throws `TruncatedStreamError` (with the partial text) after the complete ones.
 */
export async function* invokeEvents(body: BodyReader, context: RuntimeContext, head: RuntimeResponseHeaders): AsyncGenerator<SseEvent, void, undefined> {
  const { maxEventBytes, maxResponseBytes } = context.limits;
  try {
    if (!isEventStream(head.contentType)) {
      const bytes = await readAll(body, maxResponseBytes, responseTooLarge);
      const data = utf8Text(bytes);
      yield sseEvent(data);
      return;
    }
    const decoder = new SseDecoder({ maxEventBytes });
    for (let chunk = await body.read(); chunk !== undefined; chunk = await body.read()) {
      for (const event of decoder.push(chunk)) {
        // aborted, cancelled or past its deadline: nothing more, not even what one chunk already held
        if (body.failure !== undefined) throw body.failure;
        const error = sseError(event);
        if (error) throw error;
        yield event;
      }
      // a limit crossed after the events of this read: now, not when (if ever) more bytes come
      if (decoder.failure !== undefined) throw decoder.failure;
    }
    const end = decoder.finish();
    if (end.truncated) {
      // an agent's error cut off at the end is still the agent's error, never a bare truncation
      for (const event of end.dropped) {
        const error = sseError(event);
        if (error) throw error;
      }
      throw clientError(ClientErrorNames.truncated, "The event stream ended inside an event (no blank line after its last event); the complete events were delivered", {
        fields: { partial: end.partial },
      });
    }
  } catch (e) {
    await body.cancel(e);
    throw streamFailure(e, head);
  }
}

