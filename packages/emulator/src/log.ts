import { FAULT_HEADER, SESSION_HEADER } from "./headers";
import type { LogSink, RecordedRequest } from "./types";

/** Schemes worth naming in a log line, by their lower-cased spelling. */
const KNOWN_SCHEMES = new Map(["Bearer", "Basic", "AWS4-HMAC-SHA256", "Digest"].map((name) => [name.toLowerCase(), name]));

/**
 * Names the credential scheme only, and only a known one: anything else (a bare key such as `sk_live_…`, a
 * token glued to its scheme) is "unknown", so no credential character ever reaches a log line.
 */
export function authSummary(authorization: string | undefined): string {
  if (!authorization?.trim()) return "none";
  const first = authorization.trim().split(/\s+/)[0] ?? "";
  return `${KNOWN_SCHEMES.get(first.toLowerCase()) ?? "unknown"} [redacted]`;
}

/**
 * Query parameters whose values are logged (lower-cased names): those the emulator reads, none of them a secret.
 * Any other value may be one: a presigned URL's X-Amz-Credential, X-Amz-Security-Token and X-Amz-Signature (the
 * URL replays for up to 300 s), an `access_token`, a custom header's value.
 */
const LOGGED_QUERY = new Set(
  ["qualifier", "accountId", "shellId", SESSION_HEADER, FAULT_HEADER, "X-Amz-Algorithm", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders"].map((name) =>
    name.toLowerCase(),
  ),
);

/** The query as logged: every name, the values of LOGGED_QUERY, `[redacted]` for the rest. */
function loggedQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([name, value]) => `${encodeURIComponent(name)}=${LOGGED_QUERY.has(name.toLowerCase()) ? encodeURIComponent(value) : "[redacted]"}`)
    .join("&");
}

/** A presigned SigV4 URL carries its credential in the query, not in Authorization. */
function isPresigned(query: Record<string, string>): boolean {
  return Object.keys(query).some((name) => name.toLowerCase() === "x-amz-algorithm");
}

/** A WebSocket upgrade from a browser carries its bearer token as a subprotocol, not in Authorization. */
function isSubprotocolBearer(headers: RecordedRequest["headers"]): boolean {
  return (headers["sec-websocket-protocol"] ?? "").includes("base64UrlBearerAuthorization.");
}

/** The auth a request used, by scheme: "Bearer [redacted]", "AWS4-HMAC-SHA256 (presigned)", "none", … */
function authOf(record: RecordedRequest): string {
  if (record.headers.authorization === undefined) {
    if (isPresigned(record.query)) return "AWS4-HMAC-SHA256 (presigned)";
    if (isSubprotocolBearer(record.headers)) return "Bearer (subprotocol) [redacted]";
  }
  return authSummary(record.headers.authorization);
}

/** One line per request: time, method, path, status, duration, operation, session, request id, auth scheme, fault. */
export function formatLogLine(record: RecordedRequest, durationMs: number): string {
  const query = loggedQuery(record.query);
  const auth = authOf(record);
  const parts = [
    new Date().toISOString(),
    record.method,
    query ? `${record.path}?${query}` : record.path,
    String(record.status),
    `${durationMs}ms`,
    `op=${record.op}`,
    // as JSON when it is anything but plain printable text, so a value cannot forge a line of its own
    `session=${record.sessionId === undefined ? "-" : /^[\x21-\x7e]+$/.test(record.sessionId) ? record.sessionId : JSON.stringify(record.sessionId)}`,
    `requestId=${record.requestId}`,
    `auth=${JSON.stringify(auth)}`,
  ];
  if (record.fault) parts.push(`fault=${record.fault}`);
  return parts.join(" ");
}

export function writeLog(sink: LogSink, line: string): void {
  if (typeof sink === "function") sink(line);
  else sink.write(`${line}\n`);
}
