import { ValidationFailure } from "./errors";
import type { Operation } from "./types";

export type Route =
  | { kind: "op"; op: Operation; segment: string; query: URLSearchParams }
  | { kind: "preflight" }
  | { kind: "ping" }
  | { kind: "metadata"; doc: "jwks" | "openid" | "resource" }
  | { kind: "unknown"; message: string };

const OP_PATH = /^\/runtimes\/([^/]+)\/(invocations|commands|stopruntimesession)$/;

export function splitTarget(target: string): { path: string; query: URLSearchParams } {
  const q = target.indexOf("?");
  return q < 0
    ? { path: target, query: new URLSearchParams() }
    : { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) };
}

export function route(method: string, target: string): Route {
  const { path, query } = splitTarget(target);
  if (method === "OPTIONS") return { kind: "preflight" };
  // HEAD wherever GET (RFC 9110): a health check that probes with HEAD (curl -I) sees the emulator ready
  if (method === "GET" || method === "HEAD") {
    if (path === "/ping") return { kind: "ping" };
    if (path === "/.well-known/jwks.json") return { kind: "metadata", doc: "jwks" };
    if (path === "/.well-known/openid-configuration") return { kind: "metadata", doc: "openid" };
    if (path.startsWith("/.well-known/oauth-protected-resource")) return { kind: "metadata", doc: "resource" };
  }
  const match = OP_PATH.exec(path);
  if (match && method === "POST") return { kind: "op", op: match[2] as Operation, segment: match[1], query };
  if (match) return { kind: "unknown", message: `No route for ${method} ${path}: ${match[2]} takes POST` };
  if (/^\/runtimes\/.+\/(invocations|commands|stopruntimesession)$/.test(path)) {
    return { kind: "unknown", message: `No route for ${method} ${path}: the runtime ARN must be percent-encoded as one path segment` };
  }
  return { kind: "unknown", message: `No route for ${method} ${path}` };
}

export interface RuntimeIdentity {
  runtimeArn: string;
  runtimeId: string;
  accountId: string;
}

/** `endpoint`: the runtime is this one, its qualifier (endpoint) is not. */
export type RuntimeMatch = { ok: true } | { ok: false; notFound: string; endpoint?: true } | { ok: false; invalid: ValidationFailure };

/** Checks the `{arn or id}` path segment and the `qualifier`/`accountId` query against the one emulated runtime. */
export function matchRuntime(segment: string, query: URLSearchParams, runtime: RuntimeIdentity): RuntimeMatch {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return { ok: false, invalid: ValidationFailure.field("agentRuntimeArn", "Member must be a valid runtime ARN or id") };
  }
  if (decoded.startsWith("arn:")) {
    if (decoded !== runtime.runtimeArn) return { ok: false, notFound: `Runtime not found: ${decoded}` };
  } else {
    const accountId = query.get("accountId");
    if (!accountId) {
      return {
        ok: false,
        invalid: ValidationFailure.field("accountId", "Member must not be null when agentRuntimeArn is a runtime id"),
      };
    }
    if (!/^\d{12}$/.test(accountId)) {
      return { ok: false, invalid: ValidationFailure.field("accountId", "Member must satisfy regular expression pattern: [0-9]{12}") };
    }
    if (decoded !== runtime.runtimeId || accountId !== runtime.accountId) {
      return { ok: false, notFound: `Runtime not found: ${decoded} in account ${accountId}` };
    }
  }
  const qualifier = query.get("qualifier");
  if (qualifier !== null && qualifier !== "DEFAULT") {
    return { ok: false, notFound: `Runtime endpoint not found: ${qualifier}`, endpoint: true };
  }
  return { ok: true };
}

const WS_PATH = /^\/runtimes\/([^/]+)\/ws(\/shells)?$/;

/** An upgrade's target: `/runtimes/{arn}/ws` or `/runtimes/{arn}/ws/shells`, the ARN one encoded segment. */
export function wsRoute(target: string): { op: "ws" | "shells"; segment: string; query: URLSearchParams } | { unknown: string } {
  const { path, query } = splitTarget(target);
  const match = WS_PATH.exec(path);
  if (match) return { op: match[2] ? "shells" : "ws", segment: match[1], query };
  if (/^\/runtimes\/.+\/ws(\/shells)?$/.test(path)) {
    return { unknown: `No WebSocket route for ${path}: the runtime ARN must be percent-encoded as one path segment` };
  }
  return { unknown: `No WebSocket route for ${path}` };
}
