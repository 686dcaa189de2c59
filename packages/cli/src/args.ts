import { parseArgs } from "node:util";
import { UsageError } from "./errors";
import { MAX_ATTEMPTS, wholeNumber } from "./numbers";
import { shellJoin } from "./shellQuote";
import { shown } from "./shown";
import { closest } from "./suggest";

export const COMMANDS = ["invoke", "exec", "stop", "shell", "ws"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Command names the official AgentCore CLIs use for ours. */
export const COMMAND_ALIASES: Record<string, CommandName> = { "stop-session": "stop" };

/** Options every command takes, before or after the command name (as with the AWS CLI). */
const GLOBAL_OPTIONS = {
  arn: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  token: { type: "string" },
  "bearer-token": { type: "string" },
  "token-file": { type: "string" },
  session: { type: "string" },
  "session-id": { type: "string", short: "s" },
  qualifier: { type: "string" },
  "account-id": { type: "string" },
  header: { type: "string", multiple: true, short: "H" },
  "timeout-ms": { type: "string" },
  "idle-timeout-ms": { type: "string" },
  "max-attempts": { type: "string" },
  "allow-insecure-http": { type: "boolean" },
  sigv4: { type: "boolean" },
  profile: { type: "string" },
  json: { type: "boolean" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Spellings from the official AgentCore CLIs (and curl's -H), accepted beside ours: alias → our option. */
const OPTION_ALIASES: Record<string, string> = { "session-id": "session", "bearer-token": "token" };

/** Short forms the official CLIs have that a one-letter parser cannot take: named in the "did you mean". */
const FOREIGN_SHORT: Record<string, string> = { "-bt": "--bearer-token", "-u": "--user-id" };

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
  shell: {
    "shell-id": { type: "string" },
  },
  ws: {},
} as const;

/** Options whose value is a number: a value that starts with '-' is reported as a bad number, not a missing value. */
const NUMERIC = new Set(["timeout-ms", "idle-timeout-ms", "max-attempts", "timeout"]);

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
  /** --allow-insecure-http: plain http to a host other than loopback (the SDK's allowInsecureHttp). */
  allowInsecureHttp: boolean;
  /** --sigv4: sign with AWS credentials (the standard chain, or --profile) instead of a bearer token. */
  sigv4: boolean;
  profile?: string;
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

export interface ShellArgs {
  command: "shell";
  globals: GlobalOptions;
  /** Reattach to (or start) the shell with this id; default a new one. */
  shellId?: string;
}

export interface WsArgs {
  command: "ws";
  globals: GlobalOptions;
}

export type ParsedArgs = { command: "help"; topic?: CommandName } | { command: "version" } | InvokeArgs | ExecArgs | StopArgs | ShellArgs | WsArgs;

function isCommand(name: string | undefined): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name ?? "");
}

/** A command name or one of its aliases, as our name. */
function commandOf(name: string | undefined): CommandName | undefined {
  if (name !== undefined && Object.prototype.hasOwnProperty.call(COMMAND_ALIASES, name)) return COMMAND_ALIASES[name];
  return isCommand(name) ? name : undefined;
}

const ALL_OPTIONS = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS.invoke, ...COMMAND_OPTIONS.exec, ...COMMAND_OPTIONS.stop, ...COMMAND_OPTIONS.shell };
type OptionName = keyof typeof ALL_OPTIONS;
const LONG_NAMES = Object.keys(ALL_OPTIONS).map((name) => `--${name}`);

function unknownCommand(name: string): UsageError {
  const guess = closest(name, [...COMMANDS, ...Object.keys(COMMAND_ALIASES), "help"]);
  return new UsageError(`unknown command '${shown(name)}'${guess ? `; did you mean '${guess}'?` : ""}`);
}

