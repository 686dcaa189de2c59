import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AgentContext, AgentHandler, WebSocketHandler } from "./types";
import { sleep } from "./util";

/** The error type the official Python framework reports for a failing agent; the default agent's "fail" raises it. */
export class ValueError extends Error {
  override name = "ValueError";
}

/** A body the agent streams itself, e.g. a large JSON document written in pieces. */
export class StreamedBody {
  constructor(
    readonly contentType: string,
    readonly pieces: AsyncIterable<string | Uint8Array>,
  ) {}
}

interface DefaultRequest {
  prompt: string;
  repeat: number;
  bytes?: number;
  chunkSize: number;
  delayMs: number;
  echoHeaders: boolean;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz";

function interpret(payload: unknown): DefaultRequest {
  const req: DefaultRequest = { prompt: "", repeat: 1, chunkSize: 8192, delayMs: 0, echoHeaders: false };
  if (typeof payload === "string") req.prompt = payload;
  else if (payload && typeof payload === "object" && !Array.isArray(payload)) {
    const p = payload as Record<string, unknown>;
    req.prompt = typeof p.prompt === "string" ? p.prompt : p.prompt === undefined ? "" : JSON.stringify(p.prompt);
    if (isCount(p.repeat)) req.repeat = p.repeat;
    if (isCount(p.bytes, 0)) req.bytes = p.bytes;
    if (isCount(p.chunkSize)) req.chunkSize = p.chunkSize;
    if (isCount(p.delayMs, 0)) req.delayMs = p.delayMs;
    req.echoHeaders = p.echoHeaders === true;
  } else if (payload !== undefined) {
    req.prompt = JSON.stringify(payload);
  }
  return req;
}

function isCount(value: unknown, min = 1): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min;
}

/** The reply's text; its word tokens (replyTokens) join to exactly this. */
function replyText(req: DefaultRequest): string {
  return `You said: ${req.prompt}`;
}

/**
 * The word tokens of `text` (a word with the spaces after it), found one at a time: a prompt of many MB split
 * all at once took about 30 times its size in memory.
 */
function* tokensOf(text: string): Generator<string> {
  const word = /\s*\S+\s*/g;
  let found = false;
  for (let match = word.exec(text); match; match = word.exec(text)) {
    found = true;
    yield match[0];
  }
  if (!found) yield text;
}

/** The reply as word tokens; with `repeat` the reply is repeated, joined by single spaces. */
function* replyTokens(req: DefaultRequest): Generator<string> {
  const text = replyText(req);
  for (let r = 0; r < req.repeat; r++) {
    // one token held back: the last one of a repetition but the final one gets the joining space
    let held: string | undefined;
    for (const token of tokensOf(text)) {
      if (held !== undefined) yield held;
      held = token;
    }
    yield r < req.repeat - 1 ? `${held} ` : held!;
  }
}

/** `bytes` characters of a–z repeating, in pieces of `chunkSize`. */
function* letterPieces(total: number, chunkSize: number): Generator<string> {
  const base = ALPHABET.repeat(Math.ceil(chunkSize / ALPHABET.length) + 1);
  for (let offset = 0; offset < total; offset += chunkSize) {
    const start = offset % ALPHABET.length;
    yield base.slice(start, start + Math.min(chunkSize, total - offset));
  }
}

function reply(req: DefaultRequest): Iterable<string> {
  return req.bytes !== undefined ? letterPieces(req.bytes, req.chunkSize) : replyTokens(req);
}

/**
 * The built-in agent. `{"prompt": "hi"}` answers "You said: hi": as SSE word tokens when Accept includes
 * text/event-stream, else as JSON `{"response", "sessionId"}`. Prompt "fail" fails (an SSE error event after the
 * tokens; 424 for JSON). `repeat: N` repeats the reply, `bytes: N` replies N letters instead (SSE events of
 * `chunkSize`, default 8192), `delayMs` paces SSE events, `echoHeaders: true` adds the request headers to JSON.
 */
