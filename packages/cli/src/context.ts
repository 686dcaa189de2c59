import type { RuntimeClient } from "@agentcore-runtime/client";
import type { Settings } from "./settings";
import type { Messages, Sink } from "./output";

/** What a command needs to run: the client, the target, where to write, and the signal that cancels it. */
export interface CommandContext {
  client: RuntimeClient;
  target: Settings["target"];
  json: boolean;
  out: Sink;
  /** stderr for the remote command's own output, written verbatim. */
  err: Sink;
  /** stderr for the CLI's messages, scrubbed of the token. */
  messages: Messages;
  signal: AbortSignal;
  stdin: NodeJS.ReadableStream;
}
