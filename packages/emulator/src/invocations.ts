import type { IncomingMessage } from "node:http";
import { StreamedBody } from "./agent";
import type { Exchange } from "./exchange";
import { isBodyFault } from "./faults";
import { CANONICAL, FAULT_HEADER, INVOKE_ECHO_HEADERS, MCP_PROTOCOL_HEADER, MCP_SESSION_HEADER, SESSION_HEADER } from "./headers";
import { ResponseWriter } from "./responseWriter";
import type { ParsedRequest } from "./pipeline";
import type { AgentContext, AgentHandler, FaultSpec } from "./types";
import type { Upstream } from "./upstream";
import { ABORTED, errorMessage, errorType, flattenHeaders, isAsyncIterable, raceAbort, untilAborted } from "./util";

export interface InvocationDeps {
  handler: AgentHandler;
  upstream?: Upstream;
}

type Headers = Record<string, string>;

/** InvokeAgentRuntime: runs the agent (or the container) on the parsed request in its session, streams its answer. */
export async function handleInvocation(req: ParsedRequest<Buffer>, deps: InvocationDeps): Promise<void> {
  const { ex, body, sessionId, fault } = req;
  const headers: Headers = { [CANONICAL[SESSION_HEADER]]: sessionId };
  for (const name of INVOKE_ECHO_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) headers[CANONICAL[name]] = value;
  }
  if (deps.upstream) await proxy(ex, deps.upstream, req.headers, body, sessionId, headers, fault);
  else await runAgent(ex, deps.handler, req.headers, body, sessionId, headers, fault);
}

function runtimeError(ex: Exchange, status: number): void {
  ex.sendError("RuntimeClientError", `Received error (${status}) from runtime. Please check your CloudWatch logs for more information.`);
}

async function runAgent(
  ex: Exchange,
  handler: AgentHandler,
  received: Headers,
  body: Buffer,
  sessionId: string,
  headers: Headers,
  fault?: FaultSpec,
) {
  const text = body.toString("utf8");
  let payload: unknown = text;
  try {
    if (text.trim()) payload = JSON.parse(text);
  } catch {
    // Not JSON: the agent gets the text.
  }
  const requestHeaders = { ...received };
  delete requestHeaders.authorization;
  // the emulator's own control header is no header of the caller's (a container behind `upstream` never sees it)
  delete requestHeaders[FAULT_HEADER];
  const context: AgentContext = { sessionId, requestId: ex.requestId, headers: requestHeaders, body, signal: ex.signal };
  let result: unknown;
  try {
    let call: Promise<unknown>;
    try {
      call = Promise.resolve(handler(payload, context));
    } catch (err) {
      call = Promise.reject(err);
    }
    // An agent that ignores ctx.signal must not keep this request (and close()) waiting: stop listening at abort.
    const outcome = await raceAbort(call, ex.signal);
    if (outcome === ABORTED) {
      call.then(discard, () => undefined);
      return;
    }
    result = outcome;
  } catch {
    // A container answering 500 surfaces to callers as 424 RuntimeClientError.
    if (!ex.signal.aborted) runtimeError(ex, 500);
    return;
  }
  if (ex.signal.aborted) return discard(result);
  if (result instanceof StreamedBody) {
    return streamBody(ex, { ...headers, "Content-Type": result.contentType }, result.pieces, fault);
  }
  if (typeof Response !== "undefined" && result instanceof Response) {
    if (!result.ok || !result.body) {
      await result.body?.cancel().catch(() => undefined);
      if (!result.ok) return runtimeError(ex, result.status);
      return ex.send(200, "", { ...headers, "Content-Type": result.headers.get("content-type") ?? "application/json" });
    }
    const out = { ...headers, ...passThrough((name) => result.headers.get(name) ?? undefined) };
    return streamBody(ex, out, readerPieces(result.body), fault);
  }
  if (isAsyncIterable(result)) return streamSse(ex, headers, result, fault);
  const json = JSON.stringify(result) ?? "null";
  const jsonHeaders = { ...headers, "Content-Type": "application/json" };
  if (!fault || !isBodyFault(fault)) return ex.send(200, json, jsonHeaders);
  // Under a body fault a small JSON body goes out as two pieces, so drop and stall cut it in the middle.
  const bytes = Buffer.from(json);
  const half = Math.ceil(bytes.byteLength / 2);
  return streamBody(ex, jsonHeaders, [bytes.subarray(0, half), bytes.subarray(half)], fault);
}

