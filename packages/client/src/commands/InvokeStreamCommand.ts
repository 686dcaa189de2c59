import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeResponse } from "../protocol/transport";
import { RuntimeCommand, type RuntimeContext } from "../Command";
import { withFields } from "../protocol/objects";
import type { SseEvent } from "../protocol/sse";
import { RuntimeStream } from "../protocol/stream";
import { invokeEvents, serializeInvoke, type InvokeInput } from "./invokeSerde";
import { responseHeaders, throwIfError, type RuntimeResponseHeaders } from "./serde";

/** Input of `InvokeStreamCommand`: the same as `InvokeCommand`'s. */
export type InvokeStreamCommandInput = InvokeInput;

/** Output of `InvokeStreamCommand`: the response headers, and the body as a stream of events. */
export interface InvokeStreamCommandOutput extends RuntimeResponseHeaders {
  /** SSE events as they arrive (a non-SSE body arrives as one event); iterate once. */
  stream: RuntimeStream<SseEvent>;
}

/** Invokes the agent and hands back its response as a stream of events, for `for await`. */
export class InvokeStreamCommand extends RuntimeCommand<InvokeStreamCommandInput, InvokeStreamCommandOutput> {
  readonly commandName = "InvokeStreamCommand";
  readonly operation = "invoke" as const;

  serialize(input: InvokeStreamCommandInput, context: RuntimeContext): Promise<HttpRequest> {
    return serializeInvoke(input, context);
  }

  async deserialize(response: RuntimeResponse, context: RuntimeContext): Promise<InvokeStreamCommandOutput> {
    await throwIfError(response, context);
    const head = responseHeaders(response, context);
    const body = response.body;
    const stream = new RuntimeStream(() => invokeEvents(body, context, head), (reason) => body.cancel(reason));
    return withFields(head, { stream });
  }
}
