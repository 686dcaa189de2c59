import { UsageError } from "./errors";
import type { CommandName } from "./args";
import { shown } from "./shown";

/** The longest delay one Node timer can count (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A whole decimal number in [min, max], written with digits only: no sign, spaces, exponent, hex, fraction or
 * empty value, which `Number()` would quietly accept or turn into 0 (`Number("")`, `Number("0x1F90")`, `Number("1e3")`).
 * `name` is the option as typed, for the message; the value is echoed with control characters escaped.
 */
export function wholeNumber(name: string, value: string | undefined, range: { min: number; max?: number }, command?: CommandName): number | undefined {
  if (value === undefined) return undefined;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`${name} must be a whole number of at least ${range.min}, got '${shown(value)}'`, command);
  const n = Number(value);
  if (n < range.min) throw new UsageError(`${name} must be a whole number of at least ${range.min}, got '${shown(value)}'`, command);
  if (n > max) throw new UsageError(`${name} must be at most ${max}, got '${shown(value)}'`, command);
  return n;
}

interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: TimerApi = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Calls `fn` after `ms` milliseconds however long that is, by chaining timers of at most MAX_TIMER_MS (a single
 * timer given more fires after 1 ms). Returns a cancel function. The timers do not keep the process alive.
 */
export function longTimeout(fn: () => void, ms: number, timers: TimerApi = realTimers): () => void {
  let handle: unknown;
  let cancelled = false;
  let remaining = ms;
  const arm = () => {
    const step = Math.min(remaining, MAX_TIMER_MS);
    handle = timers.setTimeout(() => {
      if (cancelled) return;
      remaining -= step;
      if (remaining > 0) arm();
      else fn();
    }, step);
  };
  arm();
  return () => {
    cancelled = true;
    timers.clearTimeout(handle);
  };
}
