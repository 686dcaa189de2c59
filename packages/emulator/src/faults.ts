import { GATEWAY_PAGES, modeledFields } from "./errors";
import type { Exchange } from "./exchange";
import type { FaultMode, FaultSpec, Operation } from "./types";
import { sleep } from "./util";

/** Every fault mode the emulator knows: what `FaultSpec.mode` and the fault header accept. */
export const FAULT_MODES: readonly FaultMode[] = [
  "throttle",
  "conflict",
  "coldstart",
  "500",
  "500-html",
  "502-html",
  "503",
  "504",
  "error",
  "reset",
  "drop",
  "stall",
  "drip",
  "corrupt-crc",
  "exception",
  "error-frame",
  "close",
];

/** Modes that shape the response body rather than replace the response. */
const BODY_MODES = new Set<FaultMode>(["drop", "stall", "drip", "corrupt-crc", "exception", "error-frame"]);

const NUMBER_PARAMS = new Set(["times", "retryAfter", "delayMs", "afterEvents", "status", "closeCode"]);
const STRING_PARAMS = new Set(["op", "type", "code", "message"]);
const OPS = new Set(["invocations", "commands", "stopruntimesession", "ws", "shells"]);
/**
 * An error name as it can be sent: an HTTP token (RFC 9110 tchar), since it goes into the x-amzn-ErrorType header
 * (and an event-stream frame's :exception-type); CR, LF, spaces or non-ASCII characters would make the response
 * fail as a 500 instead of the fault asked for.
 */
const ERROR_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class FaultSyntaxError extends Error {}

export function isBodyFault(fault: FaultSpec): boolean {
  return BODY_MODES.has(fault.mode);
}

/** Parses `<mode>[; key=value]*`, e.g. `drop; afterEvents=2` or `throttle; retryAfter=1; times=1`. */
export function parseFault(text: string): FaultSpec {
  const [head, ...params] = text.split(";").map((part) => part.trim());
  const spec: Record<string, unknown> = { mode: head };
  for (const param of params) {
    if (!param) continue;
    const eq = param.indexOf("=");
    if (eq <= 0) throw new FaultSyntaxError(`Fault parameter "${param}" is not key=value`);
    spec[param.slice(0, eq).trim()] = param.slice(eq + 1).trim();
  }
  return checkFault(spec);
}

/** Validates a fault from configuration or the header, converting numeric strings. */
export function checkFault(input: Record<string, unknown> | FaultSpec): FaultSpec {
  const spec: Record<string, unknown> = { ...input };
  if (!FAULT_MODES.includes(spec.mode as FaultMode)) {
    throw new FaultSyntaxError(`Unknown emulator fault mode "${String(spec.mode)}"; one of ${FAULT_MODES.join(", ")}`);
  }
  for (const [key, value] of Object.entries(spec)) {
    if (key === "mode" || value === undefined) continue;
    if (NUMBER_PARAMS.has(key)) {
      const n = typeof value === "number" ? value : Number(value);
      if (typeof value === "string" && value.trim() === "") throw new FaultSyntaxError(`Fault parameter ${key} is empty`);
      if (!Number.isFinite(n) || n < 0) throw new FaultSyntaxError(`Fault parameter ${key} must be a non-negative number`);
      spec[key] = n;
      if (key === "closeCode" && !isSendableCloseCode(n)) {
        throw new FaultSyntaxError(`Fault parameter closeCode must be a close code a server may send (1000-1003, 1007-1014, 3000-4999), got ${n}`);
      }
      // node:http refuses a status outside 100-599 (the fault would become a 500) and truncates a fraction; a 1xx
      // is an interim response, after which a client waits for the real one
      if (key === "status" && !(Number.isInteger(n) && n >= 200 && n <= 599)) {
        throw new FaultSyntaxError(`Fault parameter status must be a whole number from 200 to 599, got ${n}`);
      }
      // counts, and Retry-After (whole seconds in HTTP): 1.5 requests or events means nothing, and was taken as is
      if ((key === "times" || key === "afterEvents" || key === "retryAfter") && !Number.isInteger(n)) {
        throw new FaultSyntaxError(`Fault parameter ${key} must be a whole number, got ${n}`);
      }
    } else if (STRING_PARAMS.has(key)) {
      spec[key] = String(value);
      if (key === "op" && !OPS.has(spec[key] as string)) throw new FaultSyntaxError(`Fault op "${String(value)}" is not an operation`);
      // only `error` puts the type in an HTTP header (x-amzn-ErrorType); the other modes send it in JSON or an
      // event-stream header, where an agent's own names ("Agent::ToolError", "Model Error") are fine
      if (key === "type" && spec.mode === "error" && !ERROR_NAME.test(spec[key] as string)) {
        throw new FaultSyntaxError(`Fault parameter type must be an error name (letters, digits and !#$%&'*+-.^_\`|~), got ${JSON.stringify(spec[key])}`);
      }
      if (key === "type" && /[\x00-\x1f\x7f]/.test(spec[key] as string)) throw new FaultSyntaxError("Fault parameter type must be text without control characters");
    } else {
      throw new FaultSyntaxError(`Unknown fault parameter "${key}"`);
    }
  }
  return spec as unknown as FaultSpec;
}

