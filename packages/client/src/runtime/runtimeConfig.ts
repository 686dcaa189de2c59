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
 * node:http and node:https are loaded then too, each when the first request of its protocol is made: an
 * import of the package loads neither, and a client of a plain-http endpoint (the emulator, a local agent)
 * never loads TLS (about 6 ms in a fresh process).
 */
export async function createDefaultRequestHandler(options: NodeHandlerOptions): Promise<DefaultRequestHandler | HttpHandler> {
  // Deno resolves the package's "node" build, but its node:http sends a request a second time, on a new
  // connection, when the client destroys it on a pooled one before the response (a call ended by requestTimeout,
  // its deadline or its signal): the agent ran twice. Its fetch does not: Deno gets the fetch handler, as
  // browsers do (loaded from the package's dependency, so Node's build carries none of it).
  if (isDeno()) {
    const { FetchHttpHandler } = await import("@smithy/fetch-http-handler");
    return new FetchHttpHandler({}) as unknown as HttpHandler;
  }
  // process.getBuiltinModule (Node 20.16+) loads them at once; an import() from the CommonJS build would
  // first start Node's ESM loader, which costs more than the modules themselves
  const builtin = getBuiltinModule;
  const modules: NodeModules = builtin
    ? {
        get http() {
          return builtin("node:http") as NodeModules["http"];
        },
        get https() {
          return builtin("node:https") as NodeModules["https"];
        },
      }
    : await Promise.all([import("node:http"), import("node:https")]).then(([http, https]) => ({ http, https }));
  return new NodeRequestHandler(modules, options);
}

/** Whether this is Deno (which runs this build through its Node compatibility). */
function isDeno(): boolean {
  return typeof (globalThis as { Deno?: { version?: { deno?: unknown } } }).Deno?.version?.deno === "string";
}

const ENDPOINT_VARIABLE = "BEDROCK_AGENTCORE_DP_ENDPOINT";

/** Deno's permission query, where the code runs in Deno. */
type DenoPermissions = { permissions?: { querySync?(descriptor: { name: "env"; variable: string }): { state: string } } };

/**
 * The data-plane endpoint override the Python SDK honours; read when a client is constructed, never at import.
 * Unset where the environment cannot be read: in Deno without env access a read throws `NotCapable` (or asks on
 * the terminal), so there it is read only when access is already granted.
 */
export function endpointFromEnvironment(): string | undefined {
  if (typeof process === "undefined") return undefined;
  try {
    const deno = (globalThis as { Deno?: DenoPermissions }).Deno;
    if (typeof deno?.permissions?.querySync === "function" && deno.permissions.querySync({ name: "env", variable: ENDPOINT_VARIABLE }).state !== "granted") {
      return undefined;
    }
    const value = process.env?.[ENDPOINT_VARIABLE];
    return value ? value : undefined;
  } catch {
    return undefined;
  }
}

export const runtimeName = "node";

/** Node: the idle and request timeouts of every call share one timer (protocol/timers.ts). */
export const sharedTimers = true;

/** Node: a token or credentials refresh ahead of expiry runs in the background, and later calls may join it. */
export const backgroundWork = true;

/** Node's native CRC-32 (zlib.crc32, Node ≥ 20.15), loaded on first use; undefined where there is none. */
export function nativeCrc32(): ((data: Uint8Array) => number) | undefined {
  const zlib = getBuiltinModule?.("node:zlib") as { crc32?: (data: Uint8Array) => number } | undefined;
  return typeof zlib?.crc32 === "function" ? zlib.crc32 : undefined;
}

/**
 * Milliseconds on a monotonic clock (only differences mean anything). `performance.now()` would load Node's
 * perf_hooks on its first use (about 1.7 ms in a fresh process); `process.hrtime()` costs the same per call.
 * Read per call, so a test's fake clock applies.
 */
export function monotonicNow(): number {
  if (typeof process.hrtime !== "function") return performance.now();
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

/** What UUIDs are made from: Web Crypto's `getRandomValues`, or the same random source under another name. */
export interface RandomSource {
  getRandomValues(array: Uint8Array): unknown;
}

// Node's own globalThis.crypto is a getter whose first read loads Web Crypto (about 1.7 ms in a fresh process,
// nearly all of it module loading). While that getter is in place, the same CSPRNG is read through node:crypto's
// randomFillSync, which Node has loaded at start; a crypto put in its place (a polyfill, a test) is used as it is.
const nodeCryptoGetter = /* @__PURE__ */ Object.getOwnPropertyDescriptor(globalThis, "crypto")?.get;
let nodeRandom: RandomSource | undefined;

/** The random source for UUIDs, or undefined where there is none. The same object while the source is unchanged. */
export function randomSource(): RandomSource | undefined {
  if (nodeCryptoGetter !== undefined && Object.getOwnPropertyDescriptor(globalThis, "crypto")?.get === nodeCryptoGetter) {
    if (nodeRandom) return nodeRandom;
    const crypto = getBuiltinModule?.("node:crypto") as { randomFillSync?(array: Uint8Array): Uint8Array } | undefined;
    const fill = crypto?.randomFillSync;
    if (typeof fill === "function") return (nodeRandom = { getRandomValues: (array) => fill(array) });
  }
  return (globalThis as { crypto?: RandomSource }).crypto;
}

/** process.getBuiltinModule (Node 20.16+): a built-in module, loaded at once; undefined on older Node. */
const getBuiltinModule: ((id: string) => unknown) | undefined =
  typeof process !== "undefined" ? (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule : undefined;
