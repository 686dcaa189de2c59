import type { CommandName } from "./args";
import { shown } from "./shown";

/** A command line the CLI cannot act on: exit 2 with a short usage line (like most Unix tools and the AWS CLI's argument errors). */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

/** A failure the CLI itself detects before sending (no token, unreadable file): exit 1 like any other error. */
export class CliError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** GNU timeout's status for a command that ran out of time. */
  timedOut: 124,
  sighup: 129,
  sigint: 130,
  sigpipe: 141,
  sigterm: 143,
} as const;

/** Errors become one line: a multi-line message (an HTML error page, say) must not flood the terminal. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  requestId?: unknown;
  $metadata?: { requestId?: unknown };
  cause?: unknown;
}

/** `agentcore: <name>: <message> (request id …)`, the request id being what a support case needs. */
export function errorLine(error: unknown): string {
  const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as ErrorLike;
  // a server's or an agent's text: one line, and nothing a terminal would act on (escape sequences shown, not sent)
  const clean = (text: string) => shown(oneLine(text));
  const name = typeof e.name === "string" && e.name ? clean(e.name) : "Error";
  let message = typeof e.message === "string" ? clean(e.message) : "";
  // the SDK names its option; a shell user needs the flag
  if (name === "InsecureEndpointError") message = message.replace("allowInsecureHttp: true", "--allow-insecure-http");
  // the CLI uses the SDK's default limits and has no option to raise them: no advice it cannot follow
  if (name === "ResponseLimitExceededError") message = message.replace(/ Raise \w+ on the client or per call if this is expected$/, " (the CLI's limit; the SDK can raise it)");
  const requestId = typeof e.requestId === "string" ? e.requestId : typeof e.$metadata?.requestId === "string" ? e.$metadata.requestId : undefined;
  return `agentcore: ${name}: ${message}${requestId ? ` (request id ${clean(requestId)})` : ""}`;
}

/** The `cause` chain, for --debug: a NetworkError's cause says ECONNREFUSED or a TLS failure. */
export function causeLines(error: unknown): string[] {
  const lines: string[] = [];
  let cause = (error as ErrorLike | undefined)?.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 5; depth++) {
    lines.push(errorLine(cause).replace(/^agentcore: /, "agentcore: caused by "));
    cause = (cause as ErrorLike).cause;
  }
  return lines;
}
