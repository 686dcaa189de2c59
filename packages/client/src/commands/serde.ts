import { HttpRequest, type HttpResponse } from "@smithy/protocol-http";
import { decideRetryable } from "../middleware/retry";
import type { RuntimeResponse } from "../protocol/transport";
import type { RuntimeContext } from "../types";
import { parseRuntimeRef } from "../protocol/arn";
import { readUpTo, type BodyReader } from "../protocol/body";
import { utf8Bytes } from "../protocol/bytes";
import { encodePathSegment, resolveEndpoint } from "../protocol/endpoint";
import { AgentRuntimeError, clientError, ClientErrorNames, errorFromResponse, type OutputMetadata, type ResponseMetadata } from "../protocol/errors";
import { redact } from "../protocol/redact";
import { uuidv4 } from "../protocol/uuid";
import { checkHeaderBlock, checkHeaderValue, checkLength, checkOptionalHeader, checkQueryValue, headerEntries, LIMITS, quoteForMessage } from "../protocol/validate";
import { SDK_VERSION } from "../config";

/** The input every command shares: which runtime, which session, and the per-call extras. */
export interface RuntimeTarget {
  /** A runtime ARN, or a runtime id together with `accountId`. */
  runtimeArn: string;
  /** Endpoint name; omitted or `DEFAULT` means the default endpoint. */
  qualifier?: string | undefined;
  /** The AWS account that owns the runtime, when `runtimeArn` is a runtime id rather than an ARN. */
  accountId?: string | undefined;
  /** 33–256 characters; a UUID is generated when absent and kept across retries. */
  sessionId?: string | undefined;
  /** Overrides the client's `token` for this call. */
  bearerToken?: string | undefined;
  /** AWS X-Ray trace header (`X-Amzn-Trace-Id`). */
  traceId?: string | undefined;
  /** W3C Trace Context `traceparent` header. */
  traceparent?: string | undefined;
  /** W3C Trace Context `tracestate` header. */
  tracestate?: string | undefined;
  /** W3C `baggage` header. */
  baggage?: string | undefined;
  /** Extra headers, e.g. `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*`. */
  headers?: Record<string, string> | undefined;
}

/** Response headers of PROTOCOL.md that every output carries. */
export interface RuntimeResponseHeaders {
  /** The HTTP status of the response. */
  statusCode: number;
  /** The response's `Content-Type`; `application/octet-stream` when it names none (as RFC 9110 lets a recipient assume). */
  contentType: string;
  /** The response's session header; the session id the request sent when a server omits it. */
  sessionId: string;
  /** `Mcp-Session-Id`: the MCP session an MCP server assigned; send it back on the next call. */
  mcpSessionId?: string | undefined;
  /** `Mcp-Protocol-Version` of the response. */
  mcpProtocolVersion?: string | undefined;
  /** `X-Amzn-Trace-Id` of the response. */
  traceId?: string | undefined;
  /** `traceparent` of the response. */
  traceparent?: string | undefined;
  /** `tracestate` of the response. */
  tracestate?: string | undefined;
  /** `baggage` of the response. */
  baggage?: string | undefined;
  /** HTTP status, request id, attempts and total retry delay of the call. */
  $metadata: OutputMetadata;
}

export type RuntimePath = "invocations" | "commands" | "stopruntimesession";

const RESERVED_HEADERS = /^(authorization|host|content-length|transfer-encoding|connection|expect|amz-sdk-invocation-id|amz-sdk-request|x-amz-user-agent)$/i;
/** Headers the commands set from typed input: naming them in `headers` would send two values. */
const TYPED_HEADERS: Record<string, string> = {
  "content-type": "contentType",
  accept: "accept",
  "x-amzn-bedrock-agentcore-runtime-session-id": "sessionId",
  "x-amzn-bedrock-agentcore-runtime-user-id": "userId",
  "mcp-session-id": "mcpSessionId",
  "mcp-protocol-version": "mcpProtocolVersion",
  "mcp-method": "mcpMethod",
  "mcp-name": "mcpName",
  "x-amzn-trace-id": "traceId",
  traceparent: "traceparent",
  tracestate: "tracestate",
  baggage: "baggage",
};
/** Error bodies are read whole for their message; past this they are cut (gateways can send large HTML). */
const ERROR_BODY_LIMIT = 1024 * 1024;

