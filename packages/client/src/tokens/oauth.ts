import type { TokenProvider } from "../config";
import { isValidRegion } from "../protocol/arn";
import { concatBytes, utf8Text } from "../protocol/bytes";
import { isLoopbackHost } from "../protocol/endpoint";
import { clientError, ClientErrorNames, type AgentRuntimeError } from "../protocol/errors";
import { redact } from "../protocol/redact";
import { startTimer } from "../protocol/timers";

// Browser-safe: global fetch, btoa and URLSearchParams only, no node: imports.

/** Options of `fromOAuthClientCredentials`: an OAuth 2.0 client-credentials grant against any token endpoint. */
export interface OAuthClientCredentialsOptions {
  /** The authorization server's token endpoint (https, or http on a loopback host). */
  tokenUrl: string;
  /** The OAuth client id. */
  clientId: string;
  /** The OAuth client secret; never logged, removed from every error. */
  clientSecret: string;
  /** Requested scopes; omitted means the server's default for this client. */
  scopes?: string[] | string | undefined;
  /** `client_secret_basic` (HTTP Basic, the default) or `client_secret_post` (credentials in the form body). */
  clientAuthentication?: "client_secret_basic" | "client_secret_post" | undefined;
  /** Extra form parameters some servers need, e.g. `{ audience: "…" }` or `{ resource: "…" }`. */
  extraParams?: Record<string, string> | undefined;
  /** Milliseconds for one token request (default 10000). */
  timeout?: number | undefined;
  /** A fetch implementation (default: the global `fetch`). */
  fetch?: typeof fetch | undefined;
}

/** Options of `fromCognitoClientCredentials`: the same grant against an Amazon Cognito user pool domain. */
export interface CognitoClientCredentialsOptions extends Omit<OAuthClientCredentialsOptions, "tokenUrl"> {
  /**
   * The user pool domain: a full host (`my-pool.auth.us-east-1.amazoncognito.com` or a custom domain such as
   * `auth.example.com`), a base URL (`https://…`), or a bare prefix (`my-pool`) together with `region`.
   */
  domain?: string | undefined;
  /** Used with a bare domain prefix. */
  region?: string | undefined;
  /** The full token endpoint, instead of `domain`. */
  tokenUrl?: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Most bytes read of a token endpoint's body: an answer holds a token or an error, a few KB. A larger one is not
 * read on (an error's page is cut, a success refused): one answer could otherwise take any amount of memory.
 */
const MAX_BODY_BYTES = 1024 * 1024;

/** The latest time a Date holds (ECMAScript: 8.64e15 ms after 1970). */
const MAX_DATE_MS = 8.64e15;

/** A Cognito domain prefix as it may be written into a host name. */
const COGNITO_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Up to `limit` bytes of a body as text, and whether there was more (then cancelled, not read). */
async function readText(response: Response, limit: number): Promise<{ text: string; cut: boolean }> {
  const reader = response.body?.getReader?.();
  // a fetch of the caller's whose Response has no stream: its text() is all there is
  if (!reader) return { text: await response.text(), cut: false };
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - length));
      void reader.cancel().catch(() => undefined);
      return { text: utf8Text(concatBytes(chunks)), cut: true };
    }
    chunks.push(value);
    length += value.byteLength;
  }
  return { text: utf8Text(concatBytes(chunks)), cut: false };
}

/** `tokenEndpointStatus`, not `statusCode`: the runtime did not answer, so retry rules for its statuses do not apply. */
function tokenError(message: string, extra: { cause?: unknown; statusCode?: number; oauthError?: string; secrets?: string[] } = {}): AgentRuntimeError {
  const fields: Record<string, unknown> = {};
  if (extra.statusCode !== undefined) fields.tokenEndpointStatus = extra.statusCode;
  if (extra.oauthError !== undefined) fields.oauthError = extra.oauthError;
  return clientError(ClientErrorNames.token, message, { cause: extra.cause, fields, secrets: extra.secrets });
}

function checkTokenUrl(tokenUrl: string): URL {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw tokenError(`tokenUrl '${tokenUrl}' is not a valid URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw tokenError(`tokenUrl must use https (plain http only for loopback hosts), got '${url.protocol}//${url.host}'`);
  }
  if (url.username || url.password) throw tokenError("tokenUrl must not carry credentials; pass clientId and clientSecret");
  return url;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function basicCredentials(clientId: string, clientSecret: string): string {
  return `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
}

/** `application/x-www-form-urlencoded` encoding of one value, as `URLSearchParams` sends it. */
const formEncode = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);