/** Releases what an agent answered after nobody wants it any more: a body is cancelled, an iterator returned. */
function discard(result: unknown): void {
  const source = result instanceof StreamedBody ? result.pieces : result;
  if (typeof Response !== "undefined" && source instanceof Response) {
    source.body?.cancel().catch(() => undefined);
  } else if (isAsyncIterable(source)) {
    try {
      void Promise.resolve(source[Symbol.asyncIterator]().return?.()).catch(() => undefined);
    } catch {
      // Nothing more to release.
    }
  }
}

/** Content type and MCP headers of an agent's own response. */
function passThrough(get: (name: string) => string | undefined): Headers {
  const out: Headers = { "Content-Type": get("content-type") ?? "application/octet-stream" };
  for (const name of [MCP_SESSION_HEADER, MCP_PROTOCOL_HEADER]) {
    const value = get(name);
    if (value !== undefined) out[CANONICAL[name]] = value;
  }
  return out;
}

async function* readerPieces(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** An answer streamed piece by piece with its own content type; SSE bodies count events for faults by piece. */
async function streamBody(
  ex: Exchange,
  headers: Headers,
  pieces: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  fault?: FaultSpec,
): Promise<void> {
  ex.writeHead(200, headers);
  ex.res.flushHeaders();
  const kind = (headers["Content-Type"] ?? "").includes("text/event-stream") ? "sse" : "raw";
  const writer = new ResponseWriter(ex, kind, fault);
  const source = Symbol.asyncIterator in pieces ? pieces : toAsync(pieces);
  try {
    for await (const piece of untilAborted(source, ex.signal)) {
      await writer.event(piece);
      if (writer.done) break;
    }
  } catch {
    // The agent's body failed mid-way: cut the connection so the client sees a truncated response.
    writer.destroy();
    return;
  }
  await writer.end();
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** An async iterable answered as SSE, one JSON value per event; a failure becomes the framework's error event. */
async function streamSse(ex: Exchange, headers: Headers, values: AsyncIterable<unknown>, fault?: FaultSpec): Promise<void> {
  ex.writeHead(200, { ...headers, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache" });
  ex.res.flushHeaders();
  const writer = new ResponseWriter(ex, "sse", fault);
  try {
    for await (const value of untilAborted(values, ex.signal)) {
      await writer.event(`data: ${JSON.stringify(value) ?? "null"}\n\n`);
      if (writer.done) break;
    }
  } catch (err) {
    const event = { error: errorMessage(err), error_type: errorType(err), message: "An error occurred during streaming" };
    await writer.event(`data: ${JSON.stringify(event)}\n\n`);
  }
  await writer.end();
}

async function proxy(ex: Exchange, upstream: Upstream, received: Headers, body: Buffer, sessionId: string, headers: Headers, fault?: FaultSpec) {
  let res: IncomingMessage;
  try {
    res = await upstream.invoke(received, sessionId, body, ex.signal);
  } catch {
    if (!ex.signal.aborted) ex.sendError("RuntimeClientError", "The runtime could not be reached. Please check your CloudWatch logs for more information.");
    return;
  }
  const status = res.statusCode ?? 502;
  if (status < 200 || status >= 300) {
    res.resume();
    return runtimeError(ex, status);
  }
  const out = { ...headers, ...passThrough((name) => flattenHeaders(res.headers)[name]) };
  return streamBody(ex, out, res, fault);
}