export const SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id";

/** What a runtime address resolves to: pure in the ARN, the accountId and the client's resolved config. */
interface ResolvedTarget {
  ref: ReturnType<typeof parseRuntimeRef>;
  segment: string;
  endpoint: ReturnType<typeof resolveEndpoint>;
}
// Parsing an ARN and resolving its endpoint (URL parsing included) is the same work for every call to a
// runtime: it is memoised per client config, bounded so arbitrary input cannot grow it without limit. The
// last target is kept aside as well: a client calls one runtime over and over, and comparing two strings costs
// less than building the map's key and hashing it (~0.5 µs a call).
type TargetMemo = { byKey: Map<string, ResolvedTarget>; arn: string | undefined; accountId: string | undefined; last: ResolvedTarget | undefined };
const resolvedTargets = new WeakMap<object, TargetMemo>();

function target_(runtimeArn: unknown, accountId: unknown, config: RuntimeContext["config"]): ResolvedTarget {
  let memo = resolvedTargets.get(config);
  if (!memo) resolvedTargets.set(config, (memo = { byKey: new Map(), arn: undefined, accountId: undefined, last: undefined }));
  if (memo.last !== undefined && runtimeArn === memo.arn && accountId === memo.accountId) return memo.last;
  const key = typeof runtimeArn === "string" && (accountId === undefined || typeof accountId === "string") ? accountId === undefined ? `${runtimeArn}\n` : `${runtimeArn}\n#${accountId}` : undefined;
  const hit = key === undefined ? undefined : memo.byKey.get(key);
  if (hit) return remember(memo, runtimeArn as string, accountId as string | undefined, hit);
  const ref = parseRuntimeRef(runtimeArn, accountId as string | undefined);
  const endpoint = resolveEndpoint({
    endpoint: config.endpoint,
    region: ref.region ?? config.region,
    partition: ref.partition,
    useFipsEndpoint: config.useFipsEndpoint,
    useDualstackEndpoint: config.useDualstackEndpoint,
  });
  const resolved = { ref, segment: encodePathSegment(ref.pathId), endpoint };
  if (key === undefined) return resolved;
  if (memo.byKey.size >= 64) memo.byKey.clear();
  memo.byKey.set(key, resolved);
  return remember(memo, runtimeArn as string, accountId as string | undefined, resolved);
}

function remember(memo: TargetMemo, arn: string, accountId: string | undefined, target: ResolvedTarget): ResolvedTarget {
  memo.arn = arn;
  memo.accountId = accountId;
  memo.last = target;
  return target;
}

/**
 * A content-type test that remembers its last answer: a client sees one content type call after call, so the
 * pattern runs only when the type changes.
 */
export function contentTypeTest(pattern: RegExp): (contentType: string | undefined) => boolean {
  let last: string | undefined;
  let answer = false;
  return (contentType) => {
    if (contentType !== last) {
      last = contentType;
      answer = !!contentType && pattern.test(contentType);
    }
    return answer;
  };
}

/** The trace inputs sent as headers; the first two have each operation's own limit (undefined here). */
const TRACE_HEADERS: [keyof RuntimeTarget & string, string, number | undefined][] = [
  ["traceId", "X-Amzn-Trace-Id", undefined],
  ["traceparent", "traceparent", undefined],
  ["tracestate", "tracestate", LIMITS.tracestate],
  ["baggage", "baggage", LIMITS.baggage],
];

/** `x-amz-user-agent`: the same string for every call with the same `userAgentAppId`, made once. */
let lastAppId: unknown;
let lastUserAgent: string | undefined;
function userAgent(config: RuntimeContext["config"]): string {
  const appId = config.userAgentAppId;
  if (lastUserAgent === undefined || appId !== lastAppId) {
    const suffix = appId ? ` app/${checkHeaderValue("userAgentAppId", appId)}` : "";
    lastUserAgent = `agentcore-runtime-js/${SDK_VERSION}${suffix}`;
    lastAppId = appId;
  }
  return lastUserAgent;
}

