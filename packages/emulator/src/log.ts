import type { LogSink, RecordedRequest } from "./types";

/** Names the credential scheme only: a bearer token or signature never reaches a log line. */
function authSummary(authorization: string | undefined): string {
  if (!authorization) return "none";
  const scheme = authorization.trim().split(/\s+/)[0] ?? "";
  return `${scheme.slice(0, 20)} [redacted]`;
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
    `session=${record.sessionId ?? "-"}`,
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
