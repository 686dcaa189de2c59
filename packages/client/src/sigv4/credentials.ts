import { clientError, ClientErrorNames, AgentRuntimeError } from "../protocol/errors";
import { redact } from "../protocol/redact";

/** AWS credentials, as every AWS SDK v3 credential provider returns them. */
export interface AwsCredentials {
  /** The access key id (`AKIA…` for long-term keys, `ASIA…` for temporary ones). */
  accessKeyId: string;
  /** The secret access key; used to sign, never sent. */
  secretAccessKey: string;
  /** The session token of temporary credentials, sent as `X-Amz-Security-Token`. */
  sessionToken?: string;
  /** When temporary credentials expire; they are fetched again 5 minutes before. */
  expiration?: Date;
}

/**
 * Any AWS SDK v3 credential provider: `fromNodeProviderChain()`, `fromIni({ profile })`, `fromEnv()`,
 * `fromCognitoIdentityPool(…)`, or a function of your own.
 */
export type AwsCredentialsProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

/** Static credentials or a provider, wherever the `sigv4` subpath takes `credentials`. */
export type AwsCredentialsSource = AwsCredentials | AwsCredentialsProvider;

/** Credentials are refreshed this long before their `expiration` (the AWS SDK's own margin). */
export const EXPIRATION_MARGIN_MS = 5 * 60_000;

export interface CredentialCache {
  get(): Promise<AwsCredentials>;
  /** The secrets of every credential seen so far (secret keys, session tokens), for redaction. */
  readonly secrets: Set<string>;
}

function checked(value: unknown): AwsCredentials {
  const c = value as Partial<AwsCredentials> | null | undefined;
  if (!c || typeof c !== "object" || typeof c.accessKeyId !== "string" || !c.accessKeyId || typeof c.secretAccessKey !== "string" || !c.secretAccessKey) {
    throw clientError(ClientErrorNames.token, "AWS credentials need a non-empty accessKeyId and secretAccessKey", { fields: { field: "credentials" } });
  }
  if (c.sessionToken !== undefined && typeof c.sessionToken !== "string") {
    throw clientError(ClientErrorNames.token, "AWS credentials: sessionToken must be a string", { fields: { field: "credentials" } });
  }
  if (c.expiration !== undefined && !(c.expiration instanceof Date)) {
    throw clientError(ClientErrorNames.token, "AWS credentials: expiration must be a Date", { fields: { field: "credentials" } });
  }
  return c as AwsCredentials;
}

/**
 * Static credentials as they are; a provider memoised until `expiration` minus 5 minutes (forever without one),
 * with concurrent callers sharing one pending fetch. A failed fetch is not remembered: the next call asks again.
 */
export function credentialCache(source: AwsCredentialsSource): CredentialCache {
  const secrets = new Set<string>();
  const remember = (c: AwsCredentials) => {
    secrets.add(c.secretAccessKey);
    if (c.sessionToken) secrets.add(c.sessionToken);
    return c;
  };
  if (typeof source !== "function") {
    const fixed = remember(checked(source));
    return { secrets, get: async () => fixed };
  }
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  const fresh = (c: AwsCredentials) => c.expiration === undefined || c.expiration.getTime() - EXPIRATION_MARGIN_MS > Date.now();
  return {
    secrets,
    get() {
      if (current && fresh(current)) return Promise.resolve(current);
      const forceRefresh = current !== undefined;
      return (pending ??= (async () => {
        try {
          let value: unknown;
          try {
            value = await source(forceRefresh ? { forceRefresh: true } : undefined);
          } catch (e) {
            if (AgentRuntimeError.isInstance(e)) throw e;
            const message = (e as { message?: unknown } | null)?.message;
            throw clientError(ClientErrorNames.token, `The AWS credentials provider failed: ${typeof message === "string" ? message : String(e)}`, {
              cause: e,
              fields: { field: "credentials" },
            });
          }
          return (current = remember(checked(value)));
        } catch (e) {
          throw redact(e, secrets);
        } finally {
          pending = undefined;
        }
      })());
    },
  };
}
