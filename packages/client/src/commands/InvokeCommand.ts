import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeResponse } from "../protocol/transport";
import { RuntimeCommand, type RuntimeContext } from "../Command";
import { clientError, ClientErrorNames, AgentRuntimeError } from "../protocol/errors";
import type { SseEvent } from "../protocol/sse";
import { Parts, readAll, type BodyReader } from "../protocol/body";
import { utf8Text } from "../protocol/bytes";
import { withFields } from "../protocol/objects";
import { invokeEvents, isEventStream, responseTooLarge, serializeInvoke, type InvokeInput } from "./invokeSerde";
import { contentTypeTest, responseHeaders, throwIfError, type RuntimeResponseHeaders } from "./serde";

/** Input of `InvokeCommand`: the runtime, the `payload` and the optional content, user and MCP headers. */
export type InvokeCommandInput = InvokeInput;

/** Output of `InvokeCommand`: the whole response, read and decoded. */
export interface InvokeCommandOutput extends RuntimeResponseHeaders {
  /** The whole response body. */
  body: Uint8Array;
  /** SSE: the events' `text` joined; a JSON string body: unwrapped; otherwise the UTF-8 body. */
  text: string;
  /** The parsed body, for JSON responses. */
  json?: unknown | undefined;
  /** The events, for `text/event-stream` responses. */
  events?: SseEvent[] | undefined;
}

/** Whether a response is JSON (`application/json`, `application/*+json`). */
const isJson = /* @__PURE__ */ contentTypeTest(/^\s*application\/([\w.+-]*\+)?json\s*(;|$)/i);

/** What an event kept in memory costs beyond its bytes, counted toward maxResponseBytes (an object and its fields). */
const EVENT_COST = 64;

/**
 * An SSE response read whole: its events (in-band errors thrown after the events before them) and, within
 * maxResponseBytes, its raw bytes (`body` is the response as received).
 */
async function readEvents(body: BodyReader, context: RuntimeContext, head: RuntimeResponseHeaders): Promise<InvokeCommandOutput> {
  const { maxResponseBytes } = context.limits;
  const events: SseEvent[] = [];
  const raw = new Parts();
  const tee = {
    read: async () => {
      const chunk = await body.read();
      if (chunk) {
        // each event kept costs EVENT_COST too: a body of millions of empty events would hold 20 times its size
        if (raw.length + chunk.length + events.length * EVENT_COST > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
        raw.add(chunk);
      }
      return chunk;
    },
    cancel: (reason?: unknown) => body.cancel(reason),
  };
  try {
    for await (const event of invokeEvents(tee, context, head)) events.push(event);
  } catch (e) {
    if (AgentRuntimeError.isInstance(e)) Object.assign(e as AgentRuntimeError, { events, text: events.map((ev) => ev.text).join("") });
    throw e;
  }
  return withFields(head, { body: raw.bytes(), text: events.map((ev) => ev.text).join(""), events });
}

/** Invokes the agent and waits for the whole response (JSON or SSE). */
export class InvokeCommand extends RuntimeCommand<InvokeCommandInput, InvokeCommandOutput> {
  readonly commandName = "InvokeCommand";
  readonly operation = "invoke" as const;

  serialize(input: InvokeCommandInput, context: RuntimeContext): Promise<HttpRequest> {
    return serializeInvoke(input, context);
  }

  async deserialize(response: RuntimeResponse, context: RuntimeContext): Promise<InvokeCommandOutput> {
    const failed = throwIfError(response, context);
    if (failed) await failed;
    const head = responseHeaders(response, context);
    if (isEventStream(head.contentType)) return readEvents(response.body, context, head);
    const bytes = await readAll(response.body, context.limits.maxResponseBytes, responseTooLarge);
    const raw = utf8Text(bytes);
    // (head is this call's own object: the output is made by adding to it)
    const out = head as InvokeCommandOutput;
    out.body = bytes;
    if (!isJson(head.contentType) || raw.trim() === "") {
      out.text = raw;
      return out;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw clientError(ClientErrorNames.response, `The response says ${head.contentType} but its body is not valid JSON: ${(e as Error).message}`, {
        $metadata: head.$metadata,
        fields: { text: raw },
      });
    }
    out.text = typeof json === "string" ? json : raw;
    out.json = json;
    return out;
  }
}
