import { randomUUID } from "node:crypto";
import {
  SignJWT,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
} from "jose";
import { JwksUnavailable, RemoteJwks } from "./jwks";
import { writeLog } from "./log";
import type { AuthOptions, IssueTokenOptions, LogSink } from "./types";

/** The client id issueToken puts in tokens and the default allow-list admits. */
export const DEFAULT_CLIENT_ID = "agentcore-emulator";

export type AuthOutcome =
  | { ok: true; claims: JWTPayload }
  | {
      ok: false;
      status: 401 | 403 | 500;
      name: "UnauthorizedException" | "AccessDeniedException" | "InternalServerException";
      message: string;
      invalidToken?: boolean;
    };

/** The keys `auth` takes; any other (a typo, the service's `discoveryUrl`) is refused rather than ignored. */
const AUTH_KEYS = ["issuer", "jwksUrl", "allowedClients", "allowedAudience", "mode", "credentials"];

/**
 * Refuses `auth` options that would check less than they seem to: a null allow-list turned its check off, a
 * string one matched substrings (and issueToken took its first character), an empty issuer accepted any `iss`.
 * JavaScript and JSON configs reach here unchecked by TypeScript.
 */
export function checkAuthOptions(options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new RangeError(`auth must be an object, got ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (key === "discoveryUrl") {
      throw new RangeError(
        "auth.discoveryUrl is not supported: give auth.jwksUrl (the discovery document's jwks_uri) and auth.issuer (its issuer) instead",
      );
    }
    if (!AUTH_KEYS.includes(key)) throw new RangeError(`auth.${key} is not an option; auth takes ${AUTH_KEYS.join(", ")}`);
  }
  const { issuer, jwksUrl, allowedClients, allowedAudience } = options as Record<string, unknown>;
  if (issuer !== undefined && (typeof issuer !== "string" || issuer === "")) {
    throw new RangeError(`auth.issuer must be a non-empty string, got ${shown(issuer)}`);
  }
  if (jwksUrl !== undefined && !isHttpUrl(jwksUrl)) throw new RangeError(`auth.jwksUrl must be an http or https URL, got ${shown(jwksUrl)}`);
  for (const [name, list] of [
    ["allowedClients", allowedClients],
    ["allowedAudience", allowedAudience],
  ] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === "string" && item !== ""))) {
      throw new RangeError(`auth.${name} must be a non-empty array of non-empty strings (or left out), got ${shown(list)}`);
    }
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** A refused option value, short: numbers as such, strings and arrays as JSON, anything else by its type. */
function shown(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (value === null || typeof value === "string" || Array.isArray(value)) {
    try {
      return JSON.stringify(value).slice(0, 200);
    } catch {
      return "an array"; // a cyclic one, or one holding a BigInt
    }
  }
  return typeof value;
}

/** The runtime's customJWTAuthorizer: bearer JWTs checked with jose against the emulator's key or a JWKS. */
export class Authenticator {
  private issuerValue = "";
  private readonly allowedClients?: string[];
  private readonly allowedAudience?: string[];
  private readonly remote?: RemoteJwks;

  private constructor(
    private readonly options: AuthOptions,
    private readonly privateKey: KeyLike,
    private readonly publicKey: KeyLike,
    readonly publicJwk: JWK,
    log: LogSink | undefined,
  ) {
    const hasLists = options.allowedClients !== undefined || options.allowedAudience !== undefined;
    // Like the service, some allow-list always applies; by default it is the emulator's own client id.
    this.allowedClients = hasLists ? options.allowedClients : [DEFAULT_CLIENT_ID];
    this.allowedAudience = options.allowedAudience;
    if (options.jwksUrl) {
      const url = new URL(options.jwksUrl);
      // once per failed fetch, not per request; without the query or credentials the URL may carry
      const report = (err: JwksUnavailable) => {
        if (log) writeLog(log, `${new Date().toISOString()} JWKS ${url.origin}${url.pathname} could not be fetched: ${err.message}`);
      };
      this.remote = new RemoteJwks(url, report);
    }
  }

  /** `options` as checked by checkAuthOptions; `log` receives a line per failed JWKS fetch. */
  static async create(options: AuthOptions = {}, log?: LogSink): Promise<Authenticator> {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = `emulator-${randomUUID()}`;
    return new Authenticator(options, privateKey, publicKey, { ...jwk, kid, alg: "RS256", use: "sig" }, log);
  }

  /** Ends a JWKS fetch in progress. */
  close(): void {
    this.remote?.close();
  }

  /** Set once the server's url is known; an explicit issuer option wins. */
  setDefaultIssuer(url: string): void {
    this.issuerValue = this.options.issuer ?? url;
  }

  get issuer(): string {
    return this.issuerValue;
  }

  async issueToken(claims: Record<string, unknown> = {}, opts: IssueTokenOptions = {}): Promise<string> {
    const expiresIn = opts.expiresIn ?? 3600;
    // "3600" would be concatenated into exp, NaN or Infinity would drop it from the JSON
    if (typeof expiresIn !== "number" || !Number.isFinite(expiresIn)) {
      throw new RangeError(`expiresIn must be a finite number of seconds, got ${shown(expiresIn)}`);
    }
    const now = Math.floor(Date.now() / 1000);
    const body: Record<string, unknown> = {
      iss: this.issuerValue,
      sub: "emulator-user",
      client_id: this.allowedClients?.[0] ?? DEFAULT_CLIENT_ID,
      token_use: "access",
      scope: "openid",
      jti: randomUUID(),
      iat: now,
      exp: now + expiresIn,
      ...(this.allowedAudience?.length ? { aud: this.allowedAudience[0] } : {}),
      ...claims,
    };
    for (const [name, value] of Object.entries(body)) if (value === undefined) delete body[name];
    return new SignJWT(body as JWTPayload).setProtectedHeader({ alg: "RS256", kid: this.publicJwk.kid, typ: "JWT" }).sign(this.privateKey);
  }

  async verify(authorization: string | undefined): Promise<AuthOutcome> {
    if (!authorization || !authorization.trim()) {
      return { ok: false, status: 401, name: "UnauthorizedException", message: "Authorization header is missing" };
    }
    if (/^AWS4-HMAC-SHA256\b/i.test(authorization.trim())) {
      return { ok: false, status: 403, name: "AccessDeniedException", message: "Authorization method mismatch" };
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    if (!match) {
      return { ok: false, status: 401, name: "UnauthorizedException", message: "Invalid Bearer token", invalidToken: true };
    }
    let claims: JWTPayload;
    try {
      const result = await jwtVerify(match[1], this.keyFor, {
        issuer: this.issuerValue,
        requiredClaims: ["exp"],
        clockTolerance: 0,
      });
      claims = result.payload;
    } catch (err) {
      // The token was not judged: say why, and leave out error="invalid_token", which tells a client to get a new one.
      if (err instanceof JwksUnavailable) {
        const message = `Bearer token not verified: the JWKS (auth.jwksUrl) could not be fetched: ${err.message}`;
        return { ok: false, status: 500, name: "InternalServerException", message };
      }
      return { ok: false, status: 401, name: "UnauthorizedException", message: `Invalid Bearer token: ${describe(err)}`, invalidToken: true };
    }
    // Only a string matches: String(["agentcore-emulator"]) or String(123) must not pass for an allowed id.
    const clientId = claims.client_id;
    if (this.allowedClients && (typeof clientId !== "string" || !this.allowedClients.includes(clientId))) {
      return { ok: false, status: 403, name: "AccessDeniedException", message: "Token client_id is not allowed for this runtime" };
    }
    if (this.allowedAudience) {
      const aud = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((a) => this.allowedAudience!.includes(a))) {
        return { ok: false, status: 403, name: "AccessDeniedException", message: "Token audience is not allowed for this runtime" };
      }
    }
    return { ok: true, claims };
  }

  // The emulator's own tokens always verify, so issueToken keeps working next to an external JWKS.
  private readonly keyFor: JWTVerifyGetKey = async (header, token) => {
    if (header.kid === this.publicJwk.kid || (!this.remote && header.kid === undefined)) {
      if (header.alg !== "RS256") throw new joseErrors.JOSEAlgNotAllowed("unexpected alg");
      return this.publicKey;
    }
    if (this.remote) return this.remote.getKey(header, token);
    throw new joseErrors.JWKSNoMatchingKey();
  };
}

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "token expired";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "signature verification failed";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim "${err.claim}" check failed`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "no matching key";
  if (err instanceof joseErrors.JOSEError) return "malformed token";
  return "verification failed";
}
