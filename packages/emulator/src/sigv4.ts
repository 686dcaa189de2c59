// SigV4 verification for runtimes configured for IAM auth, written from the SigV4 specification with
// node:crypto (not the client's signer), so the emulator checks signatures independently of what produced them.
// Header-signed requests and presigned URLs (query-signed: X-Amz-Algorithm, …, X-Amz-Signature) are accepted.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGV4_SERVICE = "bedrock-agentcore";
/** The service accepts signatures up to 5 minutes off its clock. */
export const MAX_SKEW_MS = 5 * 60_000;
/** Presigned WebSocket URLs live at most 300 s. */
export const MAX_PRESIGNED_EXPIRES = 300;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const ALGORITHM = "AWS4-HMAC-SHA256";

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it (x-amz-security-token / X-Amz-Security-Token). */
  sessionToken?: string;
}

export type SigV4Failure = {
  ok: false;
  status: 403;
  name: "InvalidSignatureException" | "AccessDeniedException" | "UnrecognizedClientException" | "MissingAuthenticationTokenException" | "IncompleteSignatureException";
  message: string;
};
export type SigV4Outcome = { ok: true; accessKeyId: string } | SigV4Failure;

/** What a check before the body needs: the request line and its headers (lower-case names). */
export interface SigV4Request {
  method: string;
  /** The request target as received: percent-encoded path and raw query. */
  url: string;
  headers: Record<string, string>;
}

/** The result of the checks that need no body; `finish(bodyHash)` compares the signature. */
export type SigV4Precheck = SigV4Failure | { ok: true; presigned: boolean; finish(payloadHashes: string[]): SigV4Outcome };

const fail = (name: SigV4Failure["name"], message: string): SigV4Failure => ({ ok: false, status: 403, name, message });
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const BAD_TOKEN = "The security token included in the request is invalid.";

/** Test credentials in the shape of real ones (AKIA…, 40-character secret). */
export function generateCredentials(): SigV4Credentials {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const id = [...randomBytes(16)].map((b) => alphabet[b % 32]).join("");
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString("base64") };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** RFC 3986 percent-encoding of everything but unreserved characters (what SigV4 canonicalises with). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `YYYYMMDDTHHMMSSZ` → ms, or NaN. */
function parseAmzDate(text: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? "");
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** Whether a request tries SigV4 at all (an AWS4 Authorization header or a presigned query). */
export function looksLikeSigV4(authorization: string | undefined, url: string): boolean {
  return /^\s*AWS4-HMAC-SHA256\b/i.test(authorization ?? "") || /[?&]X-Amz-Algorithm=/i.test(url);
}

/** Checks SigV4 against configured credentials, for one region. */
export class SigV4Verifier {
  private readonly byKey = new Map<string, SigV4Credentials>();

  constructor(
    readonly credentials: SigV4Credentials[],
    readonly region: string,
    private readonly now: () => number = Date.now,
  ) {
    for (const c of credentials) this.byKey.set(c.accessKeyId, c);
  }