/** Removes the client secret, the Basic credential and any access token from text bound for an error. */
function scrubber(secrets: string[]): (text: string) => string {
  return (text) => redact(text, secrets);
}

/**
 * A token provider for any OAuth 2.0 token endpoint using the client credentials grant: a form-encoded POST
 * with HTTP Basic client authentication (or `client_secret_post`), reading `access_token` and `expires_in`.
 * Failures are `TokenProviderError`s that never contain the secret or a token. The client memoises the
 * result and asks again ahead of expiry or with `forceRefresh` after a 401.
 */
export function fromOAuthClientCredentials(options: OAuthClientCredentialsOptions): TokenProvider {
  const { clientId, clientSecret, scopes, clientAuthentication = "client_secret_basic", extraParams = {} } = options;
  const timeout = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : options.timeout;
  // as the client's own timers: 0, negative or NaN was no limit at all, a request to a silent endpoint left open
  if (typeof timeout !== "number" || !(timeout > 0)) throw tokenError(`timeout must be a positive number of milliseconds or Infinity, got ${String(timeout)}`);
  const url = checkTokenUrl(options.tokenUrl);
  if (typeof clientId !== "string" || !clientId) throw tokenError("clientId is required");
  if (typeof clientSecret !== "string" || !clientSecret) throw tokenError("clientSecret is required");
  if (clientAuthentication !== "client_secret_basic" && clientAuthentication !== "client_secret_post") {
    throw tokenError(`clientAuthentication must be 'client_secret_basic' or 'client_secret_post', got '${String(clientAuthentication)}'`);
  }
  const endpoint = `${url.origin}${url.pathname}`;
  const scope = Array.isArray(scopes) ? scopes.join(" ") : scopes;
  const basic = basicCredentials(clientId, clientSecret);
  // every form the secret travels in, so an endpoint (or a proxy) that echoes any of them is scrubbed
  const secrets = [clientSecret, formEncode(clientSecret), encodeURIComponent(clientSecret), basic.slice(6), `${formEncode(clientId)}:${formEncode(clientSecret)}`];

  return async () => {
    const doFetch = options.fetch ?? globalThis.fetch;
    if (typeof doFetch !== "function") throw tokenError("No global fetch: pass `fetch` in the options");
    const form = new URLSearchParams({ ...extraParams, grant_type: "client_credentials" });
    if (scope) form.set("scope", scope);
    const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
    if (clientAuthentication === "client_secret_basic") headers.Authorization = basic;
    else {
      form.set("client_id", clientId);
      form.set("client_secret", clientSecret);
    }
    const controller = new AbortController();
    // any value: Infinity is no limit, and one past setTimeout's 2^31-1 ms is waited in steps (not cut to 1 ms)
    const stopTimer = startTimer(timeout, () => controller.abort());
    let status: number;
    let text: string;
    let cut = false;
    let redirected = false;
    const started = Date.now();
    try {
      // a redirect would carry the credentials somewhere unexpected: not followed, and refused below ("manual",
      // not "error", which Cloudflare Workers' fetch does not implement: every token request failed there)
      const response = await doFetch(url.href, { method: "POST", headers, body: form.toString(), redirect: "manual", signal: controller.signal });
      status = response.status;
      redirected = response.type === "opaqueredirect" || (status >= 300 && status < 400);
      if (redirected) void response.body?.cancel().catch(() => undefined);
      ({ text, cut } = redirected ? { text: "", cut: false } : await readText(response, MAX_BODY_BYTES));
    } catch (e) {
      const why = controller.signal.aborted ? `no response within ${timeout} ms` : describeFetchError(e);
      throw tokenError(`Could not get a token from ${endpoint}: ${why}`, { cause: controller.signal.aborted ? undefined : e, secrets });
    } finally {
      stopTimer?.();
    }
    if (redirected) {
      throw tokenError(`The token endpoint ${endpoint} answered with a redirect${status ? ` (HTTP ${status})` : ""}: not followed, so the client secret goes nowhere else; use the URL it names as tokenUrl if you trust it`, {
        statusCode: status || undefined,
      });
    }
    let body: Record<string, unknown> | undefined;
    try {
      // (a body cut at the limit is not JSON: an error page is still reported from its first bytes)
      const parsed = cut ? undefined : JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed;
    } catch {
      // reported below
    }
    const accessToken = typeof body?.access_token === "string" ? body.access_token : undefined;
    const issued = [body?.access_token, body?.refresh_token, body?.id_token].filter((v): v is string => typeof v === "string");
    const scrub = scrubber([...secrets, ...issued]);
    const str = (v: unknown) => (typeof v === "string" && v ? scrub(v).slice(0, 300) : undefined);
    if (status < 200 || status >= 300 || typeof body?.error === "string") {
      const code = str(body?.error);
      const description = str(body?.error_description);
      const detail = code ? `${code}${description ? ` (${description})` : ""}` : body ? "no OAuth error code" : `a non-JSON body: ${scrub(text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim()).slice(0, 200)}`;
      throw tokenError(`The token endpoint ${endpoint} answered HTTP ${status}: ${detail}`, {
        statusCode: status,
        oauthError: code,
      });
    }
    if (cut) throw tokenError(`The token endpoint ${endpoint} answered HTTP ${status} with a body over ${MAX_BODY_BYTES} bytes: not a token response`, { statusCode: status });
    if (!body) throw tokenError(`The token endpoint ${endpoint} answered HTTP ${status} with a body that is not JSON`, { statusCode: status });
    if (!accessToken) throw tokenError(`The token endpoint ${endpoint} answered without an access_token`, { statusCode: status });
    const expiresIn = typeof body.expires_in === "string" ? Number(body.expires_in) : body.expires_in;
    // measured from when the request left, so a slow answer errs on the early side
    // (a lifetime past what a Date holds, 1e300 s, is no expiry: it made an Invalid Date)
    const expiresMs = typeof expiresIn === "number" && expiresIn > 0 ? started + expiresIn * 1000 : NaN;
    const expiresAt = expiresMs <= MAX_DATE_MS ? new Date(expiresMs) : undefined;
    return expiresAt ? { token: accessToken, expiresAt } : { token: accessToken };
  };
}

