import { createLocalJWKSet, errors as joseErrors, type JWTVerifyGetKey } from "jose";

/** The longest a JWKS fetch may take, response headers and body together. */
export const JWKS_TIMEOUT_MS = 5000;
/** The largest JWKS body read; a bigger one is refused before it is held in memory. */
export const JWKS_MAX_BYTES = 1024 * 1024;
/** After a fetch, a token with a kid the keys lack is refused without fetching again for this long (jose's cooldown). */
export const JWKS_COOLDOWN_MS = 30_000;
/** After a failed fetch, tokens that need the JWKS get that failure without a new fetch for this long. */
export const JWKS_RETRY_MS = 2000;
/** Keys older than this are fetched again before the next token is checked (jose's cacheMaxAge): a key the provider withdrew stops verifying. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/** The JWKS could not be fetched: a fault of the configuration or the identity provider, not of the token. */
export class JwksUnavailable extends Error {}

/**
 * The keys of `auth.jwksUrl`, fetched here rather than by jose's RemoteJWKSet: that one bounds only the wait for
 * the response headers and reads the body with no deadline and no size limit, and every later token shares its
 * pending fetch, so a JWKS that stalled mid-body hung every request for good. A fetch here ends within
 * JWKS_TIMEOUT_MS and JWKS_MAX_BYTES; concurrent tokens share it, later ones start a new one.
 */
export class RemoteJwks {
  private keys?: JWTVerifyGetKey;
  /** When keys were last fetched. */
  private fetchedAt = -Infinity;
  private failure?: { error: JwksUnavailable; at: number };
  private pending?: Promise<void>;
  private readonly closing = new AbortController();

  constructor(
    private readonly url: URL,
    private readonly onFailure: (error: JwksUnavailable) => void,
  ) {}

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.keys || Date.now() - this.fetchedAt > JWKS_MAX_AGE_MS) await this.load();
    try {
      return await this.keys!(header, token);
    } catch (err) {
      // A kid the keys lack may be a key the provider rotated in: fetch again, at most once per cooldown.
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.fetchedAt < JWKS_COOLDOWN_MS) throw err;
      await this.load();
      return this.keys!(header, token);
    }
  };

  /** Aborts a fetch in progress (the emulator is closing). */
  close(): void {
    this.closing.abort();
  }

  private load(): Promise<void> {
    if (this.pending) return this.pending;
    // a provider that is down is not asked again on every request
    if (this.failure && Date.now() - this.failure.at < JWKS_RETRY_MS) return Promise.reject(this.failure.error);
    this.pending = this.fetchKeys()
      .then(
        (keys) => {
          this.keys = keys;
          this.fetchedAt = Date.now();
          this.failure = undefined;
        },
        (err: JwksUnavailable) => {
          this.failure = { error: err, at: Date.now() };
          if (!this.closing.signal.aborted) this.onFailure(err);
          throw err;
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async fetchKeys(): Promise<JWTVerifyGetKey> {
    const timeout = AbortSignal.timeout(JWKS_TIMEOUT_MS);
    let text: string;
    try {
      // the signal also ends the body's read, so the deadline covers the whole response
      const res = await fetch(this.url, { headers: { accept: "application/json" }, signal: AbortSignal.any([timeout, this.closing.signal]) });
      if (!res.ok) {
        await res.body?.cancel();
        throw new JwksUnavailable(`HTTP ${res.status}`);
      }
      text = await readCapped(res);
    } catch (err) {
      if (err instanceof JwksUnavailable) throw err;
      if (this.closing.signal.aborted) throw new JwksUnavailable("the emulator is closing");
      if (timeout.aborted) throw new JwksUnavailable(`no complete response within ${JWKS_TIMEOUT_MS / 1000} s`);
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      throw new JwksUnavailable(`request failed (${String(cause?.code ?? cause?.message ?? (err as Error).message)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JwksUnavailable("the response is not JSON");
    }
    try {
      return createLocalJWKSet(json as Parameters<typeof createLocalJWKSet>[0]);
    } catch {
      throw new JwksUnavailable('the response is not a JWKS (no "keys" array)');
    }
  }
}

/** The body as text, refused once it passes JWKS_MAX_BYTES (declared or as read). */
async function readCapped(res: Response): Promise<string> {
  const tooLarge = () => new JwksUnavailable(`the response is larger than ${JWKS_MAX_BYTES} bytes`);
  if (Number(res.headers.get("content-length")) > JWKS_MAX_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString("utf8");
    size += value.byteLength;
    if (size > JWKS_MAX_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
}
