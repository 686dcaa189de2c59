import { RuntimeClient, type Logger } from "@agentcore-runtime/client";
import { version } from "../package.json";
import { parseCli, type ParsedArgs } from "./args";
import { exec } from "./commands/exec";
import { invoke } from "./commands/invoke";
import { stop } from "./commands/stop";
import type { CommandContext } from "./context";
import { causeLines, errorLine, EXIT, UsageError } from "./errors";
import { helpText, usageLine } from "./help";
import { installInterrupts, type Interrupts } from "./interrupt";
import { Messages, Sink } from "./output";
import { candidateSecrets, redactor } from "./redact";
import { resolveSettings } from "./settings";

export interface Io {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Ends the process; used when Ctrl-C is pressed twice or an aborted request does not unwind. */
  exit: (code: number) => void;
}

/** Runs one command line and resolves with the exit status once stdout and stderr are flushed. */
export async function main(argv: string[], io: Io): Promise<number> {
  let interrupts: Interrupts | undefined;
  // the literal token, whatever its shape, and anything JWT-shaped
  const secrets = redactor();
  for (const secret of candidateSecrets(argv, io.env)) secrets.add(secret);
  const out = new Sink(io.stdout, () => interrupts?.abort(EXIT.sigpipe));
  const err = new Sink(io.stderr);
  const messages = new Messages(err, secrets.scrub);
  let client: RuntimeClient | undefined;
  let args: ParsedArgs | undefined;
  let code: number;
  try {
    args = parseCli(argv);
    if (args.command === "help") {
      await out.write(helpText(args.topic));
      code = EXIT.ok;
    } else if (args.command === "version") {
      await out.write(`agentcore/${version} node/${process.version}\n`);
      code = EXIT.ok;
    } else {
      const { globals } = args;
      const log = (line: string) => void messages.line(line);
      const logger: Logger | undefined = globals.debug ? { debug: log, info: log, warn: log, error: log } : undefined;
      const settings = resolveSettings(args.command, globals, io.env, logger);
      secrets.add(settings.token);
      if (globals.debug) {
        await messages.line(`agentcore: runtime ${settings.target.runtimeArn}, token from ${settings.tokenSource}`);
        await messages.line(`agentcore: session-id ${settings.target.sessionId}`);
      }
      interrupts = installInterrupts(io.exit);
      client = new RuntimeClient(settings.config);
      const ctx: CommandContext = {
        client,
        target: settings.target,
        json: globals.json,
        out,
        err,
        messages,
        signal: interrupts.signal,
        stdin: io.stdin,
      };
      if (args.command === "invoke") code = await invoke(args, ctx);
      else if (args.command === "exec") code = await exec(args, ctx);
      else code = await stop(args, ctx);
      code = interrupts.exitCode() ?? code;
    }
  } catch (e) {
    const interrupted = interrupts?.exitCode();
    if (interrupted !== undefined) {
      // the shell reports ^C itself; an AbortError line would only be noise
      code = interrupted;
      if (interrupted !== EXIT.sigpipe) await out.finishLine();
      if (args && "globals" in args && args.globals.debug) await messages.line(`agentcore: interrupted (${errorLine(e).replace(/^agentcore: /, "")})`);
    } else if (e instanceof UsageError) {
      await messages.line(`agentcore: ${e.message.replace(/\s*\n\s*/g, " ")}`);
      await messages.line(usageLine(e.command));
      code = EXIT.usage;
    } else {
      await out.finishLine();
      await messages.line(errorLine(e));
      if (args && "globals" in args && args.globals.debug) for (const line of causeLines(e)) await messages.line(line);
      code = EXIT.error;
    }
  } finally {
    client?.destroy();
    interrupts?.dispose();
  }
  await out.flush();
  await err.flush();
  return code;
}