function describeFetchError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const code = err?.cause?.code;
  const message = err?.message ?? String(e);
  return code ? `${message} (${code})` : err?.cause?.message ? `${message} (${err.cause.message})` : message;
}

/** The Cognito token endpoint for a domain: `https://{domain}/oauth2/token`. */
export function cognitoTokenUrl(domain: string, region?: string): string {
  const raw = domain.trim().replace(/\/+$/, "");
  if (!raw) throw tokenError("domain is empty");
  if (/^https?:\/\//i.test(raw)) return `${raw}/oauth2/token`;
  if (raw.includes("/")) throw tokenError(`domain '${raw}' must be a host name or a base URL, not a path`);
  if (raw.includes(".") || raw.includes(":")) return `https://${raw}/oauth2/token`;
  if (!region) throw tokenError(`domain '${raw}' is a bare prefix: pass the full host (${raw}.auth.<region>.amazoncognito.com) or set region`);
  // both go into the host name the client secret is sent to: "us-east-1.attacker.example#" sent it elsewhere
  if (!COGNITO_PREFIX.test(raw)) throw tokenError(`domain prefix '${raw}' must be lower-case letters, digits and hyphens`);
  if (!isValidRegion(region)) throw tokenError(`region '${region}' is not an AWS region (e.g. us-east-1)`);
  return `https://${raw}.auth.${region}.amazoncognito.com/oauth2/token`;
}

/**
 * Client credentials against an Amazon Cognito user pool domain (`https://{domain}/oauth2/token`, HTTP Basic
 * client authentication, scopes such as `my-api/invoke`).
 */
export function fromCognitoClientCredentials(options: CognitoClientCredentialsOptions): TokenProvider {
  const { domain, region, tokenUrl, ...rest } = options;
  if ((domain === undefined) === (tokenUrl === undefined)) throw tokenError("Pass exactly one of domain and tokenUrl");
  return fromOAuthClientCredentials({ ...rest, tokenUrl: tokenUrl ?? cognitoTokenUrl(domain!, region) });
}
