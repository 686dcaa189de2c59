import type { Logger } from "@agentcore-runtime/client";
import { shown } from "./shown";

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

export type LogRecord = { level: Level; time: string; msg: string } & Record<string, unknown>;

/**
 * The log level from --debug and AGENTCORE_LOG (debug, info, warn, error; off/none/empty for nothing): --debug
 * is AGENTCORE_LOG=debug. An unrecognised value logs nothing and is reported, never guessed at.
 */
export function logLevel(debugFlag: boolean, envValue: string | undefined): { level?: Level; warning?: string } {
  if (debugFlag) return { level: "debug" };
  const value = (envValue ?? "").trim().toLowerCase();
  if (value === "" || value === "off" || value === "none" || value === "silent") return {};
  if ((LEVELS as readonly string[]).includes(value)) return { level: value as Level };
  return { warning: `agentcore: ignoring AGENTCORE_LOG='${shown(envValue ?? "")}': use debug, info, warn, error or off` };
}

const NUMBER_FIELDS = new Set(["attempt", "statusCode", "durationMs", "delayMs"]);

function withNumbers(fields: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = NUMBER_FIELDS.has(key) && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The SDK's log lines (strings, `agentcore: → InvokeCommand POST https://… attempt 1 {"headers":…}`) as fields:
 * which event, command, attempt, status, timing, request id, headers and payload. A line of an unknown shape
 * keeps its text as `msg`, so nothing is lost if the SDK's wording changes.
 */
export function sdkFields(line: string): { msg: string } & Record<string, unknown> {
  const text = line.replace(/^agentcore: /, "");
  let m = /^→ (\S+) (\S+) (\S+) attempt (\d+) (\{.*\})$/s.exec(text);
  if (m) {
    const sent = parseJson(m[5]);
    const rest = typeof sent === "object" && sent !== null && !Array.isArray(sent) ? (sent as Record<string, unknown>) : { sent };
    return { msg: `→ ${m[1]} ${m[2]} ${m[3]} attempt ${m[4]}`, event: "request", ...withNumbers({ command: m[1], method: m[2], url: m[3], attempt: m[4] }), ...rest };
  }
  m = /^← (\S+) (\S+) in (\d+) ms attempt (\d+)(?: requestId (\S+))?(?: payload (".*"))?$/s.exec(text);
  if (m) {
    const fields = withNumbers({ command: m[1], statusCode: m[2], durationMs: m[3], attempt: m[4], requestId: m[5] });
    const payload = parseJson(m[6]);
    return { msg: text.slice(0, m[6] === undefined ? undefined : text.length - m[6].length - " payload ".length), event: "response", ...fields, ...(payload !== undefined ? { payload } : {}) };
  }
  m = /^✗ (\S+)(?: (\d{3}))? (\S+) in (\d+) ms attempt (\d+)(?: requestId (\S+))?: (.*)$/s.exec(text);
  if (m) {
    return { msg: text, event: "failure", ...withNumbers({ command: m[1], statusCode: m[2], error: m[3], durationMs: m[4], attempt: m[5], requestId: m[6], message: m[7] }) };
  }
  m = /^(\S+) attempt (\d+) failed with (\S+); retrying in (\d+) ms$/.exec(text);
  if (m) return { msg: text, event: "retry", ...withNumbers({ command: m[1], attempt: m[2], error: m[3], delayMs: m[4] }) };
  m = /^(\S+) stream closed (\d+) ms after attempt (\d+) was sent$/.exec(text);
  if (m) return { msg: text, event: "stream-closed", ...withNumbers({ command: m[1], durationMs: m[2], attempt: m[3] }) };
  return { msg: text };
}

/** One record from whatever a logger method was given: strings are parsed as above, objects merged as fields (pino's `(obj, msg)` too). */
export function toRecord(level: Level, args: unknown[], now: Date = new Date()): LogRecord {
  const fields: Record<string, unknown> = {};
  const texts: string[] = [];
  for (const arg of args) {
    if (typeof arg === "string") texts.push(arg);
    else if (arg instanceof Error) fields.err = { name: arg.name, message: arg.message };
    else if (typeof arg === "object" && arg !== null) Object.assign(fields, arg);
    else if (arg !== undefined) texts.push(String(arg));
  }
  const parsed = texts.length === 1 ? sdkFields(texts[0]) : { msg: texts.map((t) => t.replace(/^agentcore: /, "")).join(" ") };
  return { ...fields, ...parsed, level, time: now.toISOString() };
}

/** Key order a reader expects first (level, time, msg), then the fields. */
function ordered(record: LogRecord): LogRecord {
  const { level, time, msg, ...rest } = record;
  return { level, time, msg, ...rest };
}

/** Every string in a value passed through `scrub`, so a secret inside a field is caught before JSON escaping hides it. */
function scrubDeep(value: unknown, scrub: (text: string) => string, depth = 0): unknown {
  if (typeof value === "string") return scrub(value);
  if (depth > 8 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[scrub(key)] = scrubDeep(v, scrub, depth + 1);
  return out;
}

/** One JSON line; a value JSON cannot hold (a BigInt, a cycle) becomes its description instead of losing the record. */
export function recordLine(record: LogRecord, scrub: (text: string) => string): string {
  const clean = scrubDeep(ordered(record), scrub) as LogRecord;
  try {
    return JSON.stringify(clean, (_key, v) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return JSON.stringify({ level: clean.level, time: clean.time, msg: clean.msg });
  }
}

/**
 * An SDK logger writing structured records at `threshold` and above through `write` (one line each). Every
 * level is a method, the quieter ones doing nothing: the SDK sends a level the logger lacks to `error`.
 */
export function structuredLogger(threshold: Level, write: (record: LogRecord) => void): Logger {
  const logger: Logger = {};
  for (const level of LEVELS) {
    logger[level] = LEVELS.indexOf(level) < LEVELS.indexOf(threshold) ? () => {} : (...args: unknown[]) => write(toRecord(level, args));
  }
  return logger;
}
