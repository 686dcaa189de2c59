import { unlessAborted, type Abort } from "./abort";
import { backgroundWork } from "../runtime/runtimeConfig";

/**
 * One provider call in flight (a token, AWS credentials), shared by every call that waits for it. The token memo
 * and the SigV4 credentials memo both keep their values this way; each adds its own validation and freshness rules.
 */
export interface SharedFetch<T> {
  promise: Promise<T>;
  /** Started with forceRefresh. */
  forced: boolean;
  /** Calls waiting for it that may give up (they passed an abort state). */
  waiting: number;
  /** A call that cannot give up waits for it: it is kept until it settles. */
  held: boolean;
  /** The timer of its `within` bound: it keeps a Node process alive only while some call waits for the fetch. */
  timer?: Timer | undefined;
  /** Started as a refresh ahead of expiry that no call waited for. */
  background?: boolean | undefined;
}

type Timer = { ref?(): void; unref?(): void };

/** Lets a fetch's bound keep a Node process alive only while some call waits for it (not a background refresh). */
function keepAlive(fetch: SharedFetch<unknown>): void {
  if (fetch.held || fetch.waiting > 0) fetch.timer?.ref?.();
  else fetch.timer?.unref?.();
}

export interface SharedFetches<T> {
  /** The fetch in flight, if any. */
  readonly inflight: SharedFetch<T> | undefined;
  /** The fetch in flight, or a new one started with `forced`. */
  start(forced: boolean): SharedFetch<T>;
  /** A refresh ahead of expiry, in the background (no call waits for it), unless a fetch is in flight. */
  refresh(forced: boolean): void;
  /**
   * Waits for `fetch` until `abort` (if any) gives up. When every call waiting for a fetch has given up, the next
   * call starts a new one rather than wait for the same provider call (which may never settle).
   */
  wait(fetch: SharedFetch<T>, abort: Abort | undefined): Promise<T>;
}

/** After `failures` refreshes ahead of expiry failed in a row, the next waits 1 s, 2 s, 4 s … up to 15 s. */
export function refreshRetryDelay(failures: number): number {
  return Math.min(15_000, 1000 * 2 ** (failures - 1));
}

/** At most one `run` at a time; its result goes to every call that waits for it. */
export function sharedFetches<T>(run: (forced: boolean, fetch: SharedFetch<T>) => Promise<T>): SharedFetches<T> {
  let inflight: SharedFetch<T> | undefined;
  return {
    get inflight() {
      return inflight;
    },
    start(forced) {
      // a background refresh is not joined where I/O belongs to the request that started it (see backgroundWork):
      // a call that must wait starts its own
      if (inflight !== undefined && !(inflight.background && !backgroundWork)) return inflight;
      const fetch: SharedFetch<T> = { promise: undefined!, forced, waiting: 0, held: false };
      fetch.promise = (async () => {
        // `run` starts once `inflight` is set, even one that throws at once (else its settled promise would stay)
        await undefined;
        try {
          return await run(forced, fetch);
        } finally {
          if (inflight === fetch) inflight = undefined;
        }
      })();
      return (inflight = fetch);
    },
    refresh(forced) {
      if (inflight !== undefined) return;
      const fetch = this.start(forced);
      fetch.background = true;
      fetch.promise.catch(() => undefined);
    },
    wait(fetch, abort) {
      if (abort === undefined) {
        fetch.held = true;
        keepAlive(fetch);
        return fetch.promise;
      }
      fetch.waiting++;
      keepAlive(fetch);
      return unlessAborted(fetch.promise, abort).finally(() => {
        if (--fetch.waiting === 0 && !fetch.held && abort.aborted && inflight === fetch) inflight = undefined;
        keepAlive(fetch);
      });
    },
  };
}

/**
 * What `ask()` settles with, or an Error "no `what` within `ms` ms" after `ms` (at most 2^31-1): a provider call
 * that never settles cannot hold every later call. A synchronous throw of `ask` becomes the rejection. With
 * `fetch`, the timer keeps a Node process alive only while a call waits for that fetch: a hung background refresh,
 * or one every call gave up on, does not hold a finished script open for the rest of `ms`.
 */
export function within<T>(ms: number, what: string, ask: () => T | PromiseLike<T>, fetch?: SharedFetch<unknown>): Promise<Awaited<T>> {
  return new Promise<Awaited<T>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), Math.min(ms, 2 ** 31 - 1));
    if (fetch) {
      fetch.timer = timer;
      keepAlive(fetch);
    }
    const settle = <A>(end: (a: A) => void) => (a: A) => {
      clearTimeout(timer);
      end(a);
    };
    try {
      Promise.resolve(ask()).then(settle(resolve as (value: T) => void), settle(reject));
    } catch (e) {
      settle(reject)(e);
    }
  });
}
