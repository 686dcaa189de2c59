import { LinkedList } from "./list";
import { monotonicNow, sharedTimers } from "../runtime/runtimeConfig";
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

/**
 * Watchdogs share one timer (per module, so per page or process): `arm` only records a due time, and the one
 * setTimeout is moved only when a new due time is earlier than the one it waits for. Calls with the same
 * timeout (the common case) arm and disarm with no timer operation at all; the sweep that fires at the
 * earliest due time finds the expired watchdogs and re-aims the timer at the next one.
 */
// The armed watchdogs, a list through the watchdogs themselves: arming and disarming (twice per call) add and
// remove a link.
const armed = new LinkedList<Watchdog>();
let sweepTimer: ReturnType<typeof setTimeout> | undefined;
let sweepAt = Infinity;
// the setTimeout/clearTimeout the timer was made with: when the global ones change (fake timers in a test
// suite, and back), a new timer is made with the current ones instead of waiting on the other clock
// (plain variables, called unbound: a browser's clearTimeout refuses another `this` than the window)
let sweepSet: typeof setTimeout | undefined;
let sweepClear: typeof clearTimeout | undefined;
// whether the timer keeps a Node process alive: only while some watchdog is armed (the old per-wait timers
// did the same); toggling that is much cheaper than clearing and re-creating a timer per wait
let sweepRefed = false;

function refSweep(refed: boolean): void {
  if (sweepTimer === undefined || sweepRefed === refed) return;
  sweepRefed = refed;
  const timer = sweepTimer as { ref?(): void; unref?(): void };
  if (refed) timer.ref?.();
  else timer.unref?.();
}

function aimSweep(due: number): void {
  if (sweepTimer !== undefined && sweepAt <= due && sweepSet === setTimeout) return refSweep(true);
  if (sweepTimer !== undefined && sweepClear) sweepClear(sweepTimer);
  sweepSet = setTimeout;
  sweepClear = clearTimeout;
  sweepAt = due;
  sweepTimer = setTimeout(sweep, Math.min(Math.max(due - monotonicNow(), 0), MAX_TIMER_MS));
  sweepRefed = true;
}

function sweep(): void {
  sweepTimer = undefined;
  sweepAt = Infinity;
  const now = monotonicNow();
  const expired: Watchdog[] = [];
  for (let watchdog = armed.first; watchdog; watchdog = watchdog.next) if (watchdog.due! <= now) expired.push(watchdog);
  expired.sort((a, b) => a.due! - b.due!);
  // taken off the list first (each stays due until its turn: one disarmed or re-armed by an earlier one's
  // function in this sweep does not fire)
  for (const watchdog of expired) armed.remove(watchdog);
  // each in turn, whatever one of them throws (a user's retryStrategy runs in there): a throw is rethrown
  // once the others ran and the timer is aimed again, as an uncaught error of this timer, like before
  let failure: { error: unknown } | undefined;
  for (const watchdog of expired) {
    try {
      watchdog.expire();
    } catch (error) {
      failure ??= { error };
    }
  }
  // from what is armed now: expire() may have armed or disarmed others
  let next = Infinity;
  for (let watchdog = armed.first; watchdog; watchdog = watchdog.next) if (watchdog.due! < next) next = watchdog.due!;
  if (next < Infinity) aimSweep(next);
  if (failure) throw failure.error;
}

/**
 * A timeout for a sequence of waits (an attempt's wait for headers, then each read of its body): `arm(ms, fn)`
 * when a wait starts, `disarm()` when it ends, `close()` when there will be no more. `fn` runs when one wait
 * lasts `ms`. Any `ms` is safe (chained past 2^31-1 ms; `Infinity` never fires). Only armed watchdogs keep
 * the shared timer, and so a process, alive.
 */
export class Watchdog {
  /** When the current wait times out (`monotonicNow()` ms); undefined while not armed. */
  due: number | undefined = undefined;
  /** Neighbours in the list of armed watchdogs (a sweep takes the expired ones off just before it runs them). */
  prev: Watchdog | undefined = undefined;
  next: Watchdog | undefined = undefined;
  #fn: (() => void) | undefined;
  #closed = false;
  /** The watchdog's own timer, where timers are not shared (the fetch build: see runtime/runtimeConfig). */
  #own: ReturnType<typeof setTimeout> | undefined = undefined;

  arm(ms: number, fn: () => void): void {
    if (this.#closed || !(ms < Infinity)) return;
    this.#fn = fn;
    if (!sharedTimers) return this.#armOwn(monotonicNow() + ms);
    // (one taken off the list by a sweep that has not reached it yet is put back: it waits again)
    if (!armed.has(this)) armed.add(this);
    this.due = monotonicNow() + ms;
    aimSweep(this.due);
  }

  /** A timer of the watchdog's own for `due`, chained past setTimeout's longest wait. */
  #armOwn(due: number): void {
    if (this.#own !== undefined) clearTimeout(this.#own);
    this.due = due;
    this.#own = setTimeout(() => {
      this.#own = undefined;
      if (this.due !== due) return;
      if (monotonicNow() < due) return this.#armOwn(due);
      this.due = undefined;
      this.#fn?.();
    }, Math.min(Math.max(due - monotonicNow(), 0), MAX_TIMER_MS));
  }

  disarm(): void {
    if (this.#own !== undefined) {
      clearTimeout(this.#own);
      this.#own = undefined;
    }
    if (this.due === undefined) return;
    armed.remove(this);
    this.due = undefined;
    if (armed.first === undefined) refSweep(false);
  }

  close(): void {
    this.#closed = true;
    this.disarm();
  }

  /** Called by the sweep when the wait timed out: runs `fn` unless the watchdog was disarmed or re-armed since. */
  expire(): void {
    if (this.due === undefined || armed.has(this)) return;
    this.due = undefined;
    this.#fn?.();
  }
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
