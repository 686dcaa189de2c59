import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeResponse } from "../protocol/transport";
import { RuntimeCommand, type RuntimeContext } from "../Command";
import { withFields } from "../protocol/objects";
import type { CommandEvent } from "../protocol/eventStream";
import { RuntimeStream } from "../protocol/stream";
import { commandEvents, serializeExecute, type ExecuteInput } from "./commandSerde";
import { responseHeaders, throwIfError, type RuntimeResponseHeaders } from "./serde";

/** Input of `ExecuteCommandStreamCommand`: the same as `ExecuteCommandCommand`'s. */
export type ExecuteCommandStreamCommandInput = ExecuteInput;

/** Output of `ExecuteCommandStreamCommand`: the response headers, and the command's events as they arrive. */
export interface ExecuteCommandStreamCommandOutput extends RuntimeResponseHeaders {
  /** `contentStart`, `contentDelta`s, then `contentStop`; iterate once. */
  stream: RuntimeStream<CommandEvent>;
}

/** Runs a shell command in the agent's container and streams its output as it is produced. */
export class ExecuteCommandStreamCommand extends RuntimeCommand<ExecuteCommandStreamCommandInput, ExecuteCommandStreamCommandOutput> {
  readonly commandName = "ExecuteCommandStreamCommand";
  readonly operation = "commands" as const;

  async serialize(input: ExecuteCommandStreamCommandInput, context: RuntimeContext): Promise<HttpRequest> {
    return serializeExecute(input, context);
  }

  async deserialize(response: RuntimeResponse, context: RuntimeContext): Promise<ExecuteCommandStreamCommandOutput> {
    await throwIfError(response, context);
    const head = responseHeaders(response, context);
    const body = response.body;
    const progress = { collect: false, stdout: "", stderr: "", bytes: 0, stopped: false };
    const stream = new RuntimeStream(() => commandEvents(body, context, head, progress), (reason) => body.cancel(reason));
    return withFields(head, { stream });
  }
}
