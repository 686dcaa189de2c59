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
  unknownOutcome: on,
  ...except,
});

/**
 * Every per-operation default in one table. Retries: stop is idempotent, so everything transient is retried;
 * invoke and commands retry what the service rejected before the agent could act, plus (invoke) gateway and
 * connection failures before any response byte; commands never retry anything after which the shell command
 * may have started. Idle timeouts: a quiet command may be silent for its whole timeout, so a client-wide
 * idleTimeout never cuts it shorter.
 */
export const OPERATIONS: Record<Operation, { retry: Record<RetryClass, boolean>; idleTimeout(config: RuntimeClientConfig, input: { timeout?: unknown }): number }> = {
  invoke: {
    retry: all(false, { throttling: true, conflict: true, unavailable: true, gateway: true, connectionRefused: true, connection: true }),
    idleTimeout: (config) => config.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
  },
  commands: {
    retry: all(false, { throttling: true, conflict: true, unavailable: true, connectionRefused: true }),
    idleTimeout: (config, input) => {
      const seconds = typeof input.timeout === "number" && input.timeout > 0 ? input.timeout : SERVICE_DEFAULT_COMMAND_TIMEOUT;
      return Math.max(config.idleTimeout ?? 0, seconds * 1000 + COMMAND_IDLE_MARGIN_MS);
    },
  },
  stop: {
    retry: all(true),
    idleTimeout: (config) => config.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
  },
};
