/**
 * Call Amazon Bedrock AgentCore Runtime with an OAuth/JWT bearer token: `RuntimeClient`, its commands (invoke as
 * JSON or SSE, execute commands, stop sessions), middleware, typed errors, token providers and real-time sockets.
 *
 * @module @agentcore-runtime/client
 */

export { RuntimeClient } from "./RuntimeClient";
export { RuntimeCommand } from "./Command";
export type { RuntimeContext, MetadataBearer, Operation } from "./Command";
export type { RuntimeClientConfig, SendOptions, TokenProvider, Logger, ContextLogger, ResolvedConfig } from "./types";
export type { RuntimeResponse } from "./protocol/transport";
export type { BodyReader } from "./protocol/body";

export { InvokeCommand } from "./commands/InvokeCommand";
export type { InvokeCommandInput, InvokeCommandOutput } from "./commands/InvokeCommand";
export type { InvokeInput } from "./commands/invokeSerde";
export { InvokeStreamCommand } from "./commands/InvokeStreamCommand";
export type { InvokeStreamCommandInput, InvokeStreamCommandOutput } from "./commands/InvokeStreamCommand";
export { ExecuteCommandCommand } from "./commands/ExecuteCommandCommand";
export type { ExecuteCommandCommandInput, ExecuteCommandCommandOutput } from "./commands/ExecuteCommandCommand";
export type { ExecuteInput } from "./commands/commandSerde";
export { ExecuteCommandStreamCommand } from "./commands/ExecuteCommandStreamCommand";
export type { ExecuteCommandStreamCommandInput, ExecuteCommandStreamCommandOutput } from "./commands/ExecuteCommandStreamCommand";
export { StopSessionCommand } from "./commands/StopSessionCommand";
export type { StopSessionCommandInput, StopSessionCommandOutput } from "./commands/StopSessionCommand";
export type { RuntimeTarget, RuntimeResponseHeaders } from "./commands/serde";

export {
  AgentRuntimeError,
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
  ClientErrorNames,
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
} from "./protocol/errors";
export type { Secrets } from "./protocol/redact";
export type { ResponseMetadata, OutputMetadata, ResponseSnapshot, AgentRuntimeErrorOptions, AgentRuntimeErrorClass, ClientErrorName, ClientErrorsByName } from "./protocol/errors";

export type { SseEvent, SseDecoderOptions, SseEnd } from "./protocol/sse";
export { SseDecoder } from "./protocol/sse";
export type { CommandEvent, CommandStatus, EventStreamDecoderOptions } from "./protocol/eventStream";
export type { ResponseLimits } from "./protocol/limits";
export { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES } from "./protocol/limits";
export { EventStreamDecoder } from "./protocol/eventStream";
export { RuntimeStream } from "./protocol/stream";
export { readSSE } from "./protocol/readSSE";
export type { ReadSSEOptions } from "./protocol/readSSE";
export type { SSEStreamOptions } from "./protocol/sseEncode";
export { parseRuntimeRef } from "./protocol/arn";
export type { RuntimeRef } from "./protocol/arn";
export { resolveEndpoint } from "./protocol/endpoint";
export type { EndpointOptions, ResolvedEndpoint } from "./protocol/endpoint";
export type { Partition } from "./protocol/partitions";

export { bearerAuthMiddleware, bearerAuthMiddlewareOptions } from "./middleware/bearerAuth";
export { retryMiddleware, retryMiddlewareOptions, standardRetryStrategy, retryClassOf, retryAfterMs, isRetryEnabled, DEFAULT_RETRY } from "./middleware/retry";
export type { RetryStrategy, RetryOptions, RetryClass, RetryClassSwitches } from "./types";
export type { StandardRetryOptions } from "./middleware/retry";
export { loggerMiddleware, loggerMiddlewareOptions } from "./middleware/logger";
export { fromOAuthClientCredentials, fromCognitoClientCredentials, cognitoTokenUrl } from "./tokens/oauth";
export type { OAuthClientCredentialsOptions, CognitoClientCredentialsOptions } from "./tokens/oauth";
export { getWebSocketConnection, connectWebSocket, openShell } from "./realtime/lazy";
export type {
  WebSocketConnectionInput,
  WebSocketConnectionInfo,
  WebSocketConfig,
  WebSocketConnection,
  WebSocketMessage,
  WebSocketCloseInfo,
  ConnectWebSocketOptions,
  ConnectionTarget,
  WebSocketConstructorLike,
  WsWebSocketClass,
  WhatwgSocket,
} from "./realtime/webSocket";
export type { ShellSession, ShellExit, OpenShellInput, OpenShellOptions, ShellReconnectOptions } from "./realtime/shell";
/** The AWS SDK v3 (smithy) types the signatures above use, so code that infers them can name them. */
export type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware, HandlerExecutionContext, Message, MiddlewareStack } from "@smithy/types";
export type { HttpHandler, HttpRequest, HttpResponse } from "@smithy/protocol-http";
