import { clientError, ClientErrorNames } from "./errors";

/** Node and browsers run a longer setTimeout after 1 ms; longer waits are chained from pieces of this size. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `fn` once after `ms` milliseconds, for any `ms`: beyond setTimeout's 2^31-1 ms the wait is chained,
 * `Infinity` never fires. Returns the function that cancels it.
 */
export function startTimer(ms: number, fn: () => void): () => void {
  if (!(ms < Infinity)) return () => undefined;
  let timer: ReturnType<typeof setTimeout>;
  const due = Date.now() + ms;
  const arm = (left: number) => {
    timer = setTimeout(() => {
      const rest = due - Date.now();
      if (rest > 0 && left > MAX_TIMER_MS) arm(rest);
      else fn();
    }, Math.min(Math.max(left, 0), MAX_TIMER_MS));
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** A duration option in ms: a positive number, or `Infinity` for none; anything else is rejected before sending. */
export function checkDuration(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw clientError(ClientErrorNames.invalidParameter, `${field} must be a positive number of milliseconds, or Infinity for no limit; got ${describe(value)}`, {
      fields: { field },
    });
  }
  return value;
}

/** A whole number in [min, max]. */
export function checkInteger(field: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw clientError(ClientErrorNames.invalidParameter, `${field} must be a whole number from ${min} to ${max}; got ${describe(value)}`, { fields: { field } });
  }
  return value;
}

/** A value for an error message: numbers as they are, anything else by its type only (never echoed). */
function describe(value: unknown): string {
  return typeof value === "number" ? String(value) : `a ${value === null ? "null" : typeof value}`;
}
