import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeResponse } from "../protocol/transport";
import { RuntimeCommand, type RuntimeContext } from "../Command";
import { withFields } from "../protocol/objects";
import { clientError, ClientErrorNames } from "../protocol/errors";
import type { CommandStatus } from "../protocol/eventStream";
import { collected, commandEvents, serializeExecute, type CommandProgress, type ExecuteInput } from "./commandSerde";
import { responseHeaders, throwIfError, type RuntimeResponseHeaders } from "./serde";

/** Input of `ExecuteCommandCommand`: the runtime, the `command` line and its `timeout` in seconds. */
export type ExecuteCommandCommandInput = ExecuteInput;

/** Output of `ExecuteCommandCommand`: the whole output and how the command ended. */
export interface ExecuteCommandCommandOutput extends RuntimeResponseHeaders {
  /** Everything the command wrote to standard output (UTF-8). */
  stdout: string;
  /** Everything the command wrote to standard error (UTF-8). */
  stderr: string;
  /** The command's exit code; -1 is a platform error. A non-zero exit is not an API error. */
  exitCode: number;
  /** `COMPLETED`, or `TIMED_OUT` when the command outlived its `timeout`. */
  status: CommandStatus;
}

/** Runs a shell command in the agent's container and waits for its output and exit code. */
export class ExecuteCommandCommand extends RuntimeCommand<ExecuteCommandCommandInput, ExecuteCommandCommandOutput> {
  readonly commandName = "ExecuteCommandCommand";
  readonly operation = "commands" as const;

  async serialize(input: ExecuteCommandCommandInput, context: RuntimeContext): Promise<HttpRequest> {
    return serializeExecute(input, context);
  }

  async deserialize(response: RuntimeResponse, context: RuntimeContext): Promise<ExecuteCommandCommandOutput> {
    await throwIfError(response, context);
    const head = responseHeaders(response, context);
    const progress: CommandProgress = { collect: true, stdout: "", stderr: "", bytes: 0, stopped: false };
    let outcome: { exitCode: number; status: CommandStatus } | undefined;
    for await (const event of commandEvents(response.body, context, head, progress)) {
      if (event.contentStop) outcome = event.contentStop;
    }
    const { stdout, stderr } = collected(progress);
    if (!outcome) throw clientError(ClientErrorNames.truncated, "The command stream ended without contentStop", { fields: { stdout, stderr } });
    return withFields(head, { stdout, stderr, exitCode: outcome.exitCode, status: outcome.status });
  }
}
