import { StopSessionCommand, type StopSessionCommandInput } from "@agentcore-runtime/client";
import type { StopArgs } from "../args";
import type { CommandContext } from "../context";

/** Silent on success, like `kill`; --json for scripts that want the response. */
export async function stop(args: StopArgs, ctx: CommandContext): Promise<number> {
  const input: StopSessionCommandInput = { ...ctx.target };
  if (args.clientToken !== undefined) input.clientToken = args.clientToken;
  const output = await ctx.client.send(new StopSessionCommand(input), { abortSignal: ctx.signal });
  if (ctx.json) await ctx.out.write(`${JSON.stringify({ statusCode: output.statusCode, sessionId: output.sessionId ?? ctx.target.sessionId }, null, 2)}\n`);
  return 0;
}
