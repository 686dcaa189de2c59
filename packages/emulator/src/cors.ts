import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** Response headers a cross-origin page may read (the contract's response headers plus error details). */
export const EXPOSE_HEADERS = [
  "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "X-Amzn-Trace-Id",
  "traceparent",
  "tracestate",
  "baggage",
  "x-amzn-RequestId",
  "x-amzn-ErrorType",
  "Retry-After",
  "WWW-Authenticate",
  "Content-Type",
].join(", ");

export const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept",
  "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
  "X-Amzn-Bedrock-AgentCore-Runtime-User-Id",
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "Mcp-Method",
  "Mcp-Name",
  "X-Amzn-Trace-Id",
  "traceparent",
  "tracestate",
  "baggage",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
  "x-amz-user-agent",
  "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault",
].join(", ");

/** The `allowedOrigins` entry that stands for every loopback origin (the default). */
export const LOOPBACK_ORIGINS = "loopback";
/** The `allowedOrigins` entry that admits every origin. */
export const ANY_ORIGIN = "*";

/** Which browser origins may call the emulator, and whether Chrome's private-network preflight is granted. */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly loopback: boolean;
  private readonly exact = new Set<string>();

  /** Throws RangeError for an entry that is not "*", "loopback", "null" or an origin (`scheme://host[:port]`). */
  constructor(
    origins: readonly string[] = [LOOPBACK_ORIGINS],
    readonly allowPrivateNetwork = false,
  ) {
    if (!Array.isArray(origins)) throw new TypeError("allowedOrigins must be an array of origins");
    this.any = origins.includes(ANY_ORIGIN);
    this.loopback = origins.includes(LOOPBACK_ORIGINS);
    for (const entry of origins) {
      if (entry === ANY_ORIGIN || entry === LOOPBACK_ORIGINS) continue;
      if (entry === "null") {
        this.exact.add("null");
        continue;
      }
      this.exact.add(normalizeOrigin(entry));
    }
  }

  allows(origin: string): boolean {
    if (this.any) return true;
    if (origin === "null") return this.exact.has("null");
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (this.exact.has(url.origin)) return true;
    return this.loopback && (url.protocol === "http:" || url.protocol === "https:") && isLoopbackName(url.hostname);
  }
}

function normalizeOrigin(entry: string): string {
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    url = undefined;
  }
  // An origin is scheme, host and port: no path, query, fragment or credentials.
  if (!url || url.origin === "null" || `${url.origin}/` !== url.href.replace(/\/?$/, "/") || entry.trim() !== entry) {
    throw new RangeError(
      `allowedOrigins entries must be origins like "http://localhost:3000", "${LOOPBACK_ORIGINS}", "null" or "${ANY_ORIGIN}", got ${JSON.stringify(entry)}`,
    );
  }
  return url.origin;
}

/** `localhost`, an address in 127.0.0.0/8 or `[::1]` (as URL.hostname spells them). */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost") return true;
  const bare = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  return isIP(bare) !== 0 && isLoopbackAddress(bare);
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (isIP(a) === 4) return a.startsWith("127.");
  if (a === "::1" || a === "0:0:0:0:0:0:0:1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && mapped[1].startsWith("127.");
}

/**
 * Headers every response carries: a page may read the response only when its origin is allowed (the origin is
 * echoed then); a request without Origin gets none, as it is not a cross-origin browser request.
 */
export function corsHeaders(req: IncomingMessage, policy: CorsPolicy): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined || !policy.allows(origin)) return { Vary: "Origin" };
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Expose-Headers": EXPOSE_HEADERS,
    Vary: "Origin",
  };
}

export function preflightHeaders(req: IncomingMessage, policy: CorsPolicy): Record<string, string> {
  // Echoing the requested list also admits any X-Amzn-Bedrock-AgentCore-Runtime-Custom-* header.
  const requested = req.headers["access-control-request-headers"];
  const headers: Record<string, string> = {
    ...corsHeaders(req, policy),
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": requested && requested.trim() ? requested : ALLOW_HEADERS,
    "Access-Control-Max-Age": "600",
    Vary: "Origin, Access-Control-Request-Headers",
  };
  // Chrome's private network access check for a public page calling a loopback server: only when asked for.
  if (policy.allowPrivateNetwork && req.headers["access-control-request-private-network"] === "true") {
    headers["Access-Control-Allow-Private-Network"] = "true";
  }
  return headers;
}
