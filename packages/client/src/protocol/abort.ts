import { LinkedList, type Linked } from "./list";

/**
 * One lightweight abort state per call and per attempt, instead of `AbortController`s: a Node
 * `AbortController` and its `EventTarget` signal cost more than the rest of a small invoke's bookkeeping
 * together. A real `AbortSignal` is made only when something asks for one (`signal`: a user's middleware,
 * `fetch`, a custom HTTP handler, a retry strategy's `sleep`).
 *
 * It also satisfies `@smithy/types`' `AbortSignal` (`aborted`, `onabort`), which is what the HTTP handlers of
 * `@smithy/node-http-handler` and `@smithy/fetch-http-handler` accept.
 */
export class Abort {
  aborted = false;
  reason: unknown;
  /** Set by an HTTP handler that takes a `@smithy/types` AbortSignal; called once, on abort. */
  onabort: ((this: unknown, event?: unknown) => unknown) | null = null;
  // the first listener in a field of its own (a call and an attempt each have one, nearly always): no array, no
  // splice to remove it; any later ones in `#listeners`, in the order they came
  #one: (() => void) | undefined;
  #listeners: (() => void)[] | undefined;
  #controller: AbortController | undefined;
  /**
   * A call's last resort (RuntimeClient.send): rejects the call with the abort's reason a little after the abort,
   * for a user's middleware that never settles. Settling the call first makes it a no-op.
   */
  abandon: ((reason: unknown) => void) | undefined = undefined;

  /** Aborts with `reason` (once; later calls change nothing) and runs every listener. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    const one = this.#one;
    const listeners = this.#listeners;
    this.#one = undefined;
    this.#listeners = undefined;
    one?.();
    if (listeners) for (const fn of listeners) fn();
    this.onabort?.({ type: "abort" });
    const abandon = this.abandon;
    if (abandon !== undefined) {
      // the SDK's own steps settle at once on abort, with the attempts and metadata they add: only a middleware
      // that never settles is still pending when this runs
      const timer = setTimeout(() => abandon(reason), ABANDON_AFTER_MS);
      (timer as { unref?(): void }).unref?.();
    }
  }

  /** Runs `fn` once on abort (at once if already aborted); returns a function that stops listening. */
  listen(fn: () => void): () => void {
    if (this.aborted) {
      fn();
      return noop;
    }
    if (this.#one === undefined && this.#listeners === undefined) {
      this.#one = fn;
      return () => {
        if (this.#one === fn) this.#one = undefined;
      };
    }
    const listeners = (this.#listeners ??= []);
    listeners.push(fn);
    return () => {
      // while abort() runs the listeners, the list it runs stays as it is
      if (this.aborted) return;
      const at = listeners.indexOf(fn);
      if (at !== -1) listeners.splice(at, 1);
    };
  }

  /** Aborts this one too when `parent` aborts (with the parent's reason); returns the unlink function. */
  follow(parent: Abort): () => void {
    return parent.listen(() => this.abort(parent.reason));
  }

  /** A real `AbortSignal` tied to this state, made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }
}

const noop = () => undefined;

/** How long an aborted call waits for its middleware to settle before it ends with the abort's reason alone. */
const ABANDON_AFTER_MS = 100;

/** One entry of `CallList`. */
export interface CallEntry extends Linked<CallEntry> {
  readonly call: Abort;
}

/** The calls in flight of one client (streams included), so `destroy()` can abort them. */
export class CallList {
  readonly #list = new LinkedList<CallEntry>();

  add(call: Abort): CallEntry {
    const entry: CallEntry = { call, prev: undefined, next: undefined };
    this.#list.add(entry);
    return entry;
  }

  /** Takes `entry` out (once; later calls, or one after `drain()`, change nothing). */
  remove(entry: CallEntry): void {
    this.#list.remove(entry);
  }

  /** Empties the list and returns its calls, newest first. */
  drain(): Abort[] {
    const calls: Abort[] = [];
    for (let entry = this.#list.first; entry; entry = this.#list.first) {
      calls.push(entry.call);
      this.#list.remove(entry);
    }
    return calls;
  }
}

/** Waits for a (possibly shared) promise, giving up with the abort's reason on abort without cancelling it. */
export function unlessAborted<T>(promise: Promise<T>, abort: Abort): Promise<T> {
  if (abort.aborted) return Promise.reject(abort.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = abort.listen(() => reject(abort.reason));
    promise.then(
      (value) => {
        stop();
        resolve(value);
      },
      (e) => {
        stop();
        reject(e);
      },
    );
  });
}

/** The calls that share one user `AbortSignal`, behind the one listener the client adds to it. */
interface SharedSignal {
  hub: Abort;
  users: number;
  onAbort: () => void;
}
const sharedSignals = new WeakMap<AbortSignal, SharedSignal>();

/**
 * Runs `fn` once when `signal` aborts; returns a function that stops listening. However many calls share one
 * signal, it carries one listener of the client's (Node warns of a leak past 10 on one signal), removed when
 * the last of them stops listening.
 */
export function listenToSignal(signal: AbortSignal, fn: () => void): () => void {
  let shared = sharedSignals.get(signal);
  if (shared === undefined) {
    const hub = new Abort();
    const onAbort = () => {
      sharedSignals.delete(signal);
      hub.abort(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    sharedSignals.set(signal, (shared = { hub, users: 0, onAbort }));
  }
  const entry = shared;
  entry.users++;
  const stop = entry.hub.listen(fn);
  let listening = true;
  return () => {
    if (!listening) return;
    listening = false;
    stop();
    if (--entry.users === 0 && sharedSignals.get(signal) === entry) {
      sharedSignals.delete(signal);
      signal.removeEventListener("abort", entry.onAbort);
    }
  };
}

/**
 * An abort state that follows a caller's `signal`, aborting with `reasonOf(signal.reason)` (the SDK's typed
 * AbortError / DeadlineExceededError), and the function that stops following it.
 */
export function followSignal(signal: AbortSignal, reasonOf: (reason: unknown) => unknown): { abort: Abort; detach: () => void } {
  const abort = new Abort();
  if (signal.aborted) {
    abort.abort(reasonOf(signal.reason));
    return { abort, detach: noop };
  }
  return { abort, detach: listenToSignal(signal, () => abort.abort(reasonOf(signal.reason))) };
}
