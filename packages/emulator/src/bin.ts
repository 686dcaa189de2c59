#!/usr/bin/env node
import { parseArgs } from "node:util";
import pkg from "../package.json";
import { parseFault } from "./faults";
import { checkHost } from "./hosts";
import { DEFAULT_MAX_CONCURRENT_BODIES, DEFAULT_MAX_SESSIONS, MAX_SESSION_SECONDS, RUNTIME_ID_PATTERN, startEmulator } from "./server";
import type { FaultSpec } from "./types";

const USAGE = `Usage: agentcore-emulator [options]

A local Amazon Bedrock AgentCore Runtime data-plane emulator. Prints one JSON line
{"url", "runtimeArn", "token"} to stdout, then logs each request to stderr.

Routes: POST /runtimes/{arn}/invocations | commands | stopruntimesession, and WebSockets on
/runtimes/{arn}/ws (echo, or the --agent module's "websocket" export) and /runtimes/{arn}/ws/shells
(interactive shells: bash on a pty with --exec, else a scripted shell).

Options:
  --host HOST              address or host name to bind (default 127.0.0.1: loopback only)
  --port PORT              port 0-65535, 0 picks a free one (default 8787)
  --exec                   run commands for real with bash, as your user, in per-session folders.
                           The folders (mode 0700) are working directories, NOT isolation: commands
                           can read and change anything your user can. They get only PATH, HOME,
                           USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TERM, TZ, TMPDIR from the
                           emulator's environment. Prints a warning on stderr. Shells on
                           /ws/shells run bash -i on a pty (util-linux script) in the same folders.
  --allow-remote-exec      allow --exec on a non-loopback --host (anyone who reaches it with a
                           valid token runs shell commands as you)
  --pass-env NAME          also pass this environment variable to --exec commands (repeatable)
  --allowed-origin ORIGIN  browser origin allowed to call (repeatable): e.g. http://localhost:3000,
                           "loopback" (localhost, 127.0.0.0/8, [::1], any port), "null" or "*"
                           (default: loopback); requests from other origins get 403
  --allow-private-network  answer Chrome's private-network preflight (Access-Control-Allow-Private-Network)
  --allowed-host NAME      extra host name accepted in the Host header (repeatable; the DNS-rebinding
                           guard accepts the bound address, --host and localhost on loopback)
  --max-sessions N         most live sessions, new ones beyond get 402 (default ${DEFAULT_MAX_SESSIONS})
  --max-concurrent-bodies N
                           most request bodies in memory at once, more get 429 (default ${DEFAULT_MAX_CONCURRENT_BODIES})
  --agent FILE             module exporting the agent handler (default export or "handler")
                           and/or a WebSocket handler ("websocket")
  --upstream URL           proxy invocations to an agent container (POST /invocations)
  --region REGION          region in the runtime ARN (default us-east-1)
  --account-id ID          account in the runtime ARN (default 123456789012)
  --runtime-id ID          runtime id, name-suffix as the service makes them: a letter, up to 99
                           letters/digits/_, "-", 10 letters/digits (default emulator_agent-abcdefghij)
  --idle-timeout SECONDS   session idle timeout, > 0 and <= 28800 (default 900)
  --max-lifetime SECONDS   session max lifetime, > 0 and <= 28800 (default 28800)
  --token-ttl SECONDS      lifetime of the printed token, whole seconds >= 1 (default 43200)
  --auth MODE              how the runtime authenticates: jwt (default, bearer tokens) or sigv4 (IAM:
                           AWS SigV4 checked against generated test credentials, which the JSON line
                           then carries as "credentials": {"accessKeyId", "secretAccessKey"})
  --sigv4-runtime-id ID    also serve a second runtime, with this id, that takes SigV4 (one runtime of
                           each kind); its ARN is "sigv4RuntimeArn" in the JSON line
  --print-env              print the settings as shell export lines instead of the JSON line
                           (BEDROCK_AGENTCORE_DP_ENDPOINT, AGENT_ARN, AGENTCORE_TOKEN)
  --write-env PATH         also write those settings as KEY=value lines to PATH (mode 0600),
                           for \`set -a; . PATH\`, docker --env-file or a dotenv loader
  --fault SPEC             configured fault, header syntax e.g. "throttle; times=2" (repeatable)
  -h, --help               show this help
  -v, --version            print the version

Usage errors exit with status 2.
`;

