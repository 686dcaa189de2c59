import { clientError, ClientErrorNames, AgentRuntimeError } from "../protocol/errors";
import type { Abort } from "../protocol/abort";
import { redact } from "../protocol/redact";
import { refreshRetryDelay, sharedFetches, within } from "../protocol/sharedFetch";

/** AWS credentials, as every AWS SDK v3 credential provider returns them. */
export interface AwsCredentials {
  /** The access key id (`AKIA…` for long-term keys, `ASIA…` for temporary ones). */
  accessKeyId: string;
  /** The secret access key; used to sign, never sent. */
  secretAccessKey: string;
  /** The session token of temporary credentials, sent as `X-Amz-Security-Token`. */
  sessionToken?: string | undefined;
  /** When temporary credentials expire; they are fetched again 5 minutes before. */
  expiration?: Date | undefined;
}

/**
 * Any AWS SDK v3 credential provider: `fromNodeProviderChain()`, `fromIni({ profile })`, `fromEnv()`,
 * `fromCognitoIdentityPool(…)`, or a function of your own.
 */
export type AwsCredentialsProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

/** Static credentials or a provider, wherever the `sigv4` subpath takes `credentials`. */
export type AwsCredentialsSource = AwsCredentials | AwsCredentialsProvider;

/** Credentials are refreshed this long before their `expiration` (the AWS SDK's own margin), in the background. */
export const EXPIRATION_MARGIN_MS = 5 * 60_000;
/**
 * Credentials this close to their `expiration` are not signed with any more: a call waits for new ones (and signs
 * with what the provider then gives, once: a provider that has nothing newer is not asked twice per request).
 */
export const EXPIRATION_CUTOFF_MS = 60_000;
/** How long a provider may take: past it, the calls waiting for it fail and the next call asks again. */
export const CREDENTIALS_TIMEOUT_MS = 30_000;

export interface CredentialCache {
  /** Credentials to sign with; with `abort`, the wait ends with its reason when it aborts. */
  get(abort?: Abort): Promise<AwsCredentials>;
  /**
   * The credentials `get` last gave (the signer reads these, right after a `get`): a provider that answers with
   * credentials already inside the last minute is not asked a second time for the same request.
   */
  current(): AwsCredentials | undefined;
  /** The secrets of every credential seen so far (secret keys, session tokens), for redaction. */
  readonly secrets: Set<string>;
}

const NOT_PRINTABLE = /[^\x20-\x7e]/;

function checked(value: unknown): AwsCredentials {
  const c = value as Partial<AwsCredentials> | null | undefined;
  if (!c || typeof c !== "object" || typeof c.accessKeyId !== "string" || !c.accessKeyId || typeof c.secretAccessKey !== "string" || !c.secretAccessKey) {
    throw clientError(ClientErrorNames.token, "AWS credentials need a non-empty accessKeyId and secretAccessKey", { fields: { field: "credentials" } });
  }
  if (c.sessionToken !== undefined && typeof c.sessionToken !== "string") {
    throw clientError(ClientErrorNames.token, "AWS credentials: sessionToken must be a string", { fields: { field: "credentials" } });
  }
  // each goes into a header (the key id in Authorization, the token as x-amz-security-token): a CR/LF there failed
  // as a NetworkError after the request was counted as sent, and a signed WebSocket header carried it as it was.
  // AWS credentials are printable ASCII
  for (const name of ["accessKeyId", "secretAccessKey", "sessionToken"] as const) {
    if (NOT_PRINTABLE.test(c[name] ?? "")) {
      throw clientError(ClientErrorNames.token, `AWS credentials: ${name} contains a character other than printable ASCII (a CR or LF, say)`, { fields: { field: "credentials" } });
    }
  }
  if (c.expiration !== undefined && !(c.expiration instanceof Date && !Number.isNaN(c.expiration.getTime()))) {
    throw clientError(ClientErrorNames.token, "AWS credentials: expiration must be a valid Date", { fields: { field: "credentials" } });
  }
  return c as AwsCredentials;
}

/**
 * Static credentials as they are; a provider memoised, with concurrent callers sharing one fetch: fetched again
 * in the background from 5 minutes before `expiration` (calls meanwhile sign with the current ones, kept if that
 * refresh fails, and the next refresh then waits 1 s, 2 s, 4 s … 15 s), waited for in the last minute. A failed fetch is not remembered: the next call asks again; so is
 * one every waiting call gave up on, and one that has not settled within 30 s fails.
 */
export function credentialCache(source: AwsCredentialsSource): CredentialCache {
  const secrets = new Set<string>();
  // each also as a URL carries it (a presigned query, a server echoing one in an error): `/`, `+` and `=` encoded
  const remember = (c: AwsCredentials) => {
    for (const secret of [c.secretAccessKey, c.sessionToken]) {
      if (!secret) continue;
      secrets.add(secret);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) secrets.add(encoded).add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
    }
    return c;
  };
  if (typeof source !== "function") {
    const fixed = remember(checked(source));
    return { secrets, get: async () => fixed, current: () => fixed };
  }
  let current: AwsCredentials | undefined;
  // after a failed refresh ahead of expiry, no other before this time (1 s, 2 s, 4 s … 15 s after each failure)
  let failures = 0;
  let retryAt = 0;
  const left = (c: AwsCredentials) => (c.expiration === undefined ? Infinity : c.expiration.getTime() - Date.now());
  const usable = (c: AwsCredentials | undefined): c is AwsCredentials => c !== undefined && left(c) > EXPIRATION_CUTOFF_MS;

  const fetches = sharedFetches<AwsCredentials>(async (forceRefresh, fetch) => {
    try {
      let value: unknown;
      try {
        value = await within(CREDENTIALS_TIMEOUT_MS, "credentials", () => source(forceRefresh ? { forceRefresh: true } : undefined), fetch);
      } catch (e) {
        // a refresh ahead of expiry that fails: the current credentials serve until the cutoff, and the next
        // refresh waits (a failing provider was asked again by every call for those minutes)
        if (usable(current)) {
          failures++;
          retryAt = Date.now() + refreshRetryDelay(failures);
          return current;
        }
        if (AgentRuntimeError.isInstance(e)) throw e;
        const message = (e as { message?: unknown } | null)?.message;
        throw clientError(ClientErrorNames.token, `The AWS credentials provider failed: ${typeof message === "string" ? message : String(e)}`, {
          cause: e,
          fields: { field: "credentials" },
        });
      }
      failures = retryAt = 0;
      return (current = remember(checked(value)));
    } catch (e) {
      throw redact(e, secrets);
    }
  });

  return {
    secrets,
    current: () => current,
    get(abort) {
      if (current !== undefined) {
        const ms = left(current);
        if (ms > EXPIRATION_MARGIN_MS) return Promise.resolve(current);
        if (ms > EXPIRATION_CUTOFF_MS) {
          if (Date.now() >= retryAt) fetches.refresh(true);
          return Promise.resolve(current);
        }
      }
      return fetches.wait(fetches.start(current !== undefined), abort);
    },
  };
}
