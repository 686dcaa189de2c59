import type { HttpResponse } from "@smithy/protocol-http";
import { redact, type Secrets } from "./redact";

export { redact } from "./redact";

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
  /** The response: kept as a frozen snapshot (status, headers, the bytes read), never the live object. */
  $response?: HttpResponse | ResponseSnapshot;
  /** The bytes of the response body that were read, for the snapshot. */
  responseBody?: Uint8Array;
  /** Extra body fields copied onto the error (e.g. `reason`, `fieldList`). */
  fields?: Record<string, unknown>;
  /** The call's known credentials (opaque tokens too), removed from the message, fields, cause and `$response`. */
  secrets?: Secrets;
}

/** What an error keeps of the HTTP response: no socket, no request, no stream. */
export interface ResponseSnapshot {
  readonly statusCode: number;
  readonly reason?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The bytes read (an error body is read whole, up to its limit), credentials removed. */
  readonly body: Uint8Array;
}

/** A frozen, redacted copy of what a response carried; its live body (a socket's stream) is not kept. */
export function responseSnapshot(response: HttpResponse | ResponseSnapshot, body: Uint8Array | undefined, secrets?: Secrets): ResponseSnapshot {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers ?? {})) if (typeof value === "string") headers[key] = redact(value, secrets);
  const bytes = body ?? (response.body instanceof Uint8Array ? response.body : new Uint8Array(0));
  const snapshot: { statusCode: number; reason?: string; headers: Record<string, string>; body: Uint8Array } = {
    statusCode: response.statusCode,
    headers: Object.freeze(headers) as Record<string, string>,
    body: redact(bytes, secrets),
  };
  if (typeof response.reason === "string") snapshot.reason = redact(response.reason, secrets);
  return Object.freeze(snapshot);
}

// A registry-wide symbol so `isInstance` works across two copies of this package in one process.
const BRAND = Symbol.for("@agentcore-runtime/client.AgentRuntimeError");

/** Every error this SDK throws: service errors, in-band agent errors and client-side failures. */
export class AgentRuntimeError extends Error {
  declare readonly [BRAND]: true;
  statusCode?: number;
  errorType?: string;
  requestId?: string;
  $fault: "client" | "server";
  $metadata: ResponseMetadata;
  retryable: boolean;
  declare readonly $response?: ResponseSnapshot;
  [field: string]: unknown;

  constructor(options: AgentRuntimeErrorOptions) {
    const secrets = options.secrets ? [...options.secrets] : undefined;
    // a cause (a provider's error, a Node error) is redacted in place: the caller may compare it by identity
    super(redact(options.message, secrets), options.cause === undefined ? undefined : { cause: redact(options.cause, secrets) });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    if (options.fields) {
      for (const [key, value] of Object.entries(options.fields)) {
        if (!(key in this) && key !== "message" && key !== "name") this[key] = redact(value, secrets);
      }
    }
    // every string here may come from a server (headers, body): none may carry a credential
    this.name = redact(options.name ?? (new.target as { errorName?: string }).errorName ?? "AgentRuntimeError", secrets);
    this.statusCode = options.statusCode;
    this.errorType = redact(options.errorType, secrets);
    this.requestId = redact(options.requestId, secrets);
    this.$fault = options.$fault ?? (options.statusCode !== undefined && options.statusCode >= 500 ? "server" : "client");
    this.$metadata = redact(options.$metadata ?? {}, secrets);
    this.retryable = options.retryable ?? false;
    const $response = options.$response === undefined ? undefined : responseSnapshot(options.$response, options.responseBody, secrets);
    Object.defineProperty(this, "$response", { value: $response, enumerable: false, writable: true, configurable: true });
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
  /** A response crossed `maxEventBytes` or `maxResponseBytes`. */
  limit: "ResponseLimitExceededError",
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

/**
 * Builds the typed error for an HTTP error response whose body has been read in full (`body`: its text, or the
 * bytes read). `secrets` are the call's credentials, removed wherever the server may have echoed them.
 */
export function errorFromResponse(response: HttpResponse, body: string | Uint8Array, $metadata: ResponseMetadata, secrets?: Secrets): AgentRuntimeError {
  const status = response.statusCode;
  const bodyBytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const bodyText = typeof body === "string" ? body : new TextDecoder().decode(body);
  let parsedBody: Record<string, unknown> | undefined;
  const trimmed = bodyText.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) parsedBody = parsed as Record<string, unknown>;
    } catch {
      // not JSON after all: treated as text below
    }
  }
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const typeFromHeader = sanitizeErrorType(headerValue(response.headers, "x-amzn-errortype"));
  const typeFromBody = sanitizeErrorType(str(parsedBody?.code) ?? str(parsedBody?.__type));
  const agentType = str(parsedBody?.error_type);
  const known = typeFromHeader ?? typeFromBody;
  // the service's status decides the class; an agent's own error type (424/500 bodies) stays in errorType
  let name = known ?? STATUS_NAMES[status];
  if (status === 409 && !known && /retry/i.test(String(parsedBody?.message ?? bodyText))) name = "RetryableConflictException";
  let message = str(parsedBody?.message) ?? str(parsedBody?.Message) ?? str(parsedBody?.error);
  if (!message) {
    const plain = trimmed
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    message = plain ? `HTTP ${status}: ${plain.slice(0, 300)}` : `HTTP ${status}${response.reason ? ` ${response.reason}` : ""}`;
  }
  const fields: Record<string, unknown> = {};
  if (parsedBody) {
    for (const [key, value] of Object.entries(parsedBody)) {
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
    responseBody: bodyBytes,
    fields,
    secrets,
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
