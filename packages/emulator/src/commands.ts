import { randomUUID } from "node:crypto";
import { chunkFrame, deltaFrames, deltaPieces, exceptionFrame, prefixWithin } from "./eventStream";
import type { ParsedRequest } from "./pipeline";
import { commandEnv } from "./execEnv";
import { execRunner } from "./execRunner";
import { CANONICAL, COMMAND_ECHO_HEADERS, SESSION_HEADER } from "./headers";
import { ResponseWriter } from "./responseWriter";
import type { RunResult } from "./runner";
import { scriptedRunner } from "./scriptedRunner";
import type { SessionStore } from "./sessions";
import { errorMessage } from "./util";
import type { CommandRequest } from "./validation";

export interface CommandDeps {
  sessions: SessionStore;
  exec: boolean;
  maxOutputBytes: number;
  /** Marks this emulator's processes (exec): AGENTCORE_EMULATOR_RUN=<runTag>.<session tag>.<command>. */
  runTag: string;
  /** exec: names of the emulator's environment variables passed to commands beyond the default allow-list. */
  passEnv: readonly string[];
}

let stopFrameMax: number | undefined;
/** Bytes of the longest contentStop frame: no exit code is longer than the smallest 32-bit integer. */
const longestStopFrame = () =>
  (stopFrameMax ??= chunkFrame({ contentStop: { exitCode: -2147483648, status: "COMPLETED" } }).byteLength);

/** A command body is small (command ≤ 65536 chars); anything far larger is not worth reading. */
export const MAX_COMMAND_BODY = 1024 * 1024;

/** InvokeAgentRuntimeCommand: runs the parsed command in its session and streams it as AWS event-stream frames. */
export async function handleCommand(req: ParsedRequest<CommandRequest>, deps: CommandDeps): Promise<void> {
  const { ex, fault, sessionId, input: request } = req;
  const session = req.session!;
  const headers: Record<string, string> = {
    "Content-Type": "application/vnd.amazon.eventstream",
    [CANONICAL[SESSION_HEADER]]: sessionId,
  };
  for (const name of COMMAND_ECHO_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) headers[CANONICAL[name]] = value;
  }
  const cwd = deps.exec ? await deps.sessions.workDir(session) : undefined;
  if (ex.signal.aborted) return;
  ex.writeHead(200, headers);
  ex.res.flushHeaders();
  const writer = new ResponseWriter(ex, "eventstream", fault);
  const start = chunkFrame({ contentStart: {} });
  await writer.event(start);

  // The limit counts the response body as sent (frames, JSON escaping included), the way the service's
  // per-response limit does; room for the stop frame is kept back, so the whole body stays within it.
  const overLimit = new AbortController();
  let budget = deps.maxOutputBytes - start.byteLength - longestStopFrame();
  let result: RunResult;
  try {
    result = await (deps.exec ? execRunner : scriptedRunner)({
      command: request.command,
      timeoutSeconds: request.timeout,
      cwd,
      env: deps.exec ? commandEnv(process.env, deps.passEnv) : undefined,
      processTag: deps.exec ? `${deps.runTag}.${session.tag}.${randomUUID()}` : undefined,
      signal: AbortSignal.any([ex.signal, overLimit.signal]),
      onOutput: async (stream, text) => {
        if (overLimit.signal.aborted || writer.done) return;
        for (const { text: piece, frame } of deltaPieces(stream, text)) {
          if (frame.byteLength > budget) {
            // Past the limit: what still fits goes out, cut on a character boundary; then the command is killed.
            overLimit.abort();
            const head = prefixWithin(stream, piece, budget);
            if (head) await writer.event(deltaFrames(stream, head)[0]!);
            return;
          }
          budget -= frame.byteLength;
          await writer.event(frame);
          if (writer.done) return;
        }
      },
    });
  } catch (err) {
    await writer.event(exceptionFrame("internalServerException", `Command could not be started: ${errorMessage(err)}`));
    await writer.end();
    return;
  }
  if (ex.signal.aborted || writer.done) return;
  // A command cut off at the output limit reports -1, the platform-error exit code.
  const stop = overLimit.signal.aborted ? { exitCode: -1, status: "COMPLETED" as const } : result;
  await writer.event(chunkFrame({ contentStop: stop }));
  await writer.end();
}
