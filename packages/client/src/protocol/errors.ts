import type { HttpResponse } from "@smithy/protocol-http";

/** Response metadata on every output and on errors that got as far as a response. */
export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
  totalRetryDelay?: number;
}

export interface AgentRuntimeErrorOptions {
  name?: string;
  message: string;
  statusCode?: number;
  errorType?: string;
  requestId?: string;
  $fault?: "client" | "server";
  $metadata?: ResponseMetadata;
  retryable?: boolean;
  cause?: unknown;
  $response?: HttpResponse;
  /** Extra body fields copied onto the error (e.g. `reason`, `fieldList`). */
  fields?: Record<string, unknown>;
}

// A registry-wide symbol so `isInstance` works across two copies of this package in one process.
const BRAND = Symbol.for("@agentcore-runtime/client.AgentRuntimeError");

const TOKEN_PATTERNS: RegExp[] = [
  // a credential after "Bearer": 8+ token characters with at least one digit or symbol, so prose ("bearer token") survives
  /(\b[Bb]earer\s+)(?=[A-Za-z]*[0-9\-._~+/=])[A-Za-z0-9\-._~+/]{8,}=*/g,
  /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /(base64UrlBearerAuthorization\.)[A-Za-z0-9_-]+/g,
];

/** Removes anything shaped like a bearer credential from text that may end up in an error or a log line. */
export function redact(text: string): string {
  let out = text;
  for (const re of TOKEN_PATTERNS) out = out.replace(re, (_m, prefix?: string) => `${typeof prefix === "string" ? prefix : ""}[REDACTED]`);
  return out;
}

/** Replaces every occurrence of an exact secret (the call's own token, which may be opaque) in an error's text and fields. */
export function scrubSecret<T>(value: T, secret: string, depth = 0): T {
  if (secret.length < 8) return value;
  if (typeof value === "string") return (value.includes(secret) ? value.split(secret).join("[REDACTED]") : value) as T;
  if (depth > 3 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    value.forEach((item, i) => (value[i] = scrubSecret(item, secret, depth + 1)));
    return value;
  }
  for (const key of Object.keys(value)) {
    try {
      (value as Record<string, unknown>)[key] = scrubSecret((value as Record<string, unknown>)[key], secret, depth + 1);
    } catch {
      // a read-only field: left as it is
    }
  }
  if (value instanceof Error) {
    // message and stack are own but non-enumerable
    value.message = scrubSecret(value.message, secret);
    if (typeof value.stack === "string") value.stack = scrubSecret(value.stack, secret);
  }
  return value;
}

/** Body fields copied onto errors may echo credentials too (e.g. a gateway's debug output). */
function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redact(value);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  try {
    return JSON.parse(redact(JSON.stringify(value)));
  } catch {
    return value;
  }
}

/** Every error this SDK throws: service errors, in-band agent errors and client-side failures. */
export class AgentRuntimeError extends Error {
  declare readonly [BRAND]: true;
  statusCode?: number;
  errorType?: string;
  requestId?: string;
  $fault: "client" | "server";
  $metadata: ResponseMetadata;
  retryable: boolean;
  declare readonly $response?: HttpResponse;
  [field: string]: unknown;

  constructor(options: AgentRuntimeErrorOptions) {
    super(redact(options.message), options.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    if (options.fields) {
      for (const [key, value] of Object.entries(options.fields)) {
        if (!(key in this) && key !== "message" && key !== "name") this[key] = redactValue(value);
      }
    }
    this.name = options.name ?? (new.target as { errorName?: string }).errorName ?? "AgentRuntimeError";
    this.statusCode = options.statusCode;
    this.errorType = options.errorType;
    this.requestId = options.requestId;
    this.$fault = options.$fault ?? (options.statusCode !== undefined && options.statusCode >= 500 ? "server" : "client");
    this.$metadata = options.$metadata ?? {};
    this.retryable = options.retryable ?? false;
    Object.defineProperty(this, "$response", { value: options.$response, enumerable: false, writable: true });
    if (this.statusCode === undefined) delete this.statusCode;
    if (this.errorType === undefined) delete this.errorType;
    if (this.requestId === undefined) delete this.requestId;
  }

  /** The name instances of this class carry; the base class accepts any. */
  static get errorName(): string | undefined {
    return undefined;
  }

  /** True for errors of this class, also when thrown by another copy of this package. */
  static isInstance<T extends typeof AgentRuntimeError>(this: T, value: unknown): value is InstanceType<T> {
    if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
    const expected = this.errorName;
    return expected === undefined || (value as Error).name === expected;
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) out[key] = value;
    return out;
  }
}

export class ValidationException extends AgentRuntimeError {
  declare reason?: string;
  declare fieldList?: { name: string; message: string }[];
  static override get errorName() {
    return "ValidationException";
  }
}
export class UnauthorizedException extends AgentRuntimeError {
  static override get errorName() {
    return "UnauthorizedException";
  }
}
export class AccessDeniedException extends AgentRuntimeError {
  static override get errorName() {
    return "AccessDeniedException";
  }
}
export class ResourceNotFoundException extends AgentRuntimeError {
  static override get errorName() {
    return "ResourceNotFoundException";
  }
}
export class ConflictException extends AgentRuntimeError {
  static override get errorName() {
    return "ConflictException";
  }
}
export class RetryableConflictException extends AgentRuntimeError {
  static override get errorName() {
    return "RetryableConflictException";
  }
}
export class ServiceQuotaExceededException extends AgentRuntimeError {
  static override get errorName() {
    return "ServiceQuotaExceededException";
  }
}
export class RuntimeClientError extends AgentRuntimeError {
  static override get errorName() {
    return "RuntimeClientError";
  }
}
export class ThrottlingException extends AgentRuntimeError {
  static override get errorName() {
    return "ThrottlingException";
  }
}
export class InternalServerException extends AgentRuntimeError {
  static override get errorName() {
    return "InternalServerException";
  }
}