/** The option (as typed) that parseArgs found without a usable value, and the word it would have taken. */
function valueless(argv: string[]): { raw: string; name: OptionName; next?: string } | undefined {
  for (let i = 0; i < argv.length && argv[i] !== "--"; i++) {
    const raw = argv[i];
    let name: string | undefined;
    if (raw.startsWith("--")) name = raw.slice(2);
    else if (/^-[A-Za-z]$/.test(raw)) name = Object.entries(ALL_OPTIONS).find(([, def]) => "short" in def && def.short === raw[1])?.[0];
    if (name === undefined || !(name in ALL_OPTIONS) || ALL_OPTIONS[name as OptionName].type !== "string") continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("-")) return { raw, name: name as OptionName, next: next === "--" ? undefined : next };
    i++;
  }
  return undefined;
}

/** parseArgs' errors, reworded: our option names, a suggestion for a typo, and nothing unprintable echoed. */
function parseFailure(e: unknown, argv: string[]): UsageError {
  const command = commandOf(argv.find((a) => !a.startsWith("-")));
  const message = String((e as Error)?.message ?? e);
  const code = (e as { code?: string })?.code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const reported = /^Unknown option '([^']*)'/.exec(message)?.[1] ?? "";
    // parseArgs names only the first letter of an unknown short cluster: show the word as typed (-bt, not -b)
    const typed = reported.startsWith("--") ? reported : (argv.find((a) => a.startsWith(reported) && !a.startsWith("--")) ?? reported);
    const guess = reported.startsWith("--") ? closest(reported.split("=")[0], LONG_NAMES) : FOREIGN_SHORT[typed];
    const shownName = shown(reported.startsWith("--") ? reported.split("=")[0] : typed);
    if (command === "exec") {
      const hint = "put the command after --, e.g. agentcore exec -- ls -la";
      return new UsageError(guess ? `unknown option '${shownName}'; did you mean ${guess}? (or ${hint})` : `unknown option '${shownName}'; ${hint}`, command);
    }
    return new UsageError(`unknown option '${shownName}'${guess ? `; did you mean ${guess}?` : ""}`, command);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const missing = valueless(argv);
    if (missing) {
      const long = `--${missing.name}`;
      if (missing.next !== undefined && NUMERIC.has(missing.name)) return new UsageError(`${missing.raw} must be a whole number of at least 1, got '${shown(missing.next)}'`, command);
      if (missing.next === undefined) return new UsageError(`${missing.raw} needs a value`, command);
      return new UsageError(`${missing.raw} needs a value; to give one that starts with '-', write ${long}=VALUE`, command);
    }
  }
  return new UsageError(shown(message.split("\n")[0].replace(/^Option '([^']*)' /, "$1 ")), command);
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
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: ALL_OPTIONS, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    throw parseFailure(e, argv);
  }
  const { positionals, tokens = [] } = parsed;
  // values by our option names, aliases folded in, in command-line order (the last of -s/--session-id/--session wins)
  const values: Record<string, string | boolean | string[] | undefined> = {};
  const typedAs: Record<string, string> = {};
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const canonical = OPTION_ALIASES[token.name] ?? token.name;
    const def = ALL_OPTIONS[token.name as OptionName];
    // `-s=ID` means ID, as `--session-id=ID` does (parseArgs keeps the "=" of a short option's attached value)
    const value = token.inlineValue && !token.rawName.startsWith("--") && token.value?.startsWith("=") ? token.value.slice(1) : token.value;
    if (def.type === "boolean") values[canonical] = true;
    else if ("multiple" in def && def.multiple) ((values[canonical] ??= []) as string[]).push(value ?? "");
    else values[canonical] = value;
    typedAs[canonical] = token.rawName;
  }
  const str = (key: string) => values[key] as string | undefined;
  const [typedName, ...rest] = positionals;

  if (typedName === "help") {
    // `help help` is the general help
    const topic = rest[0] === "help" ? undefined : rest[0];
    if (topic !== undefined && !commandOf(topic)) throw unknownCommand(topic);
    return { command: "help", topic: commandOf(topic) };
  }
  if (values.help) return { command: "help", topic: commandOf(typedName) };
  if (values.version) return { command: "version" };
  if (typedName === undefined) throw new UsageError("no command given");
  const name = commandOf(typedName);
  if (name === undefined) throw unknownCommand(typedName);

  // An option that belongs to another command is a mistake worth reporting, not silently ignoring.
  for (const token of tokens ?? []) {
    if (token.kind !== "option" || token.name in GLOBAL_OPTIONS) continue;
    if (!(token.name in COMMAND_OPTIONS[name])) throw new UsageError(`${token.rawName} is not an option of '${name}'`, name);
  }

  const globals: GlobalOptions = {
    arn: str("arn"),
    endpoint: str("endpoint"),
    region: str("region"),
    token: str("token"),
    tokenFile: str("token-file"),
    session: str("session"),
    qualifier: str("qualifier"),
    accountId: str("account-id"),
    headers: headersOf(values.header as string[] | undefined, name),
    // any length is accepted, 2^31 ms and more included: the SDK counts long timers in full (see settings)
    timeoutMs: wholeNumber(typedAs["timeout-ms"], str("timeout-ms"), { min: 1 }, name),
    idleTimeoutMs: wholeNumber(typedAs["idle-timeout-ms"], str("idle-timeout-ms"), { min: 1 }, name),
    maxAttempts: wholeNumber(typedAs["max-attempts"], str("max-attempts"), { min: 1, max: MAX_ATTEMPTS }, name),
    allowInsecureHttp: values["allow-insecure-http"] === true,
    sigv4: values.sigv4 === true,
    profile: str("profile"),
    json: values.json === true,
    debug: values.debug === true,
  };
  if (globals.token !== undefined && globals.tokenFile !== undefined) throw new UsageError(`give ${typedAs.token} or --token-file, not both`, name);
  if (globals.sigv4 && (globals.token !== undefined || globals.tokenFile !== undefined)) {
    throw new UsageError(`give --sigv4 or a bearer token (${typedAs.token ?? "--token-file"}), not both: a runtime accepts one method`, name);
  }
  if (globals.profile !== undefined && !globals.sigv4) throw new UsageError("--profile names AWS credentials: it needs --sigv4", name);

  switch (name) {
    case "invoke": {
      if (rest.length === 0) throw new UsageError("invoke needs a PAYLOAD argument, or - to read it from stdin", name);
      if (rest.length > 1) throw new UsageError(`invoke takes one PAYLOAD argument, got ${rest.length}; quote the payload`, name);
      return {
        command: "invoke",
        globals,
        payload: rest[0],
        stream: values.stream === true,
        contentType: str("content-type"),
        accept: str("accept"),
        userId: str("user-id"),
      };
    }
    case "exec": {
      if (rest.length === 0) throw new UsageError("exec needs a COMMAND, e.g. agentcore exec -- ls -la", name);
      return {
        command: "exec",
        globals,
        // One argument is a shell command line as typed; several are an argv whose words must arrive intact.
        commandLine: rest.length === 1 ? rest[0] : shellJoin(rest),
        timeout: wholeNumber("--timeout", str("timeout"), { min: 1, max: 3600 }, name),
      };
    }
    case "stop": {
      if (rest.length > 0) throw new UsageError(`stop takes no arguments, got '${shown(rest[0])}'; name the session with --session ID`, name);
      if (globals.session === undefined) throw new UsageError("stop needs --session ID", name);
      return { command: "stop", globals, clientToken: str("client-token") };
    }
    case "shell": {
      if (rest.length > 0) throw new UsageError(`shell takes no arguments, got '${shown(rest[0])}'; pipe commands into its stdin`, name);
      const shellId = str("shell-id");
      if (shellId !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/.test(shellId)) {
        throw new UsageError("--shell-id must be 1-128 letters, digits, '_' or '-', starting with a letter or digit", name);
      }
      return { command: "shell", globals, shellId };
    }
    case "ws": {
      if (rest.length > 0) throw new UsageError(`ws takes no arguments, got '${shown(rest[0])}'; messages are read from stdin, one per line`, name);
      return { command: "ws", globals };
    }
  }
}
