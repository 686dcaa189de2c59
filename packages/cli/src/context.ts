import type { ConnectWebSocketOptions, RuntimeClient } from "@agentcore-runtime/client";
import type { Settings } from "./settings";
import type { Messages, Sink } from "./output";
import type { Waiting } from "./spinner";

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
  /** The spinner (or nothing) shown until the first byte arrives. */
  waiting: Waiting;
  /** The session id was made up by the CLI, not given: worth telling the user so the next call can reuse it. */
  sessionGenerated: boolean;
  stdin: NodeJS.ReadableStream;
  /** The raw stdout stream (a TTY's size and resize events, for `shell`); write through `out`. */
  stdout: NodeJS.WritableStream;
  /** --sigv4: how `shell` and `ws` get a SigV4-signed connection (signed afresh for every reconnect). */
  connection?: ConnectWebSocketOptions["connection"];
}
