import type { HttpHandler, HttpRequest } from "@smithy/protocol-http";
import { NodeRequestHandler, type NodeHandlerOptions, type NodeModules } from "./nodeHttpHandler";

export interface DefaultRequestHandler extends HttpHandler {
  /** Whether this attempt of `request` sits in the agent's queue, never given a socket. */
  waitingForSocket(request: HttpRequest): boolean;
  /** Takes the call's light abort state (see protocol/abort.ts) instead of an AbortSignal. */
  takesLightAbort: boolean;
}

/**
 * The Node default: pooled keep-alive sockets, created on the first send, never at import or construction.
 * node:http(s) are loaded then too, so an import of the package loads neither.
 */
export async function createDefaultRequestHandler(options: NodeHandlerOptions): Promise<DefaultRequestHandler> {
  // process.getBuiltinModule (Node 20.16+) loads them at once; an import() from the CommonJS build would
  // first start Node's ESM loader, which costs more than the modules themselves
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const [http, https] = builtin
    ? [builtin("node:http") as NodeModules["http"], builtin("node:https") as NodeModules["https"]]
    : await Promise.all([import("node:http"), import("node:https")]);
  return new NodeRequestHandler({ http, https }, options);
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
