#!/usr/bin/env node
import { parseArgs } from "node:util";
import { parseFault } from "./faults";
import { MAX_SESSION_SECONDS, startEmulator } from "./server";
import type { FaultSpec } from "./types";

const USAGE = `Usage: agentcore-emulator [options]

A local Amazon Bedrock AgentCore Runtime data-plane emulator. Prints one JSON line
{"url", "runtimeArn", "token"} to stdout, then logs each request to stderr.

Options:
  --host HOST              interface to bind (default 127.0.0.1)
  --port PORT              port, 0 picks a free one (default 8787)
  --exec                   run commands for real with bash in per-session folders
  --agent FILE             module exporting the agent handler (default export or "handler")
  --upstream URL           proxy invocations to an agent container (POST /invocations)
  --region REGION          region in the runtime ARN (default us-east-1)
  --account-id ID          account in the runtime ARN (default 123456789012)
  --runtime-id ID          runtime id (default emulator_agent-abcdefghij)
  --idle-timeout SECONDS   session idle timeout, > 0 and <= 28800 (default 900)
  --max-lifetime SECONDS   session max lifetime, > 0 and <= 28800 (default 28800)
  --token-ttl SECONDS      lifetime of the printed token, whole seconds >= 1 (default 43200)
  --fault SPEC             configured fault, header syntax e.g. "throttle; times=2" (repeatable)
  -h, --help               show this help
`;

function fail(message: string): never {
  process.stderr.write(`agentcore-emulator: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number`);
  return n;
}

/** Session timeouts: seconds (fractions allowed), greater than 0 and at most 28800, the service's maximum. */
function sessionSeconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!value.trim() || !Number.isFinite(n) || n <= 0 || n > MAX_SESSION_SECONDS) {
    fail(`--${name} must be a number of seconds greater than 0 and at most ${MAX_SESSION_SECONDS}, got '${value}'`);
  }
  return n;
}

/** Longest --token-ttl: ten years, in seconds. */
const MAX_TOKEN_TTL = 10 * 365 * 24 * 3600;

function tokenTtl(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < 1 || n > MAX_TOKEN_TTL) {
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
        agent: { type: "string" },
        upstream: { type: "string" },
        region: { type: "string" },
        "account-id": { type: "string" },
        "runtime-id": { type: "string" },
        "idle-timeout": { type: "string" },
        "max-lifetime": { type: "string" },
        "token-ttl": { type: "string" },
        fault: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
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
  if (values.agent && values.upstream) fail("--agent and --upstream are exclusive");
  let faults: FaultSpec[] = [];
  try {
    faults = (values.fault ?? []).map(parseFault);
  } catch (err) {
    fail((err as Error).message);
  }
  const idleTimeout = sessionSeconds("idle-timeout", values["idle-timeout"]);
  const maxLifetime = sessionSeconds("max-lifetime", values["max-lifetime"]);
  const ttl = tokenTtl(values["token-ttl"]) ?? 12 * 3600;
  const emulator = await startEmulator({
    host: values.host,
    port: number("port", values.port) ?? 8787,
    exec: values.exec === true,
    agent: values.agent,
    upstream: values.upstream,
    region: values.region,
    accountId: values["account-id"],
    runtimeId: values["runtime-id"],
    sessionIdleTimeoutSeconds: idleTimeout,
    sessionMaxLifetimeSeconds: maxLifetime,
    faults,
    log: process.stderr,
    recordRequests: false,
  });
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

  const token = await emulator.issueToken({}, { expiresIn: ttl });
  process.stdout.write(`${JSON.stringify({ url: emulator.url, runtimeArn: emulator.runtimeArn, token })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`agentcore-emulator: ${(err as Error).message}\n`);
  process.exit(1);
});
