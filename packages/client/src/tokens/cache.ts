import type { TokenProvider } from "../config";
import { AgentRuntimeError, clientError, ClientErrorNames } from "../protocol/errors";
import { redact } from "../protocol/redact";
import { checkToken } from "../protocol/validate";

/** Refresh this long before `expiresAt` (at most half the token's lifetime), so no request leaves with a lapsing token. */
export const REFRESH_AHEAD_MS = 60_000;

export interface TokenSource {
  /**
   * The current token; fetches when there is none, it is near expiry, or `forceRefresh` is set. With
   * `forceRefresh`, a `rejected` token that was already replaced is not fetched again: the newer one is returned.
   */
  get(forceRefresh?: boolean, rejected?: string): Promise<string>;
  /** Whether a fresh token can be asked for (a provider) or the token is fixed (a string). */
  readonly refreshable: boolean;
}

interface Cached {
  token: string;
  expiresAt?: number;
  /** When to fetch again ahead of expiry. */
  refreshAt?: number;
}

/**
 * A provider's failure as a TokenProviderError. Its message and its error (kept as `cause`) may quote a token,
 * opaque ones included: every token this source has handed out is removed, besides anything token-shaped.
 */
function providerError(e: unknown, known: Iterable<string>): AgentRuntimeError {
  if (AgentRuntimeError.isInstance(e) && (e as AgentRuntimeError).name === ClientErrorNames.token) return redact(e as AgentRuntimeError, known);
  return clientError(ClientErrorNames.token, `The token provider failed: ${(e as Error)?.message ?? String(e)}`, { cause: e, secrets: known });
}

/** How many earlier tokens a source remembers for scrubbing its provider's errors. */
const REMEMBERED_TOKENS = 4;

/**
 * Memoises a provider: one in-flight fetch shared by concurrent callers, refreshed ahead of expiry. When a
 * refresh ahead of expiry fails, the current token is used until it actually expires.
 */
export function tokenSource(token: string | TokenProvider, now: () => number = Date.now): TokenSource {
  if (typeof token === "string") {
    return { get: async () => checkToken(token), refreshable: false };
  }
  if (typeof token !== "function") throw clientError(ClientErrorNames.token, "token must be a string or a TokenProvider function");
  let current: Cached | undefined;
  let inflight: Promise<string> | undefined;
  const issued: string[] = [];

  const fetchToken = (forceRefresh: boolean): Promise<string> => {
    inflight ??= (async () => {
      try {
        let value: Awaited<ReturnType<TokenProvider>>;
        try {
          value = await token({ forceRefresh });
        } catch (e) {
          const usable = !forceRefresh && current && (current.expiresAt === undefined || current.expiresAt > now());
          if (usable) return current!.token;
          throw providerError(e, issued);
        }
        const fetched = typeof value === "string" ? { token: value, expiresAt: undefined } : { token: value?.token, expiresAt: value?.expiresAt?.getTime() };
        try {
          checkToken(fetched.token);
        } catch (e) {
          throw redact(e, typeof fetched.token === "string" ? [...issued, fetched.token, fetched.token.trim()] : issued);
        }
        const expiresAt = Number.isFinite(fetched.expiresAt) ? fetched.expiresAt : undefined;
        const at = now();
        const refreshAt = expiresAt === undefined ? undefined : expiresAt - Math.min(REFRESH_AHEAD_MS, Math.max(0, (expiresAt - at) / 2));
        current = { token: fetched.token, expiresAt, refreshAt };
        if (!issued.includes(fetched.token)) issued.push(fetched.token);
        if (issued.length > REMEMBERED_TOKENS) issued.shift();
        return fetched.token;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  return {
    refreshable: true,
    get(forceRefresh = false, rejected) {
      if (inflight) return inflight;
      if (forceRefresh && rejected !== undefined && current && current.token !== rejected) return Promise.resolve(current.token);
      if (!forceRefresh && current && (current.refreshAt === undefined || now() < current.refreshAt)) return Promise.resolve(current.token);
      return fetchToken(forceRefresh);
    },
  };
}
