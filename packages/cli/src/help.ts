import type { CommandName } from "./args";

export const USAGE_LINE = "usage: agentcore [options] <invoke|exec|stop> ...   (agentcore --help for details)";

const COMMAND_USAGE: Record<CommandName, string> = {
  invoke: "usage: agentcore invoke [--stream] [--json] [options] (PAYLOAD | -)",
  exec: "usage: agentcore exec [--timeout SECONDS] [--json] [options] -- COMMAND [ARG...]",
  stop: "usage: agentcore stop --session ID [options]",
};

export function usageLine(command?: CommandName): string {
  return command ? `${COMMAND_USAGE[command]}   (agentcore help ${command} for details)` : USAGE_LINE;
}

const GLOBAL_HELP = `Options (any command, before or after its name):
  --arn ARN                runtime ARN, or a runtime id with --account-id   [env AGENT_ARN]
  --token TOKEN            OAuth/JWT bearer token (visible in ps; prefer the env variable)   [env AGENTCORE_TOKEN]
                           alias --bearer-token
  --token-file FILE        read the bearer token from FILE
  --endpoint URL           data-plane base URL   [env BEDROCK_AGENTCORE_DP_ENDPOINT; default from the ARN's region]
  --allow-insecure-http    allow a plain http:// --endpoint on a host other than loopback (e.g. an emulator
                           in another container); the token crosses the network unencrypted, with a warning
  --region REGION          region for a runtime id without an ARN   [env AWS_REGION, AWS_DEFAULT_REGION]
  -s, --session-id, --session ID
                           runtime session id, 33-256 characters (default: a new UUID, printed on
                           stderr after invoke so the next call can reuse it)
  --qualifier NAME         runtime endpoint name (default: DEFAULT)
  --account-id ID          account that owns the runtime
  -H, --header 'NAME: VALUE'
                           extra request header, e.g. X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant (repeatable)
  --timeout-ms MS          fail when the whole call takes longer than MS milliseconds
  --idle-timeout-ms MS     fail when the response is silent for MS milliseconds (default 300000)
                           MS: digits only, no upper limit (2^31 ms and more wait that long, never fire early)
  --max-attempts N         attempts including retries, 1-100 (default 3)
  --json                   print the result as JSON
  --debug                  log to stderr as JSON records {level,time,msg,...}: each request, response,
                           retry and the session id (tokens are redacted); same as AGENTCORE_LOG=debug
  -h, --help               show help
  --version                print the version`;

const ENV_HELP = `Environment: AGENT_ARN, AGENTCORE_TOKEN, BEDROCK_AGENTCORE_DP_ENDPOINT, AWS_REGION as above;
AGENTCORE_LOG=debug|info|warn|error structured log records on stderr at that level and above (off by default);
NO_COLOR or TERM=dumb: no spinner (it only shows on a terminal, while waiting for the first byte).`;

const EXIT_HELP = `Exit status: 0 success, 1 error (one line on stderr: agentcore: <ErrorName>: <message>),
2 usage error, 130 interrupted (Ctrl-C), 143 terminated, 141 stdout closed early;
exec: the command's own status, 124 when it timed out.`;

const HELP: Record<CommandName | "main", string> = {
  main: `Usage: agentcore [options] <command> ...

A command-line client for Amazon Bedrock AgentCore Runtime, with an OAuth/JWT bearer token.

Commands:
  invoke (PAYLOAD | -)       send PAYLOAD to the agent and print its reply
  exec -- COMMAND [ARG...]   run a shell command in the agent's container, streaming its output
  stop --session ID          stop a runtime session (alias: stop-session)
  help [COMMAND]             show help for a command

${GLOBAL_HELP}

${ENV_HELP}

${EXIT_HELP}
`,
  invoke: `${COMMAND_USAGE.invoke}

Sends PAYLOAD to the agent and prints its reply text to stdout. PAYLOAD is sent as given: as application/json
when it parses as JSON, else as text/plain (bytes that are not UTF-8 as application/octet-stream). "-" reads
PAYLOAD from stdin.

  --stream                 print each server-sent event's text as it arrives
  --json                   print the whole result as JSON (with --stream: one JSON line per event,
                           {data, event?, id?, text, sessionId})
  --content-type TYPE      Content-Type of the payload (default: detected as above)
  --accept TYPES           Accept header (default: application/json, text/event-stream)
  --user-id ID             X-Amzn-Bedrock-AgentCore-Runtime-User-Id

${GLOBAL_HELP}

${EXIT_HELP}
`,
  exec: `${COMMAND_USAGE.exec}

Runs COMMAND with bash in the agent's container; its stdout and stderr are copied to this process's stdout and
stderr as they arrive, and agentcore exits with the command's exit status. A single COMMAND argument is a
shell command line (pipes, redirections); several arguments are quoted so each arrives as one word.

  --timeout SECONDS        stop the command after SECONDS, 1-3600 (service default 300); exits 124
  --json                   wait, then print {stdout, stderr, exitCode, status, sessionId}

${GLOBAL_HELP}

${EXIT_HELP}
`,
  stop: `${COMMAND_USAGE.stop}

Stops the runtime session, ending its running invocations and commands. Prints nothing on success.
"agentcore stop-session --session-id ID" (the official CLI's spelling) is the same command.

  --client-token TOKEN     idempotency token for the request
  --json                   print {statusCode, sessionId}

${GLOBAL_HELP}

${EXIT_HELP}
`,
};

export function helpText(topic?: CommandName): string {
  return HELP[topic ?? "main"];
}