/** A usage error: message and usage on stderr, exit status 2. */
function fail(message: string): never {
  process.stderr.write(`agentcore-emulator: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** Decimal digits only: no sign, spaces, exponent, hex (`0x1F90`) or fraction. */
const WHOLE = /^\d+$/;
/** Decimal seconds, fractions allowed: `5`, `0.5`, `.5`. */
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

function whole(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!WHOLE.test(value) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

/** Session timeouts: seconds (fractions allowed), greater than 0 and at most 28800, the service's maximum. */
function sessionSeconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n <= 0 || n > MAX_SESSION_SECONDS) {
    fail(`--${name} must be a number of seconds greater than 0 and at most ${MAX_SESSION_SECONDS}, got '${value}'`);
  }
  return n;
}

/** Longest --token-ttl: ten years, in seconds. */
const MAX_TOKEN_TTL = 10 * 365 * 24 * 3600;

function tokenTtl(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!WHOLE.test(value) || n < 1 || n > MAX_TOKEN_TTL) {
    fail(`--token-ttl must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL}, got '${value}'`);
  }
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: "string" },
        port: { type: "string" },
        exec: { type: "boolean" },
        "allow-remote-exec": { type: "boolean" },
        "pass-env": { type: "string", multiple: true },
        "allowed-origin": { type: "string", multiple: true },
        "allow-private-network": { type: "boolean" },
        "allowed-host": { type: "string", multiple: true },
        "max-sessions": { type: "string" },
        "max-concurrent-bodies": { type: "string" },
        agent: { type: "string" },
        upstream: { type: "string" },
        region: { type: "string" },
        "account-id": { type: "string" },
        "runtime-id": { type: "string" },
        auth: { type: "string" },
        "sigv4-runtime-id": { type: "string" },
        "idle-timeout": { type: "string" },
        "max-lifetime": { type: "string" },
        "token-ttl": { type: "string" },
        "print-env": { type: "boolean" },
        "write-env": { type: "string" },
        fault: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  if (values.agent && values.upstream) fail("--agent and --upstream are exclusive");
  if (values.host !== undefined) {
    try {
      checkHost(values.host);
    } catch {
      fail(`--host must be an IP address or a host name, got '${values.host}'`);
    }
  }
  const runtimeId = values["runtime-id"];
  if (runtimeId !== undefined && !RUNTIME_ID_PATTERN.test(runtimeId)) {
    fail(`--runtime-id must match ${RUNTIME_ID_PATTERN.source} (e.g. my_agent-abcdefghij), got '${runtimeId}'`);
  }
  let faults: FaultSpec[] = [];
  try {
    faults = (values.fault ?? []).map(parseFault);
  } catch (err) {
    fail((err as Error).message);
  }
  const port = whole("port", values.port, 0, 65535) ?? 8787;
  const maxSessions = whole("max-sessions", values["max-sessions"], 1, Number.MAX_SAFE_INTEGER);
  const maxConcurrentBodies = whole("max-concurrent-bodies", values["max-concurrent-bodies"], 1, Number.MAX_SAFE_INTEGER);
  const idleTimeout = sessionSeconds("idle-timeout", values["idle-timeout"]);
  const maxLifetime = sessionSeconds("max-lifetime", values["max-lifetime"]);
  const ttl = tokenTtl(values["token-ttl"]) ?? 12 * 3600;
  let emulator;
  try {
    emulator = await startEmulator({
      host: values.host,
      port,
      exec: values.exec === true,
      allowRemoteExec: values["allow-remote-exec"] === true,
      passEnv: values["pass-env"],
      allowedOrigins: values["allowed-origin"],
      allowPrivateNetwork: values["allow-private-network"] === true,
      allowedHosts: values["allowed-host"],
      maxSessions,
      maxConcurrentBodies,
      agent: values.agent,
      upstream: values.upstream,
      region: values.region,
      accountId: values["account-id"],
      runtimeId,
      ...(values.auth === undefined ? {} : { auth: { mode: values.auth as "jwt" | "sigv4" } }),
      ...(values["sigv4-runtime-id"] === undefined ? {} : { sigv4RuntimeId: values["sigv4-runtime-id"] }),
      sessionIdleTimeoutSeconds: idleTimeout,
      sessionMaxLifetimeSeconds: maxLifetime,
      faults,
      log: process.stderr,
      recordRequests: false,
    });
  } catch (err) {
    // A bad option value (host, origin, refused --exec) is a usage error; anything else (port in use) is not.
    if (err instanceof RangeError || err instanceof TypeError) fail(err.message);
    throw err;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal while closing: the user wants out now (130 = 128+SIGINT, 143 = 128+SIGTERM).
      process.stderr.write(`agentcore-emulator: ${signal} again, exiting without cleaning up\n`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`agentcore-emulator: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // Before the line is printed: a supervisor may signal as soon as it has read it.
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  if (values.exec) {
    process.stderr.write(
      `agentcore-emulator: warning: --exec is on: every caller with a valid token runs real shell commands as this user on ${emulator.url}; ` +
        "per-session folders are working directories, not isolation\n",
    );
  }
  const token = await emulator.issueToken({}, { expiresIn: ttl });
  // the names the SDK, the CLI and the examples read, so nobody copies a long token by hand
  const settings: [string, string][] = [
    ["BEDROCK_AGENTCORE_DP_ENDPOINT", emulator.url],
    ["AGENT_ARN", emulator.runtimeArn],
    ["AGENTCORE_TOKEN", token],
  ];
  // SigV4 on: the accepted test credentials, under the names the AWS credential chain reads
  const credentials = emulator.credentials && { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: emulator.credentials.secretAccessKey };
  if (credentials) settings.push(["AWS_ACCESS_KEY_ID", credentials.accessKeyId], ["AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey]);
  if (emulator.sigv4RuntimeArn !== undefined) settings.push(["AGENT_SIGV4_ARN", emulator.sigv4RuntimeArn]);
  if (values["write-env"] !== undefined) {
    const { closeSync, fchmodSync, fstatSync, openSync, writeSync } = await import("node:fs");
    // open()'s mode applies to a new file only: an existing file others can read is made private before the token
    // goes into it, and one that cannot be (not ours) gets no token (a device such as /dev/null is left as it is)
    const file = values["write-env"];
    const fd = openSync(file, "w", 0o600);
    try {
      const stat = fstatSync(fd);
      if (stat.isFile() && (stat.mode & 0o077) !== 0) {
        try {
          fchmodSync(fd, 0o600);
        } catch (e) {
          throw new Error(`--write-env ${file}: others can read it and it cannot be made private (${(e as NodeJS.ErrnoException).code ?? e}); the token was not written`);
        }
      }
      writeSync(fd, settings.map(([k, v]) => `${k}=${v}\n`).join(""));
    } finally {
      closeSync(fd);
    }
  }
  if (values["print-env"]) process.stdout.write(settings.map(([k, v]) => `export ${k}='${v.replace(/'/g, "'\\''")}'\n`).join(""));
  else {
    const sigv4 = credentials ? { credentials, ...(emulator.sigv4RuntimeArn === undefined ? {} : { sigv4RuntimeArn: emulator.sigv4RuntimeArn }) } : {};
    process.stdout.write(`${JSON.stringify({ url: emulator.url, runtimeArn: emulator.runtimeArn, token, ...sigv4 })}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`agentcore-emulator: ${(err as Error).message}\n`);
  process.exit(1);
});