  /**
   * Everything but the signature comparison: the method (a bearer token is "Authorization method mismatch"),
   * the shape, the credential scope, the clock (5 minutes either way), a presigned URL's expiry, the key and
   * the session token. `finish` then compares the signature for the payload hash(es) given.
   */
  precheck(req: SigV4Request): SigV4Precheck {
    const authorization = req.headers.authorization;
    const q = req.url.indexOf("?");
    const rawPath = q < 0 ? req.url : req.url.slice(0, q);
    const rawQuery = q < 0 ? "" : req.url.slice(q + 1);
    const pairs = rawQuery
      .split("&")
      .filter((p) => p !== "")
      .map((p) => {
        const eq = p.indexOf("=");
        return eq < 0 ? [decode(p), ""] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
      }) as [string, string][];
    const param = (name: string) => pairs.find(([k]) => k === name)?.[1];
    const presigned = param("X-Amz-Algorithm") !== undefined;
    if (authorization !== undefined && /^\s*Bearer\b/i.test(authorization)) return fail("AccessDeniedException", "Authorization method mismatch");
    if (presigned && authorization !== undefined && authorization.trim() !== "") {
      return fail("InvalidSignatureException", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header may be specified");
    }
    let credential: string, signedHeaders: string, signature: string, dateText: string | undefined, token: string | undefined;
    let expires: number | undefined;
    if (presigned) {
      if (param("X-Amz-Algorithm") !== ALGORITHM) return fail("IncompleteSignatureException", `Unsupported X-Amz-Algorithm; expected ${ALGORITHM}`);
      const missing = ["X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Expires"].filter((n) => param(n) === undefined);
      if (missing.length) return fail("IncompleteSignatureException", `The presigned URL is missing ${missing.join(", ")}`);
      credential = param("X-Amz-Credential")!;
      signedHeaders = param("X-Amz-SignedHeaders")!;
      signature = param("X-Amz-Signature")!;
      dateText = param("X-Amz-Date");
      token = param("X-Amz-Security-Token");
      expires = Number(param("X-Amz-Expires"));
      if (!Number.isInteger(expires) || expires < 1) return fail("IncompleteSignatureException", "X-Amz-Expires must be a positive whole number of seconds");
      if (expires > MAX_PRESIGNED_EXPIRES) return fail("AccessDeniedException", `X-Amz-Expires must be at most ${MAX_PRESIGNED_EXPIRES} seconds`);
    } else {
      if (authorization === undefined || authorization.trim() === "") return fail("MissingAuthenticationTokenException", "Missing Authentication Token");
      const m = /^\s*AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/i.exec(authorization);
      if (!m) return fail("IncompleteSignatureException", `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters (${ALGORITHM})`);
      [, credential, signedHeaders, signature] = m;
      dateText = req.headers["x-amz-date"];
      token = req.headers["x-amz-security-token"];
      if (dateText === undefined) return fail("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header");
    }
    const scope = credential.split("/");
    if (scope.length !== 5 || scope[4] !== "aws4_request") return fail("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request");
    const [accessKeyId, day, region, service] = scope;
    const date = parseAmzDate(dateText);
    if (Number.isNaN(date)) return fail("IncompleteSignatureException", "X-Amz-Date must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z'");
    if (day !== dateText!.slice(0, 8)) return fail("InvalidSignatureException", `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${dateText!.slice(0, 8)}'`);
    if (service !== SIGV4_SERVICE) return fail("InvalidSignatureException", `Credential should be scoped to correct service: '${SIGV4_SERVICE}'.`);
    if (region !== this.region) return fail("InvalidSignatureException", `Credential should be scoped to a valid region, not '${region}'.`);
    const now = this.now();
    if (date - now > MAX_SKEW_MS) {
      return fail("InvalidSignatureException", `Signature not yet current: ${dateText} is still later than ${amzDate(now + MAX_SKEW_MS)} (${amzDate(now)} + 5 min.)`);
    }
    if (expires !== undefined) {
      if (now > date + expires * 1000) return fail("AccessDeniedException", `Request has expired: signed at ${dateText}, valid for ${expires} s`);
    } else if (now - date > MAX_SKEW_MS) {
      return fail("InvalidSignatureException", `Signature expired: ${dateText} is now earlier than ${amzDate(now - MAX_SKEW_MS)} (${amzDate(now)} - 5 min.)`);
    }
    const known = this.byKey.get(accessKeyId);
    if (!known) return fail("UnrecognizedClientException", BAD_TOKEN);
    if ((known.sessionToken ?? undefined) !== (token ?? undefined)) return fail("UnrecognizedClientException", BAD_TOKEN);
    const names = signedHeaders.split(";");
    if (!names.includes("host")) return fail("InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    if (!presigned && token !== undefined && !names.includes("x-amz-security-token")) return fail("InvalidSignatureException", MISMATCH);
    for (const name of names) if (req.headers[name] === undefined) return fail("InvalidSignatureException", MISMATCH);

    // the canonical request, from the request as received
    const canonicalPath = rawPath === "" ? "/" : rawPath.split("/").map((segment) => uriEncode(segment)).join("/");
    const canonicalQuery = pairs
      .filter(([k]) => !(presigned && k === "X-Amz-Signature"))
      .map(([k, v]) => [uriEncode(k), uriEncode(v)])
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const canonicalHeaders = names.map((n) => `${n}:${req.headers[n].trim().replace(/\s+/g, " ")}\n`).join("");
    const credentialScope = `${day}/${region}/${service}/aws4_request`;
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${known.secretAccessKey}`, day), region), service), "aws4_request");
    const given = Buffer.from(signature.toLowerCase(), "utf8");
    const finish = (payloadHashes: string[]): SigV4Outcome => {
      for (const payloadHash of payloadHashes) {
        const canonical = [req.method.toUpperCase(), canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join("\n");
        const stringToSign = [ALGORITHM, dateText, credentialScope, sha256Hex(canonical)].join("\n");
        const expected = Buffer.from(createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex"), "utf8");
        if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true, accessKeyId };
      }
      return fail("InvalidSignatureException", MISMATCH);
    };
    return { ok: true, presigned, finish };
  }

  /** A request without a body (WebSocket upgrades): the empty payload's hash, or a presigned URL's UNSIGNED-PAYLOAD. */
  verifyWithoutBody(req: SigV4Request): SigV4Outcome {
    const pre = this.precheck(req);
    if (!pre.ok) return pre;
    const declared = req.headers["x-amz-content-sha256"];
    if (pre.presigned) return pre.finish([EMPTY_SHA256, "UNSIGNED-PAYLOAD"]);
    return pre.finish(declared === undefined || declared === EMPTY_SHA256 ? [EMPTY_SHA256] : []);
  }
}

/** A body's payload hash check: the service hashes what it received; a declared x-amz-content-sha256 must agree. */
export function bodyPayloadHash(body: Uint8Array, declared: string | undefined): string[] {
  const actual = sha256Hex(body);
  return declared === undefined || declared === actual ? [actual] : [];
}
