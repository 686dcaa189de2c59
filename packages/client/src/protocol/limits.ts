import { clientError, ClientErrorNames, type AgentRuntimeError } from "./errors";

/**
 * Every buffer a response can fill has one of these bounds (README "Limits"). The client config sets them,
 * `send(command, { … })` overrides them per call.
 */
export interface ResponseLimits {
  /** Largest single event: an SSE event (its data and any unfinished line) or an event-stream frame. */
  maxEventBytes: number;
  /** Largest body a call buffers whole: a blocking `InvokeCommand`, a non-SSE streamed body, a blocking command's output. */
  maxResponseBytes: number;
}

/** 16 MiB: above the service's 10 MB streaming chunk limit and its 64 KB command events. */
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;
/** 100 MiB: the service's payload and command-output limit (100 MB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;

export const DEFAULT_LIMITS: ResponseLimits = { maxEventBytes: DEFAULT_MAX_EVENT_BYTES, maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES };

/** The typed error for a crossed limit; it names the option that raises it. */
export function limitExceeded(option: keyof ResponseLimits, limit: number, what: string): AgentRuntimeError {
  return clientError(
    ClientErrorNames.limit,
    `${what} is larger than ${limit} bytes (${option}); the body was cancelled. Raise ${option} on the client or per call if this is expected`,
    { fields: { limit: option, limitBytes: limit } },
  );
}