/** Names of client-side failures, each distinct so callers can branch on `error.name`. */
export const ClientErrorNames = {
  invalidArn: "InvalidArnError",
  invalidParameter: "InvalidParameterError",
  insecureEndpoint: "InsecureEndpointError",
  endpoint: "EndpointError",
  token: "TokenProviderError",
  aborted: "AbortError",
  connectionTimeout: "ConnectionTimeoutError",
  requestTimeout: "RequestTimeoutError",
  idleTimeout: "IdleTimeoutError",
  deadline: "DeadlineExceededError",
  network: "NetworkError",
  framing: "EventStreamFramingError",
  truncated: "TruncatedStreamError",
  streamConsumed: "StreamAlreadyConsumedError",
  response: "InvalidResponseError",
} as const;

export function clientError(
  name: (typeof ClientErrorNames)[keyof typeof ClientErrorNames],
  message: string,
  extra: Partial<AgentRuntimeErrorOptions> = {},
): AgentRuntimeError {
  return new AgentRuntimeError({ ...extra, name, message, $fault: "client" });
}

type ErrorClass = new (options: AgentRuntimeErrorOptions) => AgentRuntimeError;

function classFor(name: string): ErrorClass {
  switch (name) {
    case "ValidationException":
      return ValidationException;
    case "UnauthorizedException":
      return UnauthorizedException;
    case "AccessDeniedException":
      return AccessDeniedException;
    case "ResourceNotFoundException":
      return ResourceNotFoundException;
    case "ConflictException":
      return ConflictException;
    case "RetryableConflictException":
      return RetryableConflictException;
    case "ServiceQuotaExceededException":
      return ServiceQuotaExceededException;
    case "RuntimeClientError":
      return RuntimeClientError;
    case "ThrottlingException":
      return ThrottlingException;
    case "InternalServerException":
      return InternalServerException;
    default:
      return AgentRuntimeError;
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: "ValidationException",
  401: "UnauthorizedException",
  402: "ServiceQuotaExceededException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  409: "ConflictException",
  424: "RuntimeClientError",
  429: "ThrottlingException",
  500: "InternalServerException",
};

/** `x-amzn-ErrorType: Name:http://…` or `aws.protocol#Name` → `Name`. */
export function sanitizeErrorType(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let value = raw.trim();
  const colon = value.indexOf(":");
  if (colon >= 0) value = value.slice(0, colon);
  const comma = value.indexOf(",");
  if (comma >= 0) value = value.slice(0, comma);
  const hash = value.indexOf("#");
  if (hash >= 0) value = value.slice(hash + 1);
  return value.trim() || undefined;
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return headers[key];
  return undefined;
}

export { headerValue };

/** Builds the typed error for an HTTP error response whose body has been read in full. */
export function errorFromResponse(response: HttpResponse, bodyText: string, $metadata: ResponseMetadata): AgentRuntimeError {
  const status = response.statusCode;
  let body: Record<string, unknown> | undefined;
  const trimmed = bodyText.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      // not JSON after all: treated as text below
    }
  }
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const typeFromHeader = sanitizeErrorType(headerValue(response.headers, "x-amzn-errortype"));
  const typeFromBody = sanitizeErrorType(str(body?.code) ?? str(body?.__type));
  const agentType = str(body?.error_type);
  const known = typeFromHeader ?? typeFromBody;
  // the service's status decides the class; an agent's own error type (424/500 bodies) stays in errorType
  let name = known ?? STATUS_NAMES[status];
  if (status === 409 && !known && /retry/i.test(String(body?.message ?? bodyText))) name = "RetryableConflictException";
  let message = str(body?.message) ?? str(body?.Message) ?? str(body?.error);
  if (!message) {
    const plain = trimmed
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    message = plain ? `HTTP ${status}: ${plain.slice(0, 300)}` : `HTTP ${status}${response.reason ? ` ${response.reason}` : ""}`;
  }
  const fields: Record<string, unknown> = {};
  if (body) {
    for (const [key, value] of Object.entries(body)) {
      if (!["message", "Message", "code", "__type"].includes(key)) fields[key] = value;
    }
  }
  const Class = classFor(name ?? "");
  const retryable =
    name === "ThrottlingException" ||
    name === "RetryableConflictException" ||
    name === "InternalServerException" ||
    status === 429 ||
    status === 502 ||
    status === 503 ||
    status === 504;
  return new Class({
    name: name ?? "AgentRuntimeError",
    message,
    statusCode: status,
    errorType: known ?? agentType,
    requestId: headerValue(response.headers, "x-amzn-requestid"),
    $fault: status >= 500 ? "server" : "client",
    $metadata,
    retryable,
    $response: response,
    fields,
  });
}

/** An error delivered inside a successful stream: SSE `{"error",…}` or an event-stream exception/error frame. */
export function inBandError(name: string | undefined, message: string, extra: Partial<AgentRuntimeErrorOptions> = {}): AgentRuntimeError {
  const Class = classFor(name ?? "");
  return new Class({
    $fault: "server",
    retryable: false,
    ...extra,
    name: name ?? "AgentRuntimeError",
    message,
  });
}
