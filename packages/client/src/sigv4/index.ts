/**
 * AWS Signature Version 4 for runtimes configured for IAM auth. A subpath of its own, so the bearer-only entry
 * (and every bundle built from it) carries none of this code.
 *
 * @module @agentcore-runtime/client/sigv4
 */

export { sigv4Auth, sigv4AuthMiddleware, sigv4AuthMiddlewareOptions } from "./middleware";
export type { SigV4AuthOptions } from "./middleware";
export type { AwsCredentials, AwsCredentialsProvider, AwsCredentialsSource } from "./credentials";
export { SIGNING_SERVICE } from "./signer";
export { getSignedWebSocketConnection, getPresignedWebSocketUrl, MAX_PRESIGNED_EXPIRES } from "./websocket";
export type { SignedWebSocketInput, SigV4WebSocketOptions, PresignedWebSocketOptions } from "./websocket";
export type { WebSocketConnectionInfo } from "../realtime/webSocket";
/** The AWS SDK v3 (smithy) types this entry's signatures use, so code that infers them can name them. */
export type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware, MiddlewareStack, Pluggable } from "@smithy/types";
