import type { TokenProvider } from "../config";
import { clientError, ClientErrorNames } from "../protocol/errors";
import { checkToken } from "../protocol/validate";

/** Refresh this long before `expiresAt`, so a request never leaves with a token about to lapse. */
export const REFRESH_AHEAD_MS = 60_000;

export interface TokenSource {
  /** The current token; fetches when there is none, it is near expiry, or `forceRefresh` is set. */
  get(forceRefresh?: boolean): Promise<string>;
  /** Whether a fresh token can be asked for (a provider) or the token is fixed (a string). */
  readonly refreshable: boolean;
}

/** Memoises a provider: one in-flight fetch shared by concurrent sends, refreshed ahead of expiry. */
export function tokenSource(token: string | TokenProvider, now: () => number = Date.now): TokenSource {
  if (typeof token === "string") {
    return { get: async () => checkToken(token), refreshable: false };
  }
  if (typeof token !== "function") throw clientError(ClientErrorNames.token, "token must be a string or a TokenProvider function");
  let current: { token: string; expiresAt?: number } | undefined;
  let inflight: Promise<string> | undefined;
  const fetchToken = (forceRefresh: boolean): Promise<string> => {
    inflight ??= (async () => {
      try {
        let value: Awaited<ReturnType<TokenProvider>>;
        try {
          value = await token({ forceRefresh });
        } catch (e) {
          throw clientError(ClientErrorNames.token, `The token provider failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
        }
        const next = typeof value === "string" ? { token: value } : { token: value?.token, expiresAt: value?.expiresAt?.getTime() };
        checkToken(next.token);
        current = next;
        return next.token;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };
  return {
    refreshable: true,
    get(forceRefresh = false) {
      if (inflight) return inflight;
      if (!forceRefresh && current && (current.expiresAt === undefined || current.expiresAt - now() > REFRESH_AHEAD_MS)) {
        return Promise.resolve(current.token);
      }
      return fetchToken(forceRefresh);
    },
  };
}
