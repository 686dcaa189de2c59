import { readFileSync } from "node:fs";
import type { Logger, RuntimeClientConfig, RuntimeTarget } from "@agentcore-runtime/client";
import type { AwsCredentialsProvider } from "@agentcore-runtime/client/sigv4";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { CommandName, GlobalOptions } from "./args";
import { CliError, UsageError } from "./errors";

export type TokenSource = "--token" | "--token-file" | "AGENTCORE_TOKEN";

export interface Settings {
  target: RuntimeTarget & { sessionId: string };
  /** The bearer token ("" with --sigv4). */
  token: string;
  tokenSource: TokenSource | "--sigv4";
  config: RuntimeClientConfig;
  /** --sigv4: AWS credentials from the standard chain (env, shared files with --profile / AWS_PROFILE, SSO, IMDS, …). */
  sigv4?: { credentials: AwsCredentialsProvider; profile?: string };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    // the path and the OS reason only: the file's content is a secret
    throw new CliError("TokenFileError", `cannot read --token-file ${file}: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  // files written by editors and `echo` end with a newline that is not part of the token
  return text.trim();
}

function tokenOf(globals: GlobalOptions, env: NodeJS.ProcessEnv): { token: string; source: TokenSource } | undefined {
  if (globals.token !== undefined) return nonEmpty(globals.token) === undefined ? undefined : { token: globals.token, source: "--token" };
  if (globals.tokenFile !== undefined) {
    const token = readToken(globals.tokenFile);
    if (!token) throw new CliError("TokenFileError", `--token-file ${globals.tokenFile} is empty`);
    return { token, source: "--token-file" };
  }
  const fromEnv = nonEmpty(env.AGENTCORE_TOKEN);
  return fromEnv === undefined ? undefined : { token: fromEnv, source: "AGENTCORE_TOKEN" };
}

/**
 * Flags first, then the environment. The endpoint is left to the SDK unless --endpoint is given, so it keeps
 * its own resolution (BEDROCK_AGENTCORE_DP_ENDPOINT, then the ARN's region).
 */
export function resolveSettings(command: CommandName, globals: GlobalOptions, env: NodeJS.ProcessEnv, logger?: Logger, logPayloads = false): Settings {
  const runtimeArn = nonEmpty(globals.arn) ?? nonEmpty(env.AGENT_ARN);
  if (runtimeArn === undefined) throw new UsageError("no runtime given: pass --arn ARN or set AGENT_ARN", command);
  // --sigv4: no bearer token; AGENTCORE_TOKEN in the environment is ignored
  const found = globals.sigv4 ? { token: "", source: "--sigv4" as const } : tokenOf(globals, env);
  if (!found) throw new CliError("MissingTokenError", "no bearer token: set AGENTCORE_TOKEN, or pass --token-file FILE or --token TOKEN");
  const target: Settings["target"] = {
    runtimeArn,
    // chosen here rather than by the SDK so --debug can print it before anything is sent
    sessionId: globals.session ?? crypto.randomUUID(),
  };
  if (globals.qualifier !== undefined) target.qualifier = globals.qualifier;
  if (globals.accountId !== undefined) target.accountId = globals.accountId;
  if (globals.headers) target.headers = globals.headers;
  const config: RuntimeClientConfig = globals.sigv4 ? { userAgentAppId: "agentcore-cli" } : { token: found.token, userAgentAppId: "agentcore-cli" };
  const region = nonEmpty(globals.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region !== undefined) config.region = region;
  if (globals.endpoint !== undefined) config.endpoint = globals.endpoint;
  // handed over as given, however long: the SDK chains timers past setTimeout's 2^31 - 1 ms, so a huge value
  // means "that long" and never fires at once
  // (ws and shell: the time to open the connection; a session itself has no deadline)
  if (globals.timeoutMs !== undefined) config.deadline = config.connectionTimeout = globals.timeoutMs;
  if (globals.idleTimeoutMs !== undefined) config.idleTimeout = globals.idleTimeoutMs;
  if (globals.maxAttempts !== undefined) config.maxAttempts = globals.maxAttempts;
  if (globals.allowInsecureHttp) config.allowInsecureHttp = true;
  if (logger) {
    config.logger = logger;
    if (logPayloads) config.logPayloads = true;
  }
  const sigv4 = globals.sigv4 ? { credentials: credentialChain(globals.profile), profile: globals.profile } : undefined;
  return { target, token: found.token, tokenSource: found.source, config, ...(sigv4 ? { sigv4 } : {}) };
}

/**
 * The AWS SDK's default chain (environment, shared config and credentials files with --profile or AWS_PROFILE,
 * SSO, web identity, process, container and instance metadata), asked once per run; a failure is a CliError
 * naming where credentials are looked for.
 */
function credentialChain(profile: string | undefined): AwsCredentialsProvider {
  const chain = fromNodeProviderChain(profile === undefined ? {} : { profile });
  return async () => {
    try {
      return await chain();
    } catch (e) {
      const reason = (e as Error)?.message?.split("\n")[0] ?? String(e);
      throw new CliError(
        "MissingCredentialsError",
        `no AWS credentials for --sigv4${profile === undefined ? "" : ` (profile ${profile})`}: ${reason}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, or log in with aws sso login`,
      );
    }
  };
}
