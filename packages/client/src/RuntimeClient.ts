import { constructStack } from "@smithy/middleware-stack";
import type { HttpHandler } from "@smithy/protocol-http";
import type { MiddlewareStack } from "@smithy/types";
import type { MetadataBearer, RuntimeCommand, RuntimeContext } from "./Command";
import { checkCallOptions, checkClientConfig, resolveLimits, type RuntimeClientConfig, type SendOptions } from "./config";
import { bearerAuthMiddleware, bearerAuthMiddlewareOptions } from "./middleware/bearerAuth";
import { retryMiddleware, retryMiddlewareOptions } from "./middleware/retry";
import { loggerMiddleware, loggerMiddlewareOptions } from "./middleware/logger";
import { clientError, ClientErrorNames } from "./protocol/errors";
import { holdSecret } from "./protocol/redact";
import { startTimer } from "./protocol/timers";
import { createDefaultRequestHandler, type DefaultRequestHandler } from "./runtime/runtimeConfig";

/**
 * The client: resolved config, a middleware stack with AWS SDK v3 semantics and an HTTP handler.
 * Constructing it performs no I/O and creates no sockets, agents or timers.
 */
export class RuntimeClient {
  readonly config: RuntimeClientConfig;
  readonly middlewareStack: MiddlewareStack<any, any> = constructStack<any, any>();
  // ES private: a pooled socket's request (its Authorization header included) is never reachable from the client
  #handler: HttpHandler | undefined;
  private destroyed = false;
  /** Calls in flight (streams included), aborted by destroy(). */
  private readonly live = new Set<AbortController>();

  constructor(config: RuntimeClientConfig = {}) {
    checkClientConfig(config);
    this.config = { ...config };
    // the token is held outside every property (not even a hidden one): inspecting or serialising the client
    // cannot reach it; the bearer middleware reads it with heldSecret(config)
    delete this.config.token;
    holdSecret(this.config, config.token);
    if (config.retryStrategy !== undefined && typeof (config.retryStrategy as { retryDelay?: unknown }).retryDelay !== "function") {
      throw clientError(
        ClientErrorNames.invalidParameter,
        "retryStrategy must have retryDelay(error, attempt, operation) and maxAttempts (see standardRetryStrategy); AWS SDK v3 retry strategies are not supported",
        { fields: { field: "retryStrategy" } },
      );
    }
    this.#handler = config.requestHandler;
    delete this.config.requestHandler;
    this.middlewareStack.add(retryMiddleware(this.config), retryMiddlewareOptions);
    this.middlewareStack.add(bearerAuthMiddleware(this.config), bearerAuthMiddlewareOptions);
    this.middlewareStack.add(loggerMiddleware(this.config), loggerMiddlewareOptions);
  }

  /** Sends a command; a streaming output keeps the call open until its stream ends or is cancelled. */
  async send<Input extends object, Output extends MetadataBearer>(command: RuntimeCommand<Input, Output>, options: SendOptions = {}): Promise<Output> {
    if (this.destroyed) throw clientError(ClientErrorNames.invalidParameter, "This RuntimeClient was destroyed");
    checkCallOptions(options);
    const call = new AbortController();
    this.live.add(call);
    const cleanups: (() => void)[] = [() => this.live.delete(call)];
    const userSignal = options.abortSignal;
    if (userSignal) {
      const onAbort = () => call.abort(clientError(ClientErrorNames.aborted, "The request was aborted", { cause: userSignal.reason }));
      if (userSignal.aborted) onAbort();
      else {
        userSignal.addEventListener("abort", onAbort, { once: true });
        cleanups.push(() => userSignal.removeEventListener("abort", onAbort));
      }
    }
    const deadline = options.deadline ?? this.config.deadline;
    if (deadline !== undefined && !call.signal.aborted) {
      cleanups.push(startTimer(deadline, () => call.abort(clientError(ClientErrorNames.deadline, `The call did not finish within its ${deadline} ms deadline`))));
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const fn of cleanups.splice(0)) fn();
    };
    const context: RuntimeContext = {
      commandName: command.commandName,
      operation: command.operation,
      config: this.config,
      logger: this.config.logger,
      signal: call.signal,
      requestTimeout: options.requestTimeout ?? this.config.requestTimeout,
      // per call only: each command picks its own default, using the client's idleTimeout as it sees fit
      idleTimeout: options.idleTimeout,
      limits: resolveLimits(this.config, options),
      requestHandler: () => this.requestHandler(),
      waitingForSocket: (request) => (this.#handler as Partial<DefaultRequestHandler> | undefined)?.waitingForSocket?.(request) === true,
      metadata: {},
      onRelease: (fn) => (released ? fn() : cleanups.push(fn)),
    };
    try {
      const handler = command.resolveMiddleware(this.middlewareStack, context);
      const { output } = await handler({ input: command.input });
      const stream = (output as { stream?: { onClose?(fn: () => void): void } }).stream;
      if (stream?.onClose) stream.onClose(release);
      else release();
      return output as Output;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Aborts calls in flight (streams included) and releases pooled sockets. The client cannot send afterwards. */
  destroy(): void {
    this.destroyed = true;
    for (const call of this.live) call.abort(clientError(ClientErrorNames.aborted, "The RuntimeClient was destroyed"));
    this.live.clear();
    (this.#handler as { destroy?: () => void } | undefined)?.destroy?.();
    this.#handler = undefined;
  }

  private requestHandler(): HttpHandler {
    if (this.destroyed) throw clientError(ClientErrorNames.aborted, "The RuntimeClient was destroyed");
    this.#handler ??= createDefaultRequestHandler({
      connectionTimeout: this.config.connectionTimeout,
      maxSockets: this.config.maxSockets,
      logger: this.config.logger,
    });
    return this.#handler;
  }
}
