import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { HttpHandler } from "@smithy/protocol-http";

/** The Node default: pooled keep-alive sockets, created on the first send, never at import or construction. */
export function createDefaultRequestHandler(options: { connectionTimeout?: number }): HttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: options.connectionTimeout,
    // our own request/idle timers govern the call; the handler's socket timeout would cut long quiet streams
    socketTimeout: 0,
    httpAgent: { keepAlive: true, maxSockets: 50 },
    httpsAgent: { keepAlive: true, maxSockets: 50 },
  }) as unknown as HttpHandler;
}

/** The data-plane endpoint override the Python SDK honours; read per send, never at import. */
export function endpointFromEnvironment(): string | undefined {
  const value = typeof process !== "undefined" ? process.env?.BEDROCK_AGENTCORE_DP_ENDPOINT : undefined;
  return value ? value : undefined;
}

export const runtimeName = "node";
