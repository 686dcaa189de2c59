import { parseArgs } from "node:util";
import { UsageError } from "./errors";
import { shellJoin } from "./shellQuote";

export const COMMANDS = ["invoke", "exec", "stop"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Options every command takes, before or after the command name (as with the AWS CLI). */
const GLOBAL_OPTIONS = {
  arn: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  token: { type: "string" },
  "token-file": { type: "string" },
  session: { type: "string" },
  qualifier: { type: "string" },
  "account-id": { type: "string" },
  header: { type: "string", multiple: true },
  "timeout-ms": { type: "string" },
  "idle-timeout-ms": { type: "string" },
  "max-attempts": { type: "string" },
  json: { type: "boolean" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

const COMMAND_OPTIONS = {
  invoke: {
    stream: { type: "boolean" },
    "content-type": { type: "string" },
    accept: { type: "string" },
    "user-id": { type: "string" },
  },
  exec: {
    timeout: { type: "string" },
  },
  stop: {
    "client-token": { type: "string" },
  },
} as const;

export interface GlobalOptions {
  arn?: string;
  endpoint?: string;
  region?: string;
  token?: string;
  tokenFile?: string;
  session?: string;
  qualifier?: string;
  accountId?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  maxAttempts?: number;
  json: boolean;
  debug: boolean;
}

export interface InvokeArgs {
  command: "invoke";
  globals: GlobalOptions;
  /** The PAYLOAD argument; `-` means stdin. */
  payload: string;
  stream: boolean;
  contentType?: string;
  accept?: string;
  userId?: string;
}

export interface ExecArgs {
  command: "exec";
  globals: GlobalOptions;
  /** The shell command line sent to the service. */
  commandLine: string;
  timeout?: number;
}

export interface StopArgs {
  command: "stop";
  globals: GlobalOptions;
  clientToken?: string;
}

export type ParsedArgs = { command: "help"; topic?: CommandName } | { command: "version" } | InvokeArgs | ExecArgs | StopArgs;

function isCommand(name: string | undefined): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name ?? "");
}

/** A whole number in [min, max]; `name` is the option as typed, for the message. */
function integer(name: string, value: string | undefined, min: number, command?: CommandName): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new UsageError(`${name} must be a whole number of at least ${min}, got '${value}'`, command);
  return Number(value);
}

/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The usage error for a malformed --header. The value may be a credential (`Authorization Bearer …`, a bare
 * key), so only the would-be name is shown: what precedes the first ':' or whitespace, and only when something
 * follows it and it is a plausible header name. Nothing else of the argument is ever echoed.
 */
function badHeader(value: string, command?: CommandName): UsageError {
  const name = /^\s*([^:\s]*)[:\s]/.exec(value)?.[1] ?? "";
  const got = TOKEN.test(name) ? `, got '${name} …'` : "";
  return new UsageError(`--header must look like 'Name: value'${got} (value not shown)`, command);
}

function headersOf(values: string[] | undefined, command?: CommandName): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(":");
    const name = colon > 0 ? value.slice(0, colon).trim() : "";
    if (!name || !TOKEN.test(name)) throw badHeader(value, command);
    headers[name] = value.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Parses the command line into what to do; throws UsageError for anything malformed. Environment defaults
 * (AGENT_ARN, AGENTCORE_TOKEN) are applied later, so this stays a pure function of argv.
 */
export function parseCli(argv: string[]): ParsedArgs {
  const all = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS.invoke, ...COMMAND_OPTIONS.exec, ...COMMAND_OPTIONS.stop };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: all, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    const first = argv.find((a) => !a.startsWith("-"));
    const command = isCommand(first) ? first : undefined;
    let message = (e as Error).message;
    const unknown = /^Unknown option '([^']*)'/.exec(message);
    if (unknown && command === "exec") message = `unknown option '${unknown[1]}'; put the command after --, e.g. agentcore exec -- ls -la`;
    else if (unknown) message = `unknown option '${unknown[1]}'`;
    throw new UsageError(message, command);
  }
  const { values, positionals, tokens } = parsed;
  const [name, ...rest] = positionals;

  if (name === "help") {
    const topic = rest[0];
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command '${topic}'`);
    return { command: "help", topic };
  }
  if (values.help) return { command: "help", topic: isCommand(name) ? name : undefined };
  if (values.version) return { command: "version" };
  if (name === undefined) throw new UsageError("no command given");
  if (!isCommand(name)) throw new UsageError(`unknown command '${name}'`);

  // An option that belongs to another command is a mistake worth reporting, not silently ignoring.
  for (const token of tokens ?? []) {
    if (token.kind !== "option" || token.name in GLOBAL_OPTIONS) continue;
    if (!(token.name in COMMAND_OPTIONS[name])) throw new UsageError(`${token.rawName} is not an option of '${name}'`, name);
  }

  const globals: GlobalOptions = {
    arn: values.arn,
    endpoint: values.endpoint,
    region: values.region,
    token: values.token,
    tokenFile: values["token-file"],
    session: values.session,
    qualifier: values.qualifier,
    accountId: values["account-id"],
    headers: headersOf(values.header, name),
    timeoutMs: integer("--timeout-ms", values["timeout-ms"], 1, name),
    idleTimeoutMs: integer("--idle-timeout-ms", values["idle-timeout-ms"], 1, name),
    maxAttempts: integer("--max-attempts", values["max-attempts"], 1, name),
    json: values.json ?? false,
    debug: values.debug ?? false,
  };
  if (globals.token !== undefined && globals.tokenFile !== undefined) throw new UsageError("give --token or --token-file, not both", name);

  switch (name) {
    case "invoke": {
      if (rest.length === 0) throw new UsageError("invoke needs a PAYLOAD argument, or - to read it from stdin", name);
      if (rest.length > 1) throw new UsageError(`invoke takes one PAYLOAD argument, got ${rest.length}; quote the payload`, name);
      return {
        command: "invoke",
        globals,
        payload: rest[0],
        stream: values.stream ?? false,
        contentType: values["content-type"],
        accept: values.accept,
        userId: values["user-id"],
      };
    }
    case "exec": {
      if (rest.length === 0) throw new UsageError("exec needs a COMMAND, e.g. agentcore exec -- ls -la", name);
      return {
        command: "exec",
        globals,
        // One argument is a shell command line as typed; several are an argv whose words must arrive intact.
        commandLine: rest.length === 1 ? rest[0] : shellJoin(rest),
        timeout: integer("--timeout", values.timeout, 1, name),
      };
    }
    case "stop": {
      if (rest.length > 0) throw new UsageError(`stop takes no arguments, got '${rest[0]}'; name the session with --session ID`, name);
      if (globals.session === undefined) throw new UsageError("stop needs --session ID", name);
      return { command: "stop", globals, clientToken: values["client-token"] };
    }
  }
}
