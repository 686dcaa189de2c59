import { RuntimeClient } from "@agentcore-runtime/client";
import { getSignedWebSocketConnection, sigv4Auth } from "@agentcore-runtime/client/sigv4";
import { version } from "../package.json";
import { parseCli, type ParsedArgs } from "./args";
import { exec } from "./commands/exec";
import { invoke } from "./commands/invoke";
import { shell } from "./commands/shell";
import { ws } from "./commands/ws";
import { stop } from "./commands/stop";
import type { CommandContext } from "./context";
import { causeLines, errorLine, EXIT, UsageError } from "./errors";
import { helpText, usageLine } from "./help";
import { installInterrupts, type Interrupts } from "./interrupt";
import { logLevel, structuredLogger, toRecord } from "./log";
import { Messages, Sink } from "./output";
import { candidateSecrets, redactor } from "./redact";
import { resolveSettings } from "./settings";
import { NO_SPINNER, Spinner, wantSpinner, type SpinnerStream, type Waiting } from "./spinner";

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
  // the reader going away ends the command with 141 (as SIGPIPE would); any other write failure is an error
  const out = new Sink(io.stdout, (e) => interrupts?.abort(e?.code === "EPIPE" ? EXIT.sigpipe : EXIT.error));
  // a broken stderr too: `exec`'s command writes its stderr there (a reader that left must not let it run on)
  const err = new Sink(io.stderr, (e) => e?.code === "EPIPE" && interrupts?.abort(EXIT.sigpipe));
  const messages = new Messages(err, secrets.scrub);
  let client: RuntimeClient | undefined;
  let args: ParsedArgs | undefined;
  let code: number;
  let debug = false;
  let waiting: Waiting = NO_SPINNER;
  try {
    args = parseCli(argv);
    if (args.command === "help") {
      await out.write(helpText(args.topic));
      code = EXIT.ok;
    } else if (args.command === "version") {
      await out.write(`agentcore/${version} ${runtimeVersion()}\n`);
      code = EXIT.ok;
    } else {
      const { globals } = args;
      const { level, warning } = logLevel(globals.debug, io.env.AGENTCORE_LOG);
      if (warning) await messages.line(warning);
      debug = level === "debug";
      // structured records (level, time, msg, fields) that pino-style tools can index, built from the SDK's lines
      // --allow-insecure-http alone still shows the SDK's warning that the token crosses the network in clear
      const threshold = level ?? (globals.allowInsecureHttp ? "warn" : undefined);
      const logger = threshold ? structuredLogger(threshold, (record) => void messages.record(record)) : undefined;
      // (--allow-insecure-http alone: its warning only; a failure stays the one plain error line, not a record too)
      if (logger && level === undefined) logger.error = () => undefined;
      const settings = resolveSettings(args.command, globals, io.env, logger, debug);
      secrets.add(settings.token);
      if (debug) {
        const note = (msg: string, fields: Record<string, unknown>) => messages.record(toRecord("debug", [fields, msg]));
        if (settings.sigv4) await note(`runtime ${settings.target.runtimeArn}, SigV4 with AWS credentials from the default chain${settings.sigv4.profile === undefined ? "" : ` (profile ${settings.sigv4.profile})`}`, { runtimeArn: settings.target.runtimeArn, auth: "sigv4", profile: settings.sigv4.profile });
        else await note(`runtime ${settings.target.runtimeArn}, token from ${settings.tokenSource}`, { runtimeArn: settings.target.runtimeArn, tokenSource: settings.tokenSource });
        await note(`session-id ${settings.target.sessionId}`, { sessionId: settings.target.sessionId, sessionGenerated: globals.session === undefined });
      }
      interrupts = installInterrupts(io.exit);
      const stderr = io.stderr as NodeJS.WritableStream & SpinnerStream;
      // no spinner while anything logs to stderr (--allow-insecure-http logs its warning too)
      waiting = wantSpinner(stderr, io.env, threshold !== undefined) ? new Spinner(stderr) : NO_SPINNER;
      client = new RuntimeClient(settings.config);
      // --sigv4: every command's request signed with the AWS credentials instead of a bearer token
      if (settings.sigv4) client.middlewareStack.use(sigv4Auth({ credentials: settings.sigv4.credentials }));
      const ctx: CommandContext = {
        client,
        target: settings.target,
        json: globals.json,
        out,
        err,
        messages,
        signal: interrupts.signal,
        stdin: io.stdin,
        stdout: io.stdout,
        waiting,
        sessionGenerated: globals.session === undefined,
      };
      if (settings.sigv4) {
        const { credentials } = settings.sigv4;
        const { endpoint, region, allowInsecureHttp } = settings.config;
        const { bearerToken: _none, ...target } = settings.target;
        ctx.connection = (t) =>
          getSignedWebSocketConnection(
            { ...target, sessionId: t.sessionId ?? target.sessionId, ...(t.shellId !== undefined ? { shellId: t.shellId } : {}) },
            { credentials, endpoint, region, allowInsecureHttp },
          );
      }
      if (args.command === "invoke") code = await invoke(args, ctx);
      else if (args.command === "exec") code = await exec(args, ctx);
      else if (args.command === "shell") code = await shell(args, ctx);
      else if (args.command === "ws") code = await ws(args, ctx);
      else code = await stop(args, ctx);
      code = interrupts.exitCode() ?? code;
    }
  } catch (e) {
    waiting.stop();
    const interrupted = interrupts?.exitCode();
    if (interrupted !== undefined) {
      // the shell reports ^C itself; an AbortError line would only be noise
      code = interrupted;
      if (interrupted !== EXIT.sigpipe) await out.finishLine();
      if (debug) await messages.record(toRecord("debug", [{ event: "interrupted", exitCode: interrupted }, `interrupted (${errorLine(e).replace(/^agentcore: /, "")})`]));
    } else if (e instanceof UsageError) {
      await messages.line(`agentcore: ${e.message.replace(/\s*\n\s*/g, " ")}`);
      await messages.line(usageLine(e.command));
      code = EXIT.usage;
    } else {
      await out.finishLine();
      await messages.line(errorLine(e));
      if (debug) for (const line of causeLines(e)) await messages.line(line);
      code = EXIT.error;
    }
  } finally {
    waiting.stop();
    client?.destroy();
    interrupts?.dispose();
  }
  if (out.failure) {
    await messages.line(`agentcore: cannot write to stdout: ${out.failure.code ?? out.failure.message}`);
    code = EXIT.error;
  }
  await out.flush();
  await err.flush();
  return code;
}

/**
 * The runtime this process runs in, as `name/version`: Bun and Deno report a Node version of their own
 * compatibility layer in `process.version` (v26 in Bun 1.4), which says nothing about what actually runs the CLI.
 */
function runtimeVersion(): string {
  const g = globalThis as { Bun?: { version?: unknown }; Deno?: { version?: { deno?: unknown } } };
  if (typeof g.Bun?.version === "string") return `bun/${g.Bun.version}`;
  if (typeof g.Deno?.version?.deno === "string") return `deno/${g.Deno.version.deno}`;
  return `node/${process.version}`;
}