/**
 * Validates the target and builds the request skeleton: endpoint, encoded path, query, common headers.
 * Every failure is a typed AgentRuntimeError (InvalidArnError, InvalidParameterError with `field`,
 * EndpointError, …) raised before anything is sent; no error message echoes CR or LF.
 */
export function buildRequest(
  target: RuntimeTarget,
  context: RuntimeContext,
  path: RuntimePath,
  options: { traceLimit: number; sessionId: string; headers: Record<string, string>; body: Uint8Array | string },
): HttpRequest {
  try {
    const { config } = context;
    const { ref, segment, endpoint } = target_(target.runtimeArn, target.accountId, config);
    const query: Record<string, string> = {};
    if (!ref.isArn) query.accountId = ref.accountId!;
    else if (target.accountId !== undefined) query.accountId = target.accountId;
    if (target.qualifier !== undefined) {
      checkLength("qualifier", checkQueryValue("qualifier", target.qualifier), 1, 256);
      query.qualifier = target.qualifier;
    }
    const headers: Record<string, string> = {};
    if (target.headers !== undefined) {
      const seen = new Set<string>();
      for (const [name, value] of headerEntries(target.headers)) {
        const lower = name.toLowerCase();
        if (RESERVED_HEADERS.test(name)) {
          throw clientError(ClientErrorNames.invalidParameter, `headers may not set ${quoteForMessage(name)}; the client manages it`, { fields: { field: "headers" } });
        }
        if (Object.hasOwn(TYPED_HEADERS, lower)) {
          const typed = TYPED_HEADERS[lower];
          // (all but sessionId are inputs of the invoke commands only)
          const advice = path === "invocations" || typed === "sessionId" ? `use the '${typed}' input instead` : `it is an input of InvokeCommand ('${typed}'), not of this command`;
          throw clientError(ClientErrorNames.invalidParameter, `headers may not set ${quoteForMessage(name)}; ${advice}`, { fields: { field: "headers" } });
        }
        if (seen.has(lower)) {
          throw clientError(ClientErrorNames.invalidParameter, `headers names ${quoteForMessage(name)} twice (header names are case-insensitive)`, { fields: { field: "headers" } });
        }
        seen.add(lower);
        headers[name] = value;
      }
    }
    Object.assign(headers, options.headers);
    headers[SESSION_HEADER] = options.sessionId;
    // the output's sessionId when the response does not echo it
    context.sessionId = options.sessionId;
    for (const [field, header, max] of TRACE_HEADERS) {
      const value = target[field];
      if (value === undefined) continue;
      headers[header] = checkOptionalHeader(field, value, 1, max ?? options.traceLimit)!;
    }
    headers["x-amz-user-agent"] = userAgent(config);
    const body = options.body;
    headers["content-length"] = String(typeof body === "string" ? utf8Bytes(body).length : body.length);
    checkHeaderBlock(headers, (name) => {
      const lower = name.toLowerCase();
      if (lower === "x-amz-user-agent") return "userAgentAppId";
      return TYPED_HEADERS[lower] ?? (lower === SESSION_HEADER.toLowerCase() ? "sessionId" : "headers");
    });
    return new HttpRequest({
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port,
      method: "POST",
      path: `${endpoint.basePath}/runtimes/${segment}/${path}`,
      query,
      headers,
      body,
    });
  } catch (e) {
    if (AgentRuntimeError.isInstance(e)) throw e;
    // a defect or a hostile input (getter, proxy) that slipped past the checks: still a typed client error
    throw clientError(ClientErrorNames.invalidParameter, `The request could not be built from this input: ${quoteForMessage((e as Error)?.message ?? e, 200)}`, { cause: e });
  }
}

/** The caller's session id, validated, or a fresh UUID; chosen once per call so retries reuse it. */
export function sessionIdFor(target: RuntimeTarget, required = false): string {
  if (target.sessionId === undefined) {
    if (required) throw clientError(ClientErrorNames.invalidParameter, "sessionId is required", { fields: { field: "sessionId" } });
    return uuidv4();
  }
  const id = checkHeaderValue("sessionId", target.sessionId);
  checkLength("sessionId", id, LIMITS.sessionId[0], LIMITS.sessionId[1]);
  return id;
}

