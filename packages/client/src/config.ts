import { MAX_ATTEMPTS, standardRetryStrategy } from "./middleware/retry";
import { clientError, ClientErrorNames } from "./protocol/errors";
import { DEFAULT_LIMITS } from "./protocol/limits";
import { checkDuration, checkInteger } from "./protocol/timers";
import { endpointFromEnvironment } from "./runtime/runtimeConfig";
import type { ResolvedConfig, RuntimeClientConfig, SendOptions } from "./types";

export type { Logger, RuntimeClientConfig, SendOptions, TokenProvider, ResolvedConfig } from "./types";
export { DEFAULT_IDLE_TIMEOUT } from "./operations";

export const DEFAULT_MAX_ATTEMPTS = 3;

/** Checks the options a call's timers and limits read; a bad value is an InvalidParameterError before anything is sent. */
export function checkCallOptions(options: SendOptions | RuntimeClientConfig): void {
  const signal = (options as SendOptions).abortSignal as { addEventListener?: unknown } | undefined;
  if (signal != null && typeof signal.addEventListener !== "function") {
    // (the deprecated @smithy/abort-controller signal has only `onabort`: it cannot be listened to alongside others)
    throw clientError(ClientErrorNames.invalidParameter, "abortSignal must be an AbortSignal", { fields: { field: "abortSignal" } });
  }
  checkDuration("requestTimeout", options.requestTimeout);
  checkDuration("idleTimeout", options.idleTimeout);
  checkDuration("deadline", options.deadline);
  checkInteger("maxEventBytes", options.maxEventBytes, 1, Number.MAX_SAFE_INTEGER);
  checkInteger("maxResponseBytes", options.maxResponseBytes, 1, Number.MAX_SAFE_INTEGER);
}

/**
 * Resolves a client's configuration once, in its constructor (the AWS SDK v3 `resolveXConfig` pattern): every
 * option validated, every default filled in, the endpoint override read. Everything after reads the result.
 * The token and the HTTP handler are left out: the client holds them where nothing printable reaches them.
 */
export function resolveConfig(config: RuntimeClientConfig): ResolvedConfig {
  checkCallOptions(config);
  checkDuration("connectionTimeout", config.connectionTimeout);
  checkInteger("maxAttempts", config.maxAttempts, 1, MAX_ATTEMPTS);
  if (config.maxSockets !== Infinity) checkInteger("maxSockets", config.maxSockets, 1, Number.MAX_SAFE_INTEGER);
  // a switch read from the environment as "false" must not turn FIPS on
  for (const field of ["useFipsEndpoint", "useDualstackEndpoint", "allowInsecureHttp"] as const) {
    if (config[field] != null && typeof config[field] !== "boolean") {
      throw clientError(ClientErrorNames.invalidParameter, `${field} must be true or false, got ${typeof config[field]}`, { fields: { field } });
    }
  }
  if (config.retryStrategy !== undefined && typeof (config.retryStrategy as { retryDelay?: unknown }).retryDelay !== "function") {
    throw clientError(
      ClientErrorNames.invalidParameter,
      "retryStrategy must have retryDelay(error, attempt, operation) and maxAttempts (see standardRetryStrategy); AWS SDK v3 retry strategies are not supported",
      { fields: { field: "retryStrategy" } },
    );
  }
  const handler = config.requestHandler as { handle?: unknown } | undefined;
  if (handler !== undefined && typeof handler?.handle !== "function") {
    // (the AWS SDK also takes an options object here; this client takes maxSockets and connectionTimeout itself)
    throw clientError(ClientErrorNames.invalidParameter, "requestHandler must be an HttpHandler: an object with handle()", { fields: { field: "requestHandler" } });
  }
  const { token: _token, requestHandler: _handler, ...rest } = config;
  // (a strategy must name its own: NaN stands in for a missing one)
  const strategyAttempts = config.retryStrategy && checkInteger("retryStrategy.maxAttempts", config.retryStrategy.maxAttempts ?? NaN, 1, MAX_ATTEMPTS);
  const maxAttempts = strategyAttempts ?? config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  return {
    ...rest,
    endpoint: config.endpoint ?? endpointFromEnvironment(),
    maxAttempts,
    retryStrategy: config.retryStrategy ?? standardRetryStrategy({ maxAttempts, retry: config.retry }),
    limits: {
      maxEventBytes: config.maxEventBytes ?? DEFAULT_LIMITS.maxEventBytes,
      maxResponseBytes: config.maxResponseBytes ?? DEFAULT_LIMITS.maxResponseBytes,
    },
  };
}

export { SDK_VERSION } from "./version";
