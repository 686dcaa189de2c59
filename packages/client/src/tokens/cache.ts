import type { TokenProvider } from "../config";
import type { Abort } from "../protocol/abort";
import { AgentRuntimeError, clientError, ClientErrorNames } from "../protocol/errors";
import { redact } from "../protocol/redact";
import { refreshRetryDelay, sharedFetches, within } from "../protocol/sharedFetch";
import { checkToken } from "../protocol/validate";

/** Refresh this long before `expiresAt` (at most half the token's lifetime), so no request leaves with a lapsing token. */
export const REFRESH_AHEAD_MS = 60_000;

export interface TokenSource {
  /**
   * The current token; fetches when there is none, it is near expiry, or `forceRefresh` is set. With
   * `forceRefresh`, a `rejected` token that was already replaced is not fetched again: the newer one is returned.
   * With `abort`, the wait ends with its reason when it aborts (the fetch goes on for the others waiting).
   */
  get(forceRefresh?: boolean, rejected?: string, abort?: Abort): Promise<string>;
  /** Whether a fresh token can be asked for (a provider) or the token is fixed (a string). */
  readonly refreshable: boolean;
}

interface Cached {
  token: string;
  expiresAt?: number | undefined;
  /** When to fetch again ahead of expiry. */
  refreshAt?: number | undefined;
  /** Refreshes ahead of expiry that failed in a row (each waits twice as long before the next). */
  failures?: number | undefined;
}

/**
 * A provider's failure as a TokenProviderError. Its message and its error (kept as `cause`) may quote a token,
 * opaque ones included: every token this source has handed out is removed, besides anything token-shaped.
 */
function providerError(e: unknown, known: Iterable<string>): AgentRuntimeError {
  if (AgentRuntimeError.isInstance(e) && (e as AgentRuntimeError).name === ClientErrorNames.token) return redact(e as AgentRuntimeError, known);
  return clientError(ClientErrorNames.token, `The token provider failed: ${(e as Error)?.message ?? String(e)}`, { cause: e, secrets: known });
}

/**
 * How long a provider may take: past it, the calls waiting for it fail (TokenProviderError) and the next call asks
 * again, so one provider call that never settles cannot hold every later call of the client.
 */
export const PROVIDER_TIMEOUT_MS = 30_000;

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
  const issued: string[] = [];

  const fetches = sharedFetches<string>(async (forceRefresh, fetch) => {
    let fetched: { token: unknown; expiresAt: number | undefined };
    // the result's token once read, removed from the error of an expiresAt getter that throws (it may quote it)
    let seen: unknown;
    try {
      const value = await within(PROVIDER_TIMEOUT_MS, "token", () => token({ forceRefresh }), fetch);
      // (inside the try: a result whose getter throws is the provider failing, not a plain Error escaping)
      if (typeof value === "string") fetched = { token: value, expiresAt: undefined };
      else {
        seen = value?.token;
        fetched = { token: seen, expiresAt: expiryOf(value?.expiresAt) };
      }
    } catch (e) {
      const at = now();
      const held = current;
      if (!forceRefresh && held && (held.expiresAt === undefined || held.expiresAt > at)) {
        // the token serves on until it expires, and the next refresh waits: a failing token endpoint was asked
        // again by every call (thousands a minute) until then
        held.failures = (held.failures ?? 0) + 1;
        if (held.expiresAt !== undefined) held.refreshAt = Math.min(held.expiresAt, at + refreshRetryDelay(held.failures));
        return held.token;
      }
      throw providerError(e, typeof seen === "string" && seen ? [...issued, seen] : issued);
    }
    try {
      checkToken(fetched.token);
    } catch (e) {
      throw redact(e, typeof fetched.token === "string" ? [...issued, fetched.token, fetched.token.trim()] : issued);
    }
    const expiresAt = Number.isFinite(fetched.expiresAt) ? fetched.expiresAt : undefined;
    const fresh = fetched.token as string;
    const at = now();
    const refreshAt = expiresAt === undefined ? undefined : expiresAt - Math.min(REFRESH_AHEAD_MS, Math.max(0, (expiresAt - at) / 2));
    current = { token: fresh, expiresAt, refreshAt };
    if (!issued.includes(fresh)) issued.push(fresh);
    if (issued.length > REMEMBERED_TOKENS) issued.shift();
    return fresh;
  });
  const { wait } = fetches;

  return {
    refreshable: true,
    get(forceRefresh = false, rejected, abort) {
      if (!forceRefresh && current) {
        const at = now();
        if (current.refreshAt === undefined || at < current.refreshAt) return Promise.resolve(current.token);
        if (current.expiresAt !== undefined && at < current.expiresAt) {
          // still valid, past its refresh point: refreshed in the background (a failure keeps it until it expires),
          // so a slow or hung token endpoint never holds up a call that has a valid token
          fetches.refresh(false);
          return Promise.resolve(current.token);
        }
      }
      if (forceRefresh && rejected !== undefined && current && current.token !== rejected) return Promise.resolve(current.token);
      const fetch = fetches.start(forceRefresh);
      // a 401 while a fetch without forceRefresh is in flight: its token may be the very one refused
      if (forceRefresh && !fetch.forced) {
        return wait(fetch, abort).then(
          (token) => (token !== rejected ? token : wait(fetches.start(true), abort)),
          (e) => (abort?.aborted ? Promise.reject(e) : wait(fetches.start(true), abort)),
        );
      }
      return wait(fetch, abort);
    },
  };
}

// One memo per client (its config object, or a plain config given to connectWebSocket) and provider: the client's
// HTTP calls and its WebSocket connections share it, so a token refreshed after a 401 on one is the token the
// other sends (each kept its own, and a connection went on with the token a call had seen refused).
const memos = /* @__PURE__ */ new WeakMap<object, { provider: TokenProvider; source: TokenSource }>();

/** `tokenSource(provider)`, the same one for every caller holding the same config object and provider. */
export function tokenSourceFor(holder: object, token: string | TokenProvider): TokenSource {
  if (typeof token !== "function") return tokenSource(token);
  const held = memos.get(holder);
  if (held?.provider === token) return held.source;
  const source = tokenSource(token);
  memos.set(holder, { provider: token, source });
  return source;
}

/**
 * A provider's `expiresAt` as epoch ms: a Date, or (common slips) a date string, epoch milliseconds, or epoch
 * seconds (a JWT's `exp`, an OAuth server's time): a number below 1e11 (in ms, a time in 1973) is read as seconds,
 * since as ms it would be long past and have the provider asked again on every call.
 */
const expiryOf = (given: unknown): number | undefined => {
  // epoch digits as a string (a JSON field copied as it came) are the number they spell: as a date string they
  // were an Invalid Date, a token that never expired
  const expiresAt = typeof given === "string" && /^\s*\d+\s*$/.test(given) ? Number(given) : given;
  return typeof expiresAt === "number" && expiresAt < 1e11
    ? expiresAt * 1000
    : expiresAt instanceof Date || typeof expiresAt === "number" || typeof expiresAt === "string"
      ? new Date(expiresAt).getTime()
      : undefined;
};
