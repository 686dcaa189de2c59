import type { CommandName } from "./args";

export const USAGE_LINE = "usage: agentcore [options] <invoke|exec|stop|shell|ws> ...   (agentcore --help for details)";

const COMMAND_USAGE: Record<CommandName, string> = {
  invoke: "usage: agentcore invoke [--stream] [--json] [options] (PAYLOAD | -)",
  exec: "usage: agentcore exec [--timeout SECONDS] [--json] [options] -- COMMAND [ARG...]",
  stop: "usage: agentcore stop --session ID [options]",
  shell: "usage: agentcore shell [--session-id ID] [--shell-id ID] [options]",
  ws: "usage: agentcore ws [--json] [options] < MESSAGES",
};

export function usageLine(command?: CommandName): string {
  return command ? `${COMMAND_USAGE[command]}   (agentcore help ${command} for details)` : USAGE_LINE;
}

const GLOBAL_HELP = `Options (any command, before or after its name):
  --arn ARN                runtime ARN, or a runtime id with --account-id   [env AGENT_ARN]
  --token TOKEN            OAuth/JWT bearer token (visible in ps; prefer the env variable)   [env AGENTCORE_TOKEN]
                           alias --bearer-token
  --token-file FILE        read the bearer token from FILE
  --sigv4                  IAM runtimes: sign with AWS SigV4 instead of a bearer token, credentials from
                           the AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, shared files, SSO, …)
  --profile NAME           with --sigv4: the AWS profile to take credentials from
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
exec: the command's own status, 124 when it timed out; shell: the shell's own status (128+N when killed by
signal N), 0 after a detach.`;

const HELP: Record<CommandName | "main", string> = {
  main: `Usage: agentcore [options] <command> ...

A command-line client for Amazon Bedrock AgentCore Runtime, with an OAuth/JWT bearer token.

Commands:
  invoke (PAYLOAD | -)       send PAYLOAD to the agent and print its reply
  exec -- COMMAND [ARG...]   run a shell command in the agent's container, streaming its output
  stop --session ID          stop a runtime session (alias: stop-session)
  shell [--shell-id ID]      an interactive shell in the agent's container (Ctrl+] detaches)
  ws                         send stdin lines to the agent's WebSocket, print what it sends back
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
  shell: `${COMMAND_USAGE.shell}

Opens an interactive shell (bash on a pseudo-terminal) in the runtime session's container over a WebSocket.
On a terminal the keyboard goes straight to the remote shell (raw mode: Ctrl+C interrupts the remote command),
the window size follows yours, and Ctrl+] detaches: the shell keeps running and
"agentcore shell --session-id ID --shell-id ID" reattaches, replaying its recent output. Without a terminal,
stdin and stdout are copied (a pty echoes its input and prints prompts), end of input ends the shell, so a
script can pipe commands in. Exits with the shell's exit status. A dropped connection is reconnected (5 tries).

  --shell-id ID            shell to start or reattach: 1-128 of [A-Za-z0-9_-] (default: a new id, printed
                           on stderr with the session id)

${GLOBAL_HELP}

${EXIT_HELP}
`,
  ws: `${COMMAND_USAGE.ws}

Connects to the agent's WebSocket (/ws), sends each line of stdin as a text message (at most 200 in any second;
the service closes connections past 250) and prints each message received: text followed by a newline,
binary as raw bytes. After stdin ends, the connection is closed once the agent has been quiet for 2 s
(--idle-timeout-ms MS sets that wait), or when the agent closes it. An abnormal close is an error
(agentcore: WebSocketClosedError: … 1011 …, exit 1).

  --json                   print one JSON line per message: {"type":"text","data":…} or
                           {"type":"binary","base64":…}

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
