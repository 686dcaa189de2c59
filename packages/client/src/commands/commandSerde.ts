import type { HttpRequest } from "@smithy/protocol-http";
import type { RuntimeContext } from "../types";
import type { BodyReader } from "../protocol/body";
import { utf8Bytes } from "../protocol/bytes";
import { TextParts } from "../protocol/textParts";
import { clientError, ClientErrorNames } from "../protocol/errors";
import { limitExceeded } from "../protocol/limits";
import { commandEventOf, EventStreamDecoder, type CommandEvent } from "../protocol/eventStream";
import { checkCommand, checkTimeout, LIMITS } from "../protocol/validate";
import { buildRequest, sessionIdFor, streamFailure, type RuntimeResponseHeaders, type RuntimeTarget } from "./serde";

/** Input of `ExecuteCommandCommand` and `ExecuteCommandStreamCommand`. */
export interface ExecuteInput extends RuntimeTarget {
  /** The shell command, 1–65536 characters; runs as a fresh one-shot bash process in the agent's container. */
  command: string;
  /** Seconds, 1–3600 (service default 300). */
  timeout?: number | undefined;
}


export function serializeExecute(input: ExecuteInput, context: RuntimeContext): HttpRequest {
  const command = checkCommand(input.command);
  const timeout = checkTimeout(input.timeout);
  const body = utf8Bytes(JSON.stringify(timeout === undefined ? { command } : { command, timeout }));
  const headers = { "content-type": "application/json", accept: "application/vnd.amazon.eventstream" };
  return buildRequest(input, context, "commands", { traceLimit: LIMITS.traceCommands, sessionId: sessionIdFor(input), headers, body });
}

/** What a command stream has produced so far; attached to errors so partial output is never lost. */
export interface CommandProgress {
  /** Accumulate output (the blocking call); a stream has already delivered it and keeps nothing. */
  collect: boolean;
  stdout: string;
  stderr: string;
  /** UTF-8 bytes collected in `stdout` and `stderr` (what `maxResponseBytes` bounds). */
  bytes: number;
  stopped: boolean;
  /** The deltas of each stream, joined as they come (see TextParts); `collected` reads them. */
  pending?: { stdout: TextParts; stderr: TextParts } | undefined;
}

/** `progress` with every delta joined into its `stdout` and `stderr`. */
export function collected(progress: CommandProgress): CommandProgress {
  const pending = progress.pending;
  if (pending) {
    progress.stdout = pending.stdout.text();
    progress.stderr = pending.stderr.text();
  }
  return progress;
}

/**
 * Decoded command events in order. Ending without `contentStop`, or inside a frame, throws after the events
 * before it were yielded; every error carries the partial stdout and stderr.
 */
export async function* commandEvents(body: BodyReader, context: RuntimeContext, head: RuntimeResponseHeaders, progress: CommandProgress): AsyncGenerator<CommandEvent, void, undefined> {
  const { maxEventBytes, maxResponseBytes } = context.limits;
  const decoder = new EventStreamDecoder({ maxEventBytes });
  try {
    for (let chunk = await body.read(); chunk !== undefined; chunk = await body.read()) {
      for (const message of decoder.push(chunk)) {
        // aborted, cancelled or past its deadline: nothing more, not even what one chunk already held
        if (body.failure !== undefined) throw body.failure;
        const event = commandEventOf(message);
        // an event type or chunk member this version does not know is skipped wherever it comes (PROTOCOL.md: a
        // trailing event the service may add one day must not fail every command)
        if (!event) continue;
        // the outcome is the last word: output, a start or a second outcome after it is a broken stream
        if (progress.stopped) throw clientError(ClientErrorNames.response, "The command stream went on after contentStop");
        if (event.contentDelta) {
          if (progress.collect) {
            const { stdout, stderr } = event.contentDelta;
            const pending = (progress.pending ??= { stdout: new TextParts(""), stderr: new TextParts("") });
            if (stdout) pending.stdout.add(stdout);
            if (stderr) pending.stderr.add(stderr);
            progress.bytes += (stdout ? utf8Bytes(stdout).byteLength : 0) + (stderr ? utf8Bytes(stderr).byteLength : 0);
            if (progress.bytes > maxResponseBytes) throw limitExceeded("maxResponseBytes", maxResponseBytes, "The command's output");
          }
        } else if (event.contentStop) {
          progress.stopped = true;
        }
        yield event;
      }
      // a bad frame after the frames of this read: now, not when (if ever) more bytes come
      if (decoder.failure !== undefined) throw decoder.failure;
    }
    decoder.finish();
    if (!progress.stopped) {
      throw clientError(ClientErrorNames.truncated, "The command stream ended before the command's outcome (contentStop) arrived");
    }
  } catch (e) {
    await body.cancel();
    if (progress.collect && e && typeof e === "object") Object.assign(e, { stdout: collected(progress).stdout, stderr: progress.stderr });
    throw streamFailure(e, head);
  }
}