/** Close codes a server may put in a close frame (1004-1006 and 1015 are reserved, never sent). */
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));
}

interface Armed {
  spec: FaultSpec;
  remaining: number;
}

/** Chooses the fault for a request: the header first, then the first configured fault that still applies. */
export class FaultPlan {
  private armed: Armed[] = [];
  // Header faults with `times` count per operation, session and header value, so a client's retries (same session) see it stop.
  private readonly headerCounts = new Map<string, number>();

  constructor(faults: FaultSpec[] = []) {
    this.set(faults);
  }

  set(faults: FaultSpec[]): void {
    this.armed = faults.map((f) => {
      const spec = checkFault(f);
      return { spec, remaining: spec.times ?? Infinity };
    });
  }

  fromConfig(op: Operation): FaultSpec | undefined {
    for (const armed of this.armed) {
      if (armed.spec.op && armed.spec.op !== op) continue;
      if (armed.remaining <= 0) continue;
      armed.remaining--;
      return armed.spec;
    }
    return undefined;
  }

  /** Throws FaultSyntaxError for a malformed header. */
  fromHeader(op: Operation, header: string, sessionId: string | undefined): FaultSpec | undefined {
    const spec = parseFault(header);
    if (spec.op && spec.op !== op) return undefined;
    if (spec.times === undefined) return spec;
    const key = `${op}\n${sessionId ?? ""}\n${header}`;
    const used = this.headerCounts.get(key) ?? 0;
    if (used >= spec.times) return undefined;
    this.headerCounts.set(key, used + 1);
    return spec;
  }
}

/** Answers the request in place of the service for the faults that replace a response; false for body faults. */
export async function applyResponseFault(ex: Exchange, fault: FaultSpec): Promise<boolean> {
  const retryAfter = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
  switch (fault.mode) {
    case "throttle":
      ex.sendError("ThrottlingException", "Rate exceeded", { headers: retryAfter });
      return true;
    case "conflict":
      ex.sendError("RetryableConflictException", "Session operation in progress, please retry");
      return true;
    case "coldstart":
      await sleep(fault.delayMs ?? 50, ex.signal);
      if (ex.signal.aborted) return true;
      ex.sendError("RuntimeClientError", "Runtime initialization time exceeded. Please make sure that initialization completes in 30s.");
      return true;
    case "500":
      ex.sendError("InternalServerException", fault.message ?? "Internal server error");
      return true;
    case "500-html":
    case "502-html":
    case "503":
    case "504": {
      const page = GATEWAY_PAGES[fault.mode];
      ex.send(page.status, page.html, { "Content-Type": "text/html", ...retryAfter });
      return true;
    }
    case "error":
      ex.sendError(fault.type ?? "InternalServerException", fault.message ?? "Injected error", {
        status: fault.status ?? 500,
        headers: retryAfter,
        fields: modeledFields(fault.type ?? ""),
      });
      return true;
    case "reset":
      ex.reset();
      return true;
    default:
      return false;
  }
}
