import type { HttpResponse } from "@smithy/protocol-http";
import { utf8Bytes, utf8Text } from "./bytes";
import { clipText, redact, type Secrets } from "./redact";
import type { SseEvent } from "./sse";

export { redact } from "./redact";

/** Response metadata on every output and on errors that got as far as a response. */
export interface ResponseMetadata {
  /** The HTTP status of the last response. */
  httpStatusCode?: number | undefined;
  /** The service's request id (`x-amzn-RequestId`) of the last response. */
  requestId?: string | undefined;
  /** Requests sent, the first included. */
  attempts?: number | undefined;
  /** Milliseconds spent waiting between attempts. */
  totalRetryDelay?: number | undefined;
}

/** The `$metadata` of a command's output: the call got its response, so only `requestId` may be missing. */
export interface OutputMetadata extends ResponseMetadata {
  httpStatusCode: number;
  attempts: number;
  totalRetryDelay: number;
}

/** What an error class's constructor takes: the SDK fills it from a response or a failure; tests and middleware may too. */
export interface AgentRuntimeErrorOptions {
  /** The error's `name`; default the class's own, else `AgentRuntimeError`. */
  name?: string | undefined;
  /** The message; the credentials in `secrets` are removed from it. */
  message: string;
  /** The HTTP status, when a response carried the error. */
  statusCode?: number | undefined;
  /** The service's error type, or the agent's own (`error_type`). */
  errorType?: string | undefined;
  /** The service's request id, when a response carried the error. */
  requestId?: string | undefined;
  /** Default `server` for a status of 500 or more, else `client`. */
  $fault?: "client" | "server" | undefined;
  /** The call's response metadata; default `{}`. */
  $metadata?: ResponseMetadata | undefined;
  /** Whether trying again may succeed; default false. */
  retryable?: boolean | undefined;
  /** The underlying failure (a provider's error, a Node error), kept as the error's `cause`. */
  cause?: unknown | undefined;
  /** The response: kept as a frozen snapshot (status, headers, the bytes read), never the live object. */
  $response?: HttpResponse | ResponseSnapshot | undefined;
  /** The bytes of the response body that were read, for the snapshot. */
  responseBody?: Uint8Array | undefined;
  /** Extra body fields copied onto the error (e.g. `reason`, `fieldList`). */
  fields?: Record<string, unknown> | undefined;
  /** The call's known credentials (opaque tokens too), removed from the message, fields, cause and `$response`. */
  secrets?: Secrets | undefined;
}

/** What an error keeps of the HTTP response: no socket, no request, no stream. */
export interface ResponseSnapshot {
  /** The response's HTTP status. */
  readonly statusCode: number;
  /** The HTTP reason phrase, where the platform gives one. */
  readonly reason?: string | undefined;
  /** The response headers with string values, credentials removed. */
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

// A registry-wide symbol so `isInstance` and `instanceof` work across two copies of this package in one process
// (the CommonJS and the ESM build, or two versions in node_modules).
const BRAND = Symbol.for("@agentcore-runtime/client.AgentRuntimeError");

/**
 * Every error this SDK throws: service errors, in-band agent errors and client-side failures.
 *
 * Its fields are typed; fields a server adds to an error body beyond the known ones are still copied onto the
 * error at runtime: read one with a cast, `(error as AgentRuntimeError & { detail?: string }).detail`.
 */
export class AgentRuntimeError extends Error {
  /**
   * The brand `isInstance` checks: a registry-wide symbol, so it survives two copies of the package.
   *
   * @internal
   */
  declare readonly [BRAND]: true;
  /** The HTTP status of the response that carried the error; absent for client-side failures before a response. */
  statusCode?: number;
  /** The service's error type, or the agent's own (`error_type`) for an in-band or 424/500 agent error. */
  errorType?: string;
  /** The service's request id (`x-amzn-RequestId`), when a response had one: quote it to AWS support. */
  requestId?: string;
  /** `client` for 4xx responses and client-side failures, `server` for 5xx responses and in-band agent errors. */
  $fault: "client" | "server";
  /** The call's HTTP status, request id, attempts and total retry delay, as far as it got. */
  $metadata: ResponseMetadata;
  /** Whether the client's retry rules would try this failure again for the call's operation (see RETRIES.md). */
  retryable: boolean;
  /**
   * A frozen snapshot of the response (status, headers, the bytes read, credentials removed); not enumerable, so
   * logging or serialising the error leaves it out.
   */
  declare readonly $response?: ResponseSnapshot;
  /** The session the call used, on errors raised while a response was being read (streams). */
  declare sessionId?: string;
  /** The agent's raw `error` value, on an in-band agent error. */
  declare error?: unknown;
  /** A blocking `ExecuteCommandCommand` attaches the output that arrived before whatever error it raises. */
  declare stdout?: string;
  /** The standard error that arrived before the error, beside `stdout`. */
  declare stderr?: string;
  /** A blocking `InvokeCommand` attaches the complete SSE events (and their joined text) read before its error. */
  declare events?: SseEvent[];
  /** The body text: the SSE events' joined `text`, or the raw body of an `InvalidResponseError`. */
  declare text?: string;

