import { ValidationFailure } from "./errors";
import { SESSION_HEADER, USER_ID_HEADER } from "./headers";
import type { Operation } from "./types";

type Limit = [header: string, field: string, min: number, max: number];

// Header length constraints from the service model (PROTOCOL.md, Request headers).
const HEADER_LIMITS: Record<Operation, Limit[]> = {
  invocations: [
    [SESSION_HEADER, "runtimeSessionId", 33, 256],
    [USER_ID_HEADER, "runtimeUserId", 1, 1024],
    ["mcp-session-id", "mcpSessionId", 1, 1024],
    ["mcp-protocol-version", "mcpProtocolVersion", 1, 1024],
    ["mcp-method", "mcpMethod", 1, 1024],
    ["mcp-name", "mcpName", 1, 1024],
    ["x-amzn-trace-id", "traceId", 0, 128],
    ["traceparent", "traceParent", 0, 128],
    ["tracestate", "traceState", 0, 512],
    ["baggage", "baggage", 0, 8192],
  ],
  commands: [
    [SESSION_HEADER, "runtimeSessionId", 33, 256],
    ["x-amzn-trace-id", "traceId", 0, 1024],
    ["traceparent", "traceParent", 0, 1024],
    ["tracestate", "traceState", 0, 512],
    ["baggage", "baggage", 0, 8192],
  ],
  stopruntimesession: [[SESSION_HEADER, "runtimeSessionId", 33, 256]],
  ws: [[SESSION_HEADER, "runtimeSessionId", 33, 256]],
  shells: [[SESSION_HEADER, "runtimeSessionId", 33, 256]],
};

/** Throws ValidationFailure for a header outside its length range; stop also requires the session header. */
export function validateHeaders(op: Operation, headers: Record<string, string | undefined>): void {
  if (op === "stopruntimesession" && headers[SESSION_HEADER] === undefined) {
    throw ValidationFailure.field("runtimeSessionId", "Member must not be null");
  }
  for (const [header, field, min, max] of HEADER_LIMITS[op]) {
    const value = headers[header];
    if (value === undefined) continue;
    const failure = ValidationFailure.lengthRange(field, value.length, min, max);
    if (failure) throw failure;
  }
  // the service sets no pattern (33-256 characters), but a WebSocket's session id may come from the query string,
  // and it is written back into a response header and the log: no control characters or non-ASCII (which a header
  // cannot carry); a space inside is a header value's own
  const sessionId = headers[SESSION_HEADER];
  if (sessionId !== undefined && !/^[\x20-\x7e]+$/.test(sessionId)) {
    throw ValidationFailure.field("runtimeSessionId", "Member must contain printable ASCII characters only, no control characters");
  }
}

export interface CommandRequest {
  command: string;
  timeout: number;
}

/** Parses and checks a commands body: `{"command": 1–65536 chars, "timeout"?: integer 1–3600}` (default 300). */
export function parseCommandBody(body: Buffer): CommandRequest {
  const value = parseJson(body);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationFailure("Request body must be a JSON object", "CannotParse");
  }
  const { command, timeout } = value as Record<string, unknown>;
  if (command === undefined || command === null) throw ValidationFailure.field("command", "Member must not be null");
  if (typeof command !== "string") throw ValidationFailure.field("command", "Member must be a string");
  // in characters (code points), as the service's length constraint counts: an emoji is one
  const characters = command.length - (command.match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length ?? 0);
  const lengthFailure = ValidationFailure.lengthRange("command", characters, 1, 65536);
  if (lengthFailure) throw lengthFailure;
  if (timeout === undefined || timeout === null) return { command, timeout: 300 };
  if (typeof timeout !== "number" || !Number.isInteger(timeout)) throw ValidationFailure.field("timeout", "Member must be an integer");
  if (timeout < 1) throw ValidationFailure.field("timeout", "Member must have value greater than or equal to 1");
  if (timeout > 3600) throw ValidationFailure.field("timeout", "Member must have value less than or equal to 3600");
  return { command, timeout };
}

const CLIENT_TOKEN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$/;

/** Checks an optional stop body `{"clientToken"?: 33–256 chars}`; an empty body is fine. */
export function parseStopBody(body: Buffer): { clientToken?: string } {
  if (body.byteLength === 0 || body.toString("utf8").trim() === "") return {};
  const value = parseJson(body);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationFailure("Request body must be a JSON object", "CannotParse");
  }
  const { clientToken } = value as Record<string, unknown>;
  if (clientToken === undefined || clientToken === null) return {};
  if (typeof clientToken !== "string") throw ValidationFailure.field("clientToken", "Member must be a string");
  const lengthFailure = ValidationFailure.lengthRange("clientToken", clientToken.length, 33, 256);
  if (lengthFailure) throw lengthFailure;
  if (!CLIENT_TOKEN.test(clientToken)) {
    throw ValidationFailure.field("clientToken", "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}");
  }
  return { clientToken };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ValidationFailure("Could not parse request body into json: unexpected content", "CannotParse");
  }
}