export function defaultAgent(payload: unknown, ctx: AgentContext): unknown {
  const req = interpret(payload);
  const fails = req.prompt.trim() === "fail";
  if ((ctx.headers.accept ?? "").includes("text/event-stream")) return streamReply(req, fails, ctx.signal);
  if (fails) throw new ValueError("Agent failed as requested");
  if (req.bytes !== undefined || req.repeat > 1) return new StreamedBody("application/json", jsonPieces(req, ctx.sessionId));
  // one reply, no bytes: the text itself, not its tokens joined again
  const body: Record<string, unknown> = { response: replyText(req), sessionId: ctx.sessionId };
  if (req.echoHeaders) body.headers = ctx.headers;
  return body;
}

async function* streamReply(req: DefaultRequest, fails: boolean, signal: AbortSignal): AsyncGenerator<string> {
  let first = true;
  for (const token of reply(req)) {
    if (signal.aborted) return;
    if (!first && req.delayMs > 0) await sleep(req.delayMs, signal);
    if (signal.aborted) return;
    first = false;
    yield token;
  }
  if (fails) throw new ValueError("Agent failed as requested");
}

// Written piece by piece so a large reply never sits in memory whole.
async function* jsonPieces(req: DefaultRequest, sessionId: string): AsyncGenerator<string> {
  yield '{"response":"';
  let batch = "";
  for (const piece of reply(req)) {
    batch += JSON.stringify(piece).slice(1, -1);
    if (batch.length >= 65536) {
      yield batch;
      batch = "";
    }
  }
  yield `${batch}","sessionId":${JSON.stringify(sessionId)}}`;
}

/** What an agent module exports: the invocation handler and, optionally, a `/ws` handler. */
export interface AgentModule {
  handler?: AgentHandler;
  websocket?: WebSocketHandler;
}

/**
 * Loads an agent module: the handler is its default export, its `handler` export, or the module itself; a
 * `websocket` export is the `/ws` handler. A module must export at least one of them.
 */
export async function loadAgentModule(file: string): Promise<AgentModule> {
  const full = resolve(file);
  let mod: unknown;
  try {
    // Node's own require, not a bundler's or a test runner's; Node 20.19+ also requires ES modules this way.
    mod = createRequire(join(process.cwd(), "agentcore-emulator.js"))(full);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== "ERR_REQUIRE_ESM" && code !== "ERR_REQUIRE_ASYNC_MODULE") throw err;
    mod = await import(pathToFileURL(full).href);
  }
  const inner = (mod as { default?: unknown } | undefined)?.default;
  const handler = pickHandler(mod) ?? pickHandler(inner);
  const websocket = pickWebSocket(mod) ?? pickWebSocket(inner);
  if (!handler && !websocket) throw new Error(`Agent module ${file} exports no handler function (default export, "handler" or "websocket")`);
  return { handler, websocket };
}

/** Loads a module's invocation handler (see loadAgentModule). */
export async function loadAgent(file: string): Promise<AgentHandler> {
  const { handler } = await loadAgentModule(file);
  if (!handler) throw new Error(`Agent module ${file} exports no handler function (default export or "handler")`);
  return handler;
}

function pickWebSocket(mod: unknown): WebSocketHandler | undefined {
  const ws = mod && typeof mod === "object" ? (mod as { websocket?: unknown }).websocket : undefined;
  return typeof ws === "function" ? (ws as WebSocketHandler) : undefined;
}

function pickHandler(mod: unknown): AgentHandler | undefined {
  if (typeof mod === "function") return mod as AgentHandler;
  if (mod && typeof mod === "object") {
    const { default: def, handler } = mod as { default?: unknown; handler?: unknown };
    if (typeof def === "function") return def as AgentHandler;
    if (typeof handler === "function") return handler as AgentHandler;
  }
  return undefined;
}
