import { clientError, ClientErrorNames } from "./errors";

export const LIMITS = {
  sessionId: [33, 256],
  clientToken: [33, 256],
  command: [1, 65536],
  timeout: [1, 3600],
  payloadBytes: 100_000_000,
  userId: [1, 1024],
  mcp: [1, 1024],
  traceInvoke: 128,
  traceCommands: 1024,
  tracestate: 512,
  baggage: 8192,
} as const;

function invalid(field: string, message: string): never {
  throw clientError(ClientErrorNames.invalidParameter, message, { fields: { field } });
}

// Any C0 control or DEL: CR/LF would split the request, the others are rejected by HTTP stacks later anyway.
const CONTROL = /[\u0000-\u001f\u007f]/;
// Header values must be representable as Latin-1 bytes on the wire.
const NON_LATIN1 = /[^\u0000-\u00ff]/;

export function checkHeaderValue(field: string, value: unknown): string {
  if (typeof value !== "string") invalid(field, `${field} must be a string`);
  if (CONTROL.test(value)) invalid(field, `${field} contains a control character (CR, LF or similar), which is not allowed in an HTTP header`);
  if (NON_LATIN1.test(value)) invalid(field, `${field} contains characters outside ISO-8859-1, which cannot be sent in an HTTP header`);
  return value;
}

export function checkHeaderName(name: string): void {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) invalid("headers", `'${name.replace(CONTROL, "?")}' is not a valid HTTP header name`);
}

export function checkLength(field: string, value: string, min: number, max: number): void {
  if (value.length < min || value.length > max) {
    const hint = field === "sessionId" ? " (session ids must be 33–256 characters; a UUID is 36)" : "";
    invalid(field, `${field} must be ${min}–${max} characters long, got ${value.length}${hint}`);
  }
}

export function checkOptionalHeader(field: string, value: unknown, min: number, max: number): string | undefined {
  if (value === undefined) return undefined;
  const text = checkHeaderValue(field, value);
  checkLength(field, text, min, max);
  return text;
}

/** Bearer tokens: visible ASCII only. The error never includes the token itself. */
export function checkToken(token: unknown): string {
  if (typeof token !== "string" || token.length === 0) {
    throw clientError(ClientErrorNames.token, "The bearer token is empty or not a string");
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw clientError(ClientErrorNames.token, "The bearer token contains whitespace, control or non-ASCII characters (CR/LF are never allowed in a header)", {
      fields: { field: "bearerToken" },
    });
  }
  return token;
}

export function checkCommand(command: unknown): string {
  if (typeof command !== "string") invalid("command", "command must be a string");
  checkLength("command", command, LIMITS.command[0], LIMITS.command[1]);
  return command;
}

export function checkTimeout(timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < LIMITS.timeout[0] || timeout > LIMITS.timeout[1]) {
    invalid("timeout", `timeout must be a whole number of seconds from ${LIMITS.timeout[0]} to ${LIMITS.timeout[1]}, got ${String(timeout)}`);
  }
  return timeout;
}

const CLIENT_TOKEN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$/;
export function checkClientToken(token: unknown): string {
  if (typeof token !== "string") invalid("clientToken", "clientToken must be a string");
  checkLength("clientToken", token, LIMITS.clientToken[0], LIMITS.clientToken[1]);
  if (!CLIENT_TOKEN.test(token)) invalid("clientToken", "clientToken may contain only letters, digits and single or repeated dashes between them");
  return token;
}

export function checkPayloadSize(bytes: number): void {
  if (bytes > LIMITS.payloadBytes) {
    invalid("payload", `payload is ${bytes} bytes; the service accepts at most ${LIMITS.payloadBytes}`);
  }
}
