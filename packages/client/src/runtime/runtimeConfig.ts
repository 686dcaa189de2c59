import type { ClientRequest } from "node:http";
import type { HttpHandler, HttpRequest } from "@smithy/protocol-http";
import type { Logger } from "../types";

export interface DefaultHandlerOptions {
  connectionTimeout?: number;
  /** Sockets per host; default Infinity (Node's own default), so open streams never starve later calls. */
  maxSockets?: number;
  /** Receives the handler's warnings (socket pool at capacity); nothing goes to the console. */
  logger?: Logger;
}

export interface DefaultRequestHandler extends HttpHandler {
  /** Whether this attempt of `request` sits in the agent's queue, never given a socket. */
  waitingForSocket(request: HttpRequest): boolean;
}

/** Above this Node's own timers fire at once; such a connect timeout means "none" (about 25 days). */
const LONGEST_CONNECT_TIMEOUT = 2 ** 31 - 1;

/**
 * The Node default: pooled keep-alive sockets, created on the first send, never at import or construction.
 * The handler and node:http(s) are loaded then too, so an import of the package loads none of them.
 */
export async function createDefaultRequestHandler(options: DefaultHandlerOptions): Promise<DefaultRequestHandler> {
  const [{ Agent: HttpAgent }, { Agent: HttpsAgent }, { NodeHttpHandler }] = await Promise.all([
    import("node:http"),
    import("node:https"),
    import("@smithy/node-http-handler"),
  ]);
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? Infinity };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const { logger } = options;
  const handler = new NodeHttpHandler({
    connectionTimeout: options.connectionTimeout !== undefined && options.connectionTimeout < LONGEST_CONNECT_TIMEOUT ? options.connectionTimeout : undefined,
    // our own request/idle timers govern the call; the handler's socket timeout would cut long quiet streams
    socketTimeout: 0,
    socketAcquisitionWarningTimeout: 3000,
    httpAgent,
    httpsAgent,
    // the handler logs to the console unless given a logger: its warnings go to ours or nowhere
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => logger?.warn?.(message),
      error: (message: string) => logger?.error?.(message),
    },
  }) as unknown as DefaultRequestHandler;
  handler.waitingForSocket = (request) => {
    const id = request.headers["amz-sdk-invocation-id"];
    const attempt = request.headers["amz-sdk-request"];
    if (id === undefined) return false;
    for (const agent of [httpAgent, httpsAgent]) {
      for (const queue of Object.values(agent.requests) as (ClientRequest[] | undefined)[]) {
        for (const req of queue ?? []) {
          if (req.getHeader("amz-sdk-invocation-id") === id && req.getHeader("amz-sdk-request") === attempt) return true;
        }
      }
    }
    return false;
  };
  return handler;
}

/** The data-plane endpoint override the Python SDK honours; read per send, never at import. */
export function endpointFromEnvironment(): string | undefined {
  const value = typeof process !== "undefined" ? process.env?.BEDROCK_AGENTCORE_DP_ENDPOINT : undefined;
  return value ? value : undefined;
}

export const runtimeName = "node";

/** Node's native CRC-32 (zlib.crc32, Node ≥ 20.15), loaded on first use; undefined where there is none. */
export function nativeCrc32(): ((data: Uint8Array) => number) | undefined {
  const zlib = (process as { getBuiltinModule?: (id: string) => { crc32?: (data: Uint8Array) => number } | undefined }).getBuiltinModule?.("node:zlib");
  return typeof zlib?.crc32 === "function" ? zlib.crc32 : undefined;
}
