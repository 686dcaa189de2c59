import { longTimeout } from "./timers";

/**
 * Resolves after `ms`, or early (without throwing) when `signal` aborts; the timer never outlives either. Any
 * `ms` is safe: delays past setTimeout's limit are chained (longTimeout), never cut to 1 ms.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      timer.clear();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = longTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value != null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/** Node gives repeated headers as arrays; flatten to one comma-joined string per name. */
export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function errorType(err: unknown): string {
  if (err instanceof Error) {
    // A subclass that did not set `name` still reports its class, like Python's type(e).__name__.
    if (err.name && err.name !== "Error") return err.name;
    return err.constructor?.name || "Error";
  }
  return "Error";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What `raceAbort` resolves to when the signal fired first. */
export const ABORTED: unique symbol = Symbol("aborted");

/**
 * Settles like `promise`, or with ABORTED as soon as `signal` aborts, whichever comes first: code that ignores
 * its abort signal cannot hold the caller. The listener is removed either way.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      resolve(ABORTED);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** Resolves when `promise` settles or after `ms`, whichever is first; the timer never outlives it. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = longTimeout(resolve, ms);
    const done = () => {
      timer.clear();
      resolve();
    };
    promise.then(done, done);
  });
}

/**
 * Iterates `iterable` until `signal` aborts, even while a `next()` is pending; the source is then told to
 * return so its finally blocks run. Each step listens for the abort on its own (raceAbort adds the listener and
 * removes it): racing one promise that stays pending for the whole iteration would add a reaction to it per
 * step, kept until the end.
 */
export async function* untilAborted<T>(iterable: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = iterable[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      // (a pending next() that later fails after the abort is caught by raceAbort: no unhandled rejection)
      const step = await raceAbort(it.next(), signal);
      if (step === ABORTED) return;
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } catch (err) {
    finished = true;
    throw err;
  } finally {
    if (!finished) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
