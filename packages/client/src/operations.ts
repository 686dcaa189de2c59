import type { Operation, RetryClass, RuntimeClientConfig } from "./types";

/** The Python reference's read timeout: 300 s of silence; commands get their own timeout plus this margin. */
export const DEFAULT_IDLE_TIMEOUT = 300_000;
const COMMAND_IDLE_MARGIN_MS = 30_000;
/** The service's default command timeout, in seconds. */
export const SERVICE_DEFAULT_COMMAND_TIMEOUT = 300;

const all = (on: boolean, except: Partial<Record<RetryClass, boolean>> = {}): Record<RetryClass, boolean> => ({
  throttling: on,
  conflict: on,
  unavailable: on,
  gateway: on,
  serverError: on,
  coldStart: on,
  connectionRefused: on,
  connection: on,
  requestTimeout: on,
  ...except,
});

/**
 * Every per-operation default, one table per decision. Retries: stop is idempotent, so everything transient is
 * retried; invoke and commands retry what the service rejected before the agent could act, plus (invoke) gateway
 * and connection failures before any response byte; commands never retry anything after which the shell command
 * may have started. (Public as `DEFAULT_RETRY`; its calls are pure, so a bundle that never reads it drops it.)
 */
export const DEFAULT_RETRY: Record<Operation, Record<RetryClass, boolean>> = {
  invoke: /* @__PURE__ */ all(false, { throttling: true, conflict: true, unavailable: true, gateway: true, connectionRefused: true, connection: true }),
  commands: /* @__PURE__ */ all(false, { throttling: true, conflict: true, unavailable: true, connectionRefused: true }),
  stop: /* @__PURE__ */ all(true),
};

/** Idle timeouts: a quiet command may be silent for its whole timeout, so a client-wide idleTimeout never cuts it shorter. */
export const IDLE_TIMEOUTS: Record<Operation, (config: RuntimeClientConfig, input: { timeout?: unknown }) => number> = {
  invoke: (config) => config.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
  commands: (config, input) => {
    const seconds = typeof input.timeout === "number" && input.timeout > 0 ? input.timeout : SERVICE_DEFAULT_COMMAND_TIMEOUT;
    return Math.max(config.idleTimeout ?? 0, seconds * 1000 + COMMAND_IDLE_MARGIN_MS);
  },
  stop: (config) => config.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
};