  constructor(options: AgentRuntimeErrorOptions) {
    const secrets = options.secrets ? [...options.secrets] : undefined;
    // a cause (a provider's error, a Node error) is redacted in place: the caller may compare it by identity
    super(redact(options.message, secrets), options.cause === undefined ? undefined : { cause: redact(options.cause, secrets) });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    if (options.fields) {
      const self = this as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(options.fields)) {
        if (!(key in this) && key !== "message" && key !== "name") self[key] = redact(value, secrets);
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

  /**
   * `instanceof` that also recognises errors from another copy of this package (CommonJS and ESM builds in one
   * process, two versions in node_modules), as the AWS SDK's `ServiceException` does: a real instance, or (for
   * this package's own classes) an error carrying the package's brand and the class's name.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this.prototype.isPrototypeOf(value as object)) return true;
    // an application's own subclass is matched by its prototype only (it has no errorName of its own)
    return (this === AgentRuntimeError || Object.hasOwn(this, "errorName")) && this.isInstance(value);
  }

  /** `name`, `message` and the enumerable fields, for `JSON.stringify` and loggers (never `$response` or a credential). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) out[key] = value;
    return out;
  }
}

/**
 * The static side of an error class of this package: `new`, `errorName`, `isInstance` and `instanceof`, both of
 * which also recognise errors thrown by another copy of the package.
 */
export interface AgentRuntimeErrorClass<T extends AgentRuntimeError> {
  new (options: AgentRuntimeErrorOptions): T;
  /** The prototype every instance inherits. */
  readonly prototype: T;
  /** The `name` every instance carries. */
  readonly errorName: string;
  /** True for errors of this class, also when thrown by another copy of this package. */
  isInstance(value: unknown): value is T;
  /** `instanceof`: also true for this class's errors thrown by another copy of this package. */
  [Symbol.hasInstance](value: unknown): value is T;
}

/**
 * Defines one error class: `class extends AgentRuntimeError` whose instances are named `name`, with a static
 * `errorName` (read by `isInstance`, `instanceof` and the constructor) and a function name that survives
 * minification. Pure: a bundle that never reaches a class drops it.
 */
function defineError<T extends AgentRuntimeError>(name: string): AgentRuntimeErrorClass<T> {
  // a class defined as a computed member is named by it: `ValidationException.name` survives minification
  return { [name]: class extends AgentRuntimeError {
    static override errorName = name;
  } }[name] as unknown as AgentRuntimeErrorClass<T>;
}

// Service errors (the `x-amzn-ErrorType` names).

/** HTTP 400: the request failed the service's validation. */
export interface ValidationException extends AgentRuntimeError {
  /** Always `ValidationException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ValidationException";
  /** The service's reason code, e.g. `FieldValidationFailed`. */
  reason?: string | undefined;
  /** The inputs that failed validation, each with the service's message. */
  fieldList?: { name: string; message: string }[] | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ValidationException = /* @__PURE__ */ defineError<ValidationException>("ValidationException");
/** HTTP 401: the bearer token was missing, expired or not accepted. */
export interface UnauthorizedException extends AgentRuntimeError {
  /** Always `UnauthorizedException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "UnauthorizedException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const UnauthorizedException = /* @__PURE__ */ defineError<UnauthorizedException>("UnauthorizedException");
/** HTTP 403. */
export interface AccessDeniedException extends AgentRuntimeError {
  /** Always `AccessDeniedException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "AccessDeniedException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const AccessDeniedException = /* @__PURE__ */ defineError<AccessDeniedException>("AccessDeniedException");
/** HTTP 404. */
export interface ResourceNotFoundException extends AgentRuntimeError {
  /** Always `ResourceNotFoundException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ResourceNotFoundException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ResourceNotFoundException = /* @__PURE__ */ defineError<ResourceNotFoundException>("ResourceNotFoundException");
/** HTTP 409. */
export interface ConflictException extends AgentRuntimeError {
  /** Always `ConflictException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ConflictException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ConflictException = /* @__PURE__ */ defineError<ConflictException>("ConflictException");
/** HTTP 409 that the service says may be retried. */
export interface RetryableConflictException extends AgentRuntimeError {
  /** Always `RetryableConflictException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "RetryableConflictException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const RetryableConflictException = /* @__PURE__ */ defineError<RetryableConflictException>("RetryableConflictException");
/** HTTP 402. */
export interface ServiceQuotaExceededException extends AgentRuntimeError {
  /** Always `ServiceQuotaExceededException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ServiceQuotaExceededException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ServiceQuotaExceededException = /* @__PURE__ */ defineError<ServiceQuotaExceededException>("ServiceQuotaExceededException");
/** HTTP 424: the agent's container failed; the agent's own error type, if any, is in `errorType`. */
export interface RuntimeClientError extends AgentRuntimeError {
  /** Always `RuntimeClientError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "RuntimeClientError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const RuntimeClientError = /* @__PURE__ */ defineError<RuntimeClientError>("RuntimeClientError");
/** HTTP 429. */
export interface ThrottlingException extends AgentRuntimeError {
  /** Always `ThrottlingException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ThrottlingException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ThrottlingException = /* @__PURE__ */ defineError<ThrottlingException>("ThrottlingException");
/** HTTP 500. */
export interface InternalServerException extends AgentRuntimeError {
  /** Always `InternalServerException`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "InternalServerException";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const InternalServerException = /* @__PURE__ */ defineError<InternalServerException>("InternalServerException");

/** Names of client-side failures, each distinct so callers can branch on `error.name`; each has its class. */
export const ClientErrorNames = {
  /** `runtimeArn` (or the runtime id and `accountId`) could not be parsed. */
  invalidArn: "InvalidArnError",
  /** An input or option failed validation before anything was sent. */
  invalidParameter: "InvalidParameterError",
  /** Plain http to a host that is not loopback, without `allowInsecureHttp`. */
  insecureEndpoint: "InsecureEndpointError",
  /** No endpoint could be resolved. */
  endpoint: "EndpointError",
  /** No usable bearer token. */
  token: "TokenProviderError",
  /** The caller aborted, a stream was cancelled or the client was destroyed. */
  aborted: "AbortError",
  /** No connection within `connectionTimeout`. */
  connectionTimeout: "ConnectionTimeoutError",
  /** No response headers within `requestTimeout`. */
  requestTimeout: "RequestTimeoutError",
  /** No body data for `idleTimeout` ms. */
  idleTimeout: "IdleTimeoutError",
  /** The call outlived its `deadline`, or the caller's signal timed out. */
  deadline: "DeadlineExceededError",
  /** The connection failed. */
  network: "NetworkError",
  /** A malformed event-stream frame. */
  framing: "EventStreamFramingError",
  /** A stream ended early. */
  truncated: "TruncatedStreamError",
  /** A response stream was iterated a second time. */
  streamConsumed: "StreamAlreadyConsumedError",
  /** The response was not what its headers promised. */
  response: "InvalidResponseError",
  /** A response crossed `maxEventBytes` or `maxResponseBytes`. */
  limit: "ResponseLimitExceededError",
  /** A WebSocket (or shell) closed abnormally: 1006, 1008, 1009, 1011, 4000 and others (`code`, `reason`). */
  webSocketClosed: "WebSocketClosedError",
} as const;

/** The `name` of a client-side failure. */
export type ClientErrorName = (typeof ClientErrorNames)[keyof typeof ClientErrorNames];

// Client-side failures.

/** `runtimeArn` (or the runtime id and `accountId`) could not be parsed. */
export interface InvalidArnError extends AgentRuntimeError {
  /** Always `InvalidArnError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "InvalidArnError";
  /** The input that was wrong, e.g. `runtimeArn`. */
  field?: string | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const InvalidArnError = /* @__PURE__ */ defineError<InvalidArnError>(ClientErrorNames.invalidArn);
/** An input or option failed validation before anything was sent. */
export interface InvalidParameterError extends AgentRuntimeError {
  /** Always `InvalidParameterError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "InvalidParameterError";
  /** The input or option that was wrong, e.g. `sessionId`, `headers`, `payload`, `requestTimeout`. */
  field?: string | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const InvalidParameterError = /* @__PURE__ */ defineError<InvalidParameterError>(ClientErrorNames.invalidParameter);
/** Plain http to a host that is not loopback, without `allowInsecureHttp`. */
export interface InsecureEndpointError extends AgentRuntimeError {
  /** Always `InsecureEndpointError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "InsecureEndpointError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const InsecureEndpointError = /* @__PURE__ */ defineError<InsecureEndpointError>(ClientErrorNames.insecureEndpoint);
/** No endpoint could be resolved: a bad `endpoint` URL, a bad or missing region. */
export interface EndpointError extends AgentRuntimeError {
  /** Always `EndpointError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "EndpointError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const EndpointError = /* @__PURE__ */ defineError<EndpointError>(ClientErrorNames.endpoint);
/** No usable bearer token: the token provider failed, returned nothing usable, or the token is malformed. */
export interface TokenProviderError extends AgentRuntimeError {
  /** Always `TokenProviderError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "TokenProviderError";
  /** `bearerToken` when a command's token is malformed. */
  field?: string | undefined;
  /** The OAuth token endpoint's HTTP status, when it refused. */
  tokenEndpointStatus?: number | undefined;
  /** The OAuth `error` code the token endpoint returned. */
  oauthError?: string | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const TokenProviderError = /* @__PURE__ */ defineError<TokenProviderError>(ClientErrorNames.token);
/** The caller's `abortSignal` aborted (its reason is the `cause`), a stream was cancelled, or the client was destroyed. */
export interface AbortError extends AgentRuntimeError {
  /** Always `AbortError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "AbortError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const AbortError = /* @__PURE__ */ defineError<AbortError>(ClientErrorNames.aborted);
/** No connection within `connectionTimeout`; nothing was sent, so it is retried. */
export interface ConnectionTimeoutError extends AgentRuntimeError {
  /** Always `ConnectionTimeoutError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ConnectionTimeoutError";
  /** `ETIMEDOUT` when an HTTP connection timed out; absent when a WebSocket upgrade did. */
  code?: string | undefined;
  /** Always true: nothing was sent, so trying again is safe. */
  beforeResponse?: boolean | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ConnectionTimeoutError = /* @__PURE__ */ defineError<ConnectionTimeoutError>(ClientErrorNames.connectionTimeout);
/** No response headers within `requestTimeout` (or the idle timeout when none is set). */
export interface RequestTimeoutError extends AgentRuntimeError {
  /** Always `RequestTimeoutError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "RequestTimeoutError";
  /** The request waited for a free pooled connection and was never sent. */
  neverSent?: boolean | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const RequestTimeoutError = /* @__PURE__ */ defineError<RequestTimeoutError>(ClientErrorNames.requestTimeout);
/** No body data for `idleTimeout` ms. */
export interface IdleTimeoutError extends AgentRuntimeError {
  /** Always `IdleTimeoutError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "IdleTimeoutError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const IdleTimeoutError = /* @__PURE__ */ defineError<IdleTimeoutError>(ClientErrorNames.idleTimeout);
/**
 * The call did not finish within its `deadline`, or the caller's `abortSignal` timed out (`AbortSignal.timeout()`;
 * its `TimeoutError` reason is the `cause`).
 */
export interface DeadlineExceededError extends AgentRuntimeError {
  /** Always `DeadlineExceededError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "DeadlineExceededError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const DeadlineExceededError = /* @__PURE__ */ defineError<DeadlineExceededError>(ClientErrorNames.deadline);
/** The connection failed: before a response (`beforeResponse`) or while its body streamed. */
export interface NetworkError extends AgentRuntimeError {
  /** Always `NetworkError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "NetworkError";
  /** The errno code, e.g. `ECONNRESET`, when the platform gave one. */
  code?: string | undefined;
  /** True when the connection failed before any response byte (the request may not have reached the agent). */
  beforeResponse?: boolean | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const NetworkError = /* @__PURE__ */ defineError<NetworkError>(ClientErrorNames.network);
/** An event-stream frame (a command stream) is malformed: bad prelude, CRC, header or length. */
export interface EventStreamFramingError extends AgentRuntimeError {
  /** Always `EventStreamFramingError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "EventStreamFramingError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const EventStreamFramingError = /* @__PURE__ */ defineError<EventStreamFramingError>(ClientErrorNames.framing);
/** A stream ended early: an SSE body inside an event, or a command stream without its `contentStop`. */
export interface TruncatedStreamError extends AgentRuntimeError {
  /** Always `TruncatedStreamError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "TruncatedStreamError";
  /** The unfinished SSE event's lines (`event: …`, `data: …`), when an SSE body ended inside one. */
  partial?: string | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const TruncatedStreamError = /* @__PURE__ */ defineError<TruncatedStreamError>(ClientErrorNames.truncated);
/** A response stream was iterated a second time (streams can be read once). */
export interface StreamAlreadyConsumedError extends AgentRuntimeError {
  /** Always `StreamAlreadyConsumedError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "StreamAlreadyConsumedError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const StreamAlreadyConsumedError = /* @__PURE__ */ defineError<StreamAlreadyConsumedError>(ClientErrorNames.streamConsumed);
/** The response was not what its headers promised (e.g. invalid JSON, an unknown body type). */
export interface InvalidResponseError extends AgentRuntimeError {
  /** Always `InvalidResponseError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "InvalidResponseError";
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const InvalidResponseError = /* @__PURE__ */ defineError<InvalidResponseError>(ClientErrorNames.response);
/** A response crossed `maxEventBytes` or `maxResponseBytes`; the body was cancelled. */
export interface ResponseLimitExceededError extends AgentRuntimeError {
  /** Always `ResponseLimitExceededError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "ResponseLimitExceededError";
  /** The option that was crossed. */
  limit?: "maxEventBytes" | "maxResponseBytes" | undefined;
  /** Its value, in bytes. */
  limitBytes?: number | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const ResponseLimitExceededError = /* @__PURE__ */ defineError<ResponseLimitExceededError>(ClientErrorNames.limit);
/** A WebSocket or shell connection closed abnormally after its upgrade (1000 is a normal end, not an error). */
export interface WebSocketClosedError extends AgentRuntimeError {
  /** Always `WebSocketClosedError`: the name `isInstance`, `instanceof` and a `switch` on `name` go by. */
  readonly name: "WebSocketClosedError";
  /** The close code: 1001 going away, 1006 dropped, 1008 policy, 1009 too big, 1011 server error, 4000 taken over, … */
  code?: number | undefined;
  /** The close reason the server sent (may be empty). */
  reason?: string | undefined;
}
/** The class: `isInstance` and `instanceof` also match these errors thrown by another copy of this package. */
export const WebSocketClosedError = /* @__PURE__ */ defineError<WebSocketClosedError>(ClientErrorNames.webSocketClosed);

/** The instance type of each client-side failure, by name. */
export interface ClientErrorsByName {
  InvalidArnError: InvalidArnError;
  InvalidParameterError: InvalidParameterError;
  InsecureEndpointError: InsecureEndpointError;
  EndpointError: EndpointError;
  TokenProviderError: TokenProviderError;
  AbortError: AbortError;
  ConnectionTimeoutError: ConnectionTimeoutError;
  RequestTimeoutError: RequestTimeoutError;
  IdleTimeoutError: IdleTimeoutError;
  DeadlineExceededError: DeadlineExceededError;
  NetworkError: NetworkError;
  EventStreamFramingError: EventStreamFramingError;
  TruncatedStreamError: TruncatedStreamError;
  StreamAlreadyConsumedError: StreamAlreadyConsumedError;
  InvalidResponseError: InvalidResponseError;
  ResponseLimitExceededError: ResponseLimitExceededError;
  WebSocketClosedError: WebSocketClosedError;
}

/** What `classFor` returns: one of the classes above, or `AgentRuntimeError` itself. */
type AnyErrorClass = { new (options: AgentRuntimeErrorOptions): AgentRuntimeError; readonly errorName?: string };

/** Every class above, looked up by `errorName` (errors are rare: a scan of 26 costs nothing). */
const CLASSES: AnyErrorClass[] = [
  ValidationException,
  UnauthorizedException,
  AccessDeniedException,
  ResourceNotFoundException,
  ConflictException,
  RetryableConflictException,
  ServiceQuotaExceededException,
  RuntimeClientError,
  ThrottlingException,
  InternalServerException,
  InvalidArnError,
  InvalidParameterError,
  InsecureEndpointError,
  EndpointError,
  TokenProviderError,
  AbortError,
  ConnectionTimeoutError,
  RequestTimeoutError,
  IdleTimeoutError,
  DeadlineExceededError,
  NetworkError,
  EventStreamFramingError,
  TruncatedStreamError,
  StreamAlreadyConsumedError,
  InvalidResponseError,
  ResponseLimitExceededError,
  WebSocketClosedError,
];
/** The class whose instances carry `name`; `AgentRuntimeError` for any other name (an agent's own error type). */
export function classFor(name: string): AnyErrorClass {
  return CLASSES.find((c) => c.errorName === name) ?? AgentRuntimeError;
}

/** A client-side failure: an instance of the class named `name` (`InvalidArnError`, `AbortError`, …). */
export function clientError<N extends ClientErrorName>(name: N, message: string, extra: Partial<AgentRuntimeErrorOptions> = {}): ClientErrorsByName[N] {
  const Class = classFor(name);
  return new Class({ ...extra, name, message, $fault: "client" }) as ClientErrorsByName[N];
}

/**
 * What the caller's `abortSignal` aborting becomes: a timed-out signal (`AbortSignal.timeout()`, whose reason is
 * a `TimeoutError`) is a timeout, `DeadlineExceededError`; any other abort is `AbortError`. The reason is the cause.
 */
export function callerAbortError(reason: unknown): AbortError | DeadlineExceededError {
  return (reason as { name?: unknown } | null)?.name === "TimeoutError"
    ? clientError(ClientErrorNames.deadline, "The abort signal timed out", { cause: reason })
    : clientError(ClientErrorNames.aborted, "The request was aborted", { cause: reason });
}

/** The class of an error response that names no error type, by its HTTP status. */
const STATUS_CLASSES: Record<number, AnyErrorClass> = {
  400: ValidationException,
  401: UnauthorizedException,
  402: ServiceQuotaExceededException,
  403: AccessDeniedException,
  404: ResourceNotFoundException,
  409: ConflictException,
  424: RuntimeClientError,
  429: ThrottlingException,
  500: InternalServerException,
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
  const bodyBytes = typeof body === "string" ? utf8Bytes(body) : body;
  const bodyText = typeof body === "string" ? body : utf8Text(body);
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
  let Class = known === undefined ? STATUS_CLASSES[status] ?? AgentRuntimeError : classFor(known);
  if (status === 409 && !known && /retry/i.test(String(parsedBody?.message ?? bodyText))) Class = RetryableConflictException;
  let message = str(parsedBody?.message) ?? str(parsedBody?.Message) ?? str(parsedBody?.error);
  if (!message) {
    const plain = trimmed
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim();
    message = plain ? `HTTP ${status}: ${clipText(plain, 300)}` : `HTTP ${status}${response.reason ? ` ${response.reason}` : ""}`;
  }
  const fields: Record<string, unknown> = {};
  if (parsedBody) {
    for (const [key, value] of Object.entries(parsedBody)) {
      if (!["message", "Message", "code", "__type"].includes(key)) fields[key] = value;
    }
  }
  const retryable = ([ThrottlingException, RetryableConflictException, InternalServerException] as AnyErrorClass[]).includes(Class) || [429, 502, 503, 504].includes(status);
  return new Class({
    name: known ?? Class.errorName ?? "AgentRuntimeError",
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
