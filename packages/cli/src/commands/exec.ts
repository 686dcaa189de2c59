import { ExecuteCommandCommand, ExecuteCommandStreamCommand, type CommandStatus, type ExecuteCommandCommandInput } from "@agentcore-runtime/client";
import type { ExecArgs } from "../args";
import type { CommandContext } from "../context";
import { EXIT } from "../errors";

/** The remote outcome as this process's exit status: the command's own, 124 for a timeout like GNU timeout. */
async function exitStatus(status: CommandStatus, exitCode: number, args: ExecArgs, ctx: CommandContext): Promise<number> {
  if (status === "TIMED_OUT") {
    await ctx.messages.line(`agentcore: the command timed out${args.timeout !== undefined ? ` after ${args.timeout} s` : ""} (status TIMED_OUT)`);
    return EXIT.timedOut;
  }
  if (Number.isInteger(exitCode) && exitCode >= 0 && exitCode <= 255) return exitCode;
  // e.g. -1 for a command the service killed: not representable as a process exit status
  await ctx.messages.line(`agentcore: the command ended without a usable exit status (${exitCode})`);
  return EXIT.error;
}

export async function exec(args: ExecArgs, ctx: CommandContext): Promise<number> {
  const input: ExecuteCommandCommandInput = { ...ctx.target, command: args.commandLine };
  if (args.timeout !== undefined) input.timeout = args.timeout;

  ctx.waiting.start();
  if (ctx.json) {
    const result = await ctx.client.send(new ExecuteCommandCommand(input), { abortSignal: ctx.signal });
    ctx.waiting.stop();
    const { stdout, stderr, exitCode, status, sessionId } = result;
    await ctx.out.write(`${JSON.stringify({ stdout, stderr, exitCode, status, sessionId }, null, 2)}\n`);
    return exitStatus(status, exitCode, args, ctx);
  }

  const { stream } = await ctx.client.send(new ExecuteCommandStreamCommand(input), { abortSignal: ctx.signal });
  let outcome: { status: CommandStatus; exitCode: number } | undefined;
  for await (const event of stream) {
    ctx.waiting.stop();
    if (event.contentDelta) {
      if (event.contentDelta.stdout) await ctx.out.write(event.contentDelta.stdout);
      if (event.contentDelta.stderr) await ctx.err.write(event.contentDelta.stderr);
    } else if (event.contentStop) {
      outcome = event.contentStop;
    }
  }
  ctx.waiting.stop();
  // the SDK raises TruncatedStreamError when contentStop never came, so outcome is set here
  return exitStatus(outcome!.status, outcome!.exitCode, args, ctx);
}
