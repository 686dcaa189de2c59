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

/** One line per request: time, method, path, status, duration, operation, session, request id, auth scheme, fault. */
export function formatLogLine(record: RecordedRequest, durationMs: number): string {
  const query = new URLSearchParams(record.query).toString();
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
    `auth=${JSON.stringify(authSummary(record.headers.authorization))}`,
  ];
  if (record.fault) parts.push(`fault=${record.fault}`);
  return parts.join(" ");
}

export function writeLog(sink: LogSink, line: string): void {
  if (typeof sink === "function") sink(line);
  else sink.write(`${line}\n`);
}