export function metadataOf(response: HttpResponse): ResponseMetadata {
  return metadataFrom(response.statusCode, lowerCased(response.headers));
}

function metadataFrom(statusCode: number, headers: Record<string, string>): ResponseMetadata {
  const raw = Object.hasOwn(headers, "x-amzn-requestid") ? headers["x-amzn-requestid"] : undefined;
  // a header is the server's text: nothing shaped like a credential is copied from it
  const requestId = raw === undefined ? undefined : redact(raw);
  return requestId === undefined ? { httpStatusCode: statusCode } : { httpStatusCode: statusCode, requestId };
}

/**
 * Reads an error response's body (draining the connection) and throws its typed error; returns for 2xx. The
 * error keeps a snapshot of the response with the bytes read, never the live body, and none of the call's tokens.
 */
export function throwIfError(response: RuntimeResponse, context: RuntimeContext): Promise<never> | undefined {
  // a 2xx costs no promise: the commands `await` undefined
  if (response.statusCode >= 200 && response.statusCode < 300) return undefined;
  return throwFromResponse(response, context);
}

async function throwFromResponse(response: RuntimeResponse, context: RuntimeContext): Promise<never> {
  const bytes = await readUpTo(response.body, ERROR_BODY_LIMIT);
  // the call's tokens are removed by the bearer middleware this error passes through
  throw decideRetryable(errorFromResponse(response, bytes, metadataOf(response)), context);
}

/**
 * Finishes an error raised while a 2xx body was being read: it gets the response's metadata, request id and
 * session id. (The call's tokens are removed by the bearer middleware, from streams too.)
 */
export function streamFailure(e: unknown, head: RuntimeResponseHeaders): unknown {
  if (!AgentRuntimeError.isInstance(e)) return redact(e);
  const error = e as AgentRuntimeError;
  error.$metadata = { ...head.$metadata, ...definedOnly(error.$metadata) };
  if (error.requestId === undefined && head.$metadata.requestId !== undefined) error.requestId = head.$metadata.requestId;
  if (error.statusCode === undefined) error.statusCode = head.statusCode;
  if (error.sessionId === undefined && head.sessionId !== undefined) error.sessionId = head.sessionId;
  return error;
}

function definedOnly(record: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}

/** The typed output fields read from response headers, by lower-case header name. */
const RESPONSE_FIELDS: [keyof RuntimeResponseHeaders, string][] = [
  ["contentType", "content-type"],
  ["sessionId", SESSION_HEADER.toLowerCase()],
  ["mcpSessionId", "mcp-session-id"],
  ["mcpProtocolVersion", "mcp-protocol-version"],
  ["traceId", "x-amzn-trace-id"],
  ["traceparent", "traceparent"],
  ["tracestate", "tracestate"],
  ["baggage", "baggage"],
];

/**
 * The headers with lower-case names (the object itself when they are already, as Node's and fetch's are);
 * where two names differ only in case, the first wins, as `headerValue` finds it.
 */
function lowerCased(headers: Record<string, string>): Record<string, string> {
  for (const key in headers) {
    if (key !== key.toLowerCase()) {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        const lower = name.toLowerCase();
        if (!Object.hasOwn(out, lower)) out[lower] = value;
      }
      return out;
    }
  }
  return headers;
}

export function responseHeaders(response: HttpResponse, context: Pick<RuntimeContext, "sessionId">): RuntimeResponseHeaders {
  const headers = lowerCased(response.headers);
  // a response without the session header still names the session: the one the request sent
  // attempts and retry delay as for a call without retries: the retry middleware sets them when it is there
  const $metadata = metadataFrom(response.statusCode, headers) as OutputMetadata;
  $metadata.attempts = 1;
  $metadata.totalRetryDelay = 0;
  const out: RuntimeResponseHeaders = { statusCode: response.statusCode, contentType: "application/octet-stream", sessionId: context.sessionId ?? "", $metadata };
  for (const [key, name] of RESPONSE_FIELDS) {
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}
