/**
 * Node's setTimeout takes at most 2^31-1 ms; a longer delay (or a non-finite one) fires after 1 ms instead.
 * Every timer in the emulator goes through `longTimeout`, which chains timers of at most that length, so a
 * delay of any size a user can pass (a fault's `delayMs`, an agent's `delayMs`, a scripted `sleep`) fires
 * when it should, or never for Infinity.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
  /** Lets the process exit while only this timer is pending (like Timeout#unref). */
  unref(): LongTimeout;
}

/** Runs `fn` after `ms` milliseconds (negative or NaN: as soon as possible); see MAX_TIMER_MS. */
export function longTimeout(fn: () => void, ms: number): LongTimeout {
  const deadline = Date.now() + (Number.isNaN(ms) ? 0 : Math.max(0, ms));
  let timer: NodeJS.Timeout | undefined;
  let unref = false;
  const arm = (remaining: number) => {
    timer = setTimeout(
      () => {
        // Date.now() may lag the timer by a millisecond: fire once the chunk that reaches the deadline ran.
        const left = deadline - Date.now();
        if (remaining > MAX_TIMER_MS && left > 0) arm(left);
        else fn();
      },
      Math.min(remaining, MAX_TIMER_MS),
    );
    if (unref) timer.unref();
  };
  arm(deadline - Date.now());
  const handle: LongTimeout = {
    clear() {
      clearTimeout(timer);
    },
    unref() {
      unref = true;
      timer?.unref();
      return handle;
    },
  };
  return handle;
}
