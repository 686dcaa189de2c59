import { InvokeCommand, InvokeStreamCommand, type InvokeCommandInput, type InvokeCommandOutput } from "@agentcore-runtime/client";
import type { InvokeArgs } from "../args";
import type { CommandContext } from "../context";
import { UsageError } from "../errors";
import { payloadFromBytes, payloadFromText, readStdin } from "../payload";

const HEADER_FIELDS = ["mcpSessionId", "mcpProtocolVersion", "traceId", "traceparent", "tracestate", "baggage"] as const;

/** The output without its raw bytes and with the request id: what a script wants from --json. */
function jsonView(output: InvokeCommandOutput): Record<string, unknown> {
  const view: Record<string, unknown> = {
    statusCode: output.statusCode,
    sessionId: output.sessionId,
    contentType: output.contentType,
    requestId: output.$metadata.requestId,
  };
  for (const field of HEADER_FIELDS) if (output[field] !== undefined) view[field] = output[field];
  if (output.json !== undefined) view.json = output.json;
  else view.text = output.text;
  if (output.events) view.events = output.events;
  return view;
}

export async function invoke(args: InvokeArgs, ctx: CommandContext): Promise<number> {
  // Node reads the command line as UTF-8, turning bytes that are not into U+FFFD: the payload would not be the
  // bytes typed. Such bytes go through stdin, which is sent as it is.
  if (args.payload !== "-" && args.payload.includes("\uFFFD")) {
    throw new UsageError("PAYLOAD is not valid UTF-8 text (or holds U+FFFD); pass such bytes on stdin with '-'", "invoke");
  }
  const payload = args.payload === "-" ? payloadFromBytes(await readStdin(ctx.stdin, ctx.signal)) : payloadFromText(args.payload);
  const input: InvokeCommandInput = { ...ctx.target, payload: payload.body, contentType: args.contentType ?? payload.contentType };
  if (args.accept !== undefined) input.accept = args.accept;
  if (args.userId !== undefined) input.userId = args.userId;

  ctx.waiting.start();
  if (args.stream) {
    const output = await ctx.client.send(new InvokeStreamCommand(input), { abortSignal: ctx.signal });
    const sessionId = output.sessionId ?? ctx.target.sessionId;
    // one write per event, awaited for backpressure: nothing is held back until the end
    for await (const event of output.stream) {
      ctx.waiting.stop();
      await ctx.out.write(ctx.json ? `${JSON.stringify({ ...event, sessionId })}\n` : event.text);
    }
    ctx.waiting.stop();
    await ctx.out.finishLine();
    await announceSession(sessionId, ctx);
    return 0;
  }
  const output = await ctx.client.send(new InvokeCommand(input), { abortSignal: ctx.signal });
  ctx.waiting.stop();
  if (ctx.json) await ctx.out.write(`${JSON.stringify(jsonView(output), null, 2)}\n`);
  else {
    await ctx.out.write(output.text);
    await ctx.out.finishLine();
  }
  await announceSession(output.sessionId ?? ctx.target.sessionId, ctx);
  return 0;
}

/** A session the CLI made up is worth keeping: its id on stderr (stdout stays the reply), to pass to the next call. */
async function announceSession(sessionId: string, ctx: CommandContext): Promise<void> {
  if (ctx.sessionGenerated) await ctx.messages.line(`agentcore: session-id ${sessionId} (new; continue it with --session-id ${sessionId})`);
}
