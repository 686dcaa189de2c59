import { constructStack } from "@smithy/middleware-stack";
import type { HttpHandler } from "@smithy/protocol-http";
import type { MiddlewareStack } from "@smithy/types";
import { RuntimeCommand } from "./Command";
import { checkCallOptions, resolveConfig } from "./config";
import { bearerAuthMiddleware, bearerAuthMiddlewareOptions } from "./middleware/bearerAuth";
import { loggerMiddleware, loggerMiddlewareOptions } from "./middleware/logger";
import { retryMiddleware, retryMiddlewareOptions } from "./middleware/retry";
import { OPERATIONS } from "./operations";
import { Pipeline } from "./pipeline";
import { AgentRuntimeError, callerAbortError, clientError, ClientErrorNames } from "./protocol/errors";
import { Abort, CallList, listenToSignal } from "./protocol/abort";
import { holdSecret } from "./protocol/redact";
import { startTimer } from "./protocol/timers";
import { createDefaultRequestHandler } from "./runtime/runtimeConfig";
import type { ContextLogger, Logger, MetadataBearer, ResolvedConfig, RuntimeClientConfig, RuntimeContext, SendOptions } from "./types";

/**
 * One call's context: what its middleware, serializer and deserializer read. A class, so every call's context
 * has one shape and its `signal` accessor is not re-created per call.
 */
/** A call's `context.logger` when the client has none: middleware may log unconditionally, as in the AWS SDK. */
const NO_LOGGER: ContextLogger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

/**
 * `context.logger` for a configured logger: the logger itself when it has every level, else one whose missing
 * levels do what the logger middleware does with them (`info` and `warn` go to `error`, `debug` to nothing), so a
 * middleware's `context.logger.debug(…)` never throws. Levels are called as methods (pino's need their `this`).
 */
function contextLogger(logger: Logger | undefined): ContextLogger {
  if (!logger) return NO_LOGGER;
  const has = (level: keyof Logger) => typeof logger[level] === "function";
  if (has("debug") && has("info") && has("warn") && has("error")) return logger as ContextLogger;
  const level =
    (name: keyof Logger, fallback?: keyof Logger) =>
    (...args: any[]) => {
      if (has(name)) logger[name]!(...args);
      else if (fallback && has(fallback)) logger[fallback]!(...args);
    };
  return Object.freeze({ debug: level("debug"), info: level("info", "error"), warn: level("warn", "error"), error: level("error") });
}

class CallContext implements RuntimeContext {
  /** The client's name, as AWS SDK clients set it (middleware written for several clients tell them apart by it). */
  readonly clientName = "RuntimeClient";
  commandName: string;
  operation: RuntimeContext["operation"];
  logger: RuntimeContext["logger"];
  requestTimeout: number | undefined = undefined;
  idleTimeout: number | undefined = undefined;
  limits: RuntimeContext["limits"];
  sessionId: string | undefined = undefined;
  readonly sent = { count: 0 };
  attempt: RuntimeContext["attempt"] = undefined;
  // a signal a middleware put in place of context.signal (e.g. AbortSignal.any of it and its own)
  #replaced: AbortSignal | undefined = undefined;

  constructor(
    readonly command: RuntimeContext["command"] & { commandName: string; operation: RuntimeContext["operation"] },
    readonly config: ResolvedConfig,
    readonly abort: Abort,
    readonly requestHandler: RuntimeContext["requestHandler"],
    logger: ContextLogger,
  ) {
    this.commandName = command.commandName;
    this.operation = command.operation;
    this.logger = logger;
    this.limits = config.limits;
  }

  /** A real AbortSignal only for whoever asks (a user's middleware); the SDK itself listens to `abort`. */
  get signal(): AbortSignal {
    return this.#replaced ?? this.abort.signal;
  }

  /**
   * A middleware's own signal in its place aborts the call too, with its reason, as it did when the transport
   * listened to context.signal itself.
   */
  set signal(value: AbortSignal) {
    unfollowSignal(this);
    this.#replaced = value;
    const call = this.abort;
    const onAbort = () => call.abort(value.reason);
    if (value.aborted) onAbort();
    else {
      value.addEventListener("abort", onAbort, { once: true });
      replacedSignals.set(this, () => value.removeEventListener("abort", onAbort));
    }
  }
}

/** How to stop listening to a signal a middleware put in place of `context.signal` (rare: kept aside). */
const replacedSignals = new WeakMap<CallContext, () => void>();
function unfollowSignal(context: CallContext): void {
  replacedSignals.get(context)?.();
  replacedSignals.delete(context);
}

/**
 * The client: resolved config, a middleware stack with AWS SDK v3 semantics and an HTTP handler.
 * Constructing it performs no I/O and creates no sockets, agents or timers.
 *
 * A call, from `send()` to the socket: `send` resolves the call's settings and abort signal, the pipeline runs
 * the middleware (retry → bearer auth → logger in finalizeRequest, with the command's serializer and
 * deserializer around them) and ends in `protocol/transport.ts`, which hands the request to the HTTP handler
 * and returns the response with its body opened as a reader; the command's `deserialize` reads that body.
 */
export class RuntimeClient {
  /** The resolved configuration (validated, defaults filled in). The token and the HTTP handler are not in it. */
  readonly config: ResolvedConfig;
  // the stack and the pipeline over it, made on first use (a send, or a read of middlewareStack): constructing
  // a client compiles and runs none of the stack's code
  #stack: MiddlewareStack<any, any> | undefined;
  #pipeline: Pipeline | undefined;
  // ES private: a pooled socket's request (its Authorization header included) is never reachable from the client
  #handler: HttpHandler | Promise<HttpHandler> | undefined;
  #destroyed = false;
  /** Calls in flight (streams included), aborted by destroy(). */
  readonly #live = new CallList();
  readonly #handlerOf = () => this.#requestHandler();
  /** `context.logger`: the configured logger, every level callable. */
  readonly #logger: ContextLogger;

  constructor(config: RuntimeClientConfig = {}) {
    this.config = resolveConfig(config);
    // the token is held outside every property (not even a hidden one): inspecting or serialising the client
    // cannot reach it; the bearer middleware reads it with heldSecret(config)
    holdSecret(this.config, config.token);
    this.#handler = config.requestHandler;
    this.#logger = contextLogger(this.config.logger);
  }

  /**
   * Middleware for every command this client sends (AWS SDK v3 `MiddlewareStack` semantics: steps, priorities,
   * names). It holds the retry and bearer auth middleware, and the logger middleware when a logger is
   * configured; made on first use.
   */
  get middlewareStack(): MiddlewareStack<any, any> {
    return this.#stack ?? this.#makeStack().stack;
  }

  #makeStack(): { stack: MiddlewareStack<any, any>; pipeline: Pipeline } {
    const stack = constructStack<any, any>();
    stack.add(retryMiddleware(), retryMiddlewareOptions);
    stack.add(bearerAuthMiddleware(this.config), bearerAuthMiddlewareOptions);
    if (this.config.logger) stack.add(loggerMiddleware(this.config), loggerMiddlewareOptions);
    const pipeline = new Pipeline(stack);
    this.#stack = stack;
    this.#pipeline = pipeline;
    return { stack, pipeline };
  }

  /** Sends a command; a streaming output keeps the call open until its stream ends or is cancelled. */
  send<Input extends object, Output extends MetadataBearer>(command: RuntimeCommand<Input, Output>, options?: SendOptions): Promise<Output>;
  /** Sends a command and calls `callback(error)` or `callback(null, output)` (the AWS SDK's callback form). */
  send<Input extends object, Output extends MetadataBearer>(command: RuntimeCommand<Input, Output>, callback: (error: unknown, output?: Output) => void): void;
  /** Sends a command with options and calls `callback(error)` or `callback(null, output)` (the AWS SDK's callback form). */
  send<Input extends object, Output extends MetadataBearer>(command: RuntimeCommand<Input, Output>, options: SendOptions, callback: (error: unknown, output?: Output) => void): void;
  send<Input extends object, Output extends MetadataBearer>(
    command: RuntimeCommand<Input, Output>,
    optionsOrCallback?: SendOptions | ((error: unknown, output?: Output) => void),
    callback?: (error: unknown, output?: Output) => void,
  ): Promise<Output> | void {
    if (typeof optionsOrCallback === "function") return this.send(command, {}, optionsOrCallback);
    const sent = this.#send(command, optionsOrCallback ?? {});
    if (typeof callback !== "function") return sent;
    // as the AWS SDK: the callback gets the outcome, and an exception it throws is not turned into an unhandled rejection
    sent.then((output) => callback(null, output), (error: unknown) => callback(error)).catch(() => undefined);
  }

  async #send<Input extends object, Output extends MetadataBearer>(command: RuntimeCommand<Input, Output>, options: SendOptions): Promise<Output> {
    try {
      if (this.#destroyed) throw clientError(ClientErrorNames.invalidParameter, "This RuntimeClient was destroyed");
      checkCallOptions(options);
    } catch (e) {
      throw unattempted(e);
    }
    const { config } = this;
    const call = new Abort();
    const entry = this.#live.add(call);
    let stopDeadline: (() => void) | undefined;
    let stopUser: (() => void) | undefined;
    const userSignal = options.abortSignal;
    if (userSignal) {
      const onAbort = () => call.abort(callerAbortError(userSignal.reason));
      if (userSignal.aborted) onAbort();
      else stopUser = listenToSignal(userSignal, onAbort);
    }
    const deadline = options.deadline ?? config.deadline;
    if (deadline !== undefined && !call.aborted) {
      stopDeadline = startTimer(deadline, () => call.abort(clientError(ClientErrorNames.deadline, `The call did not finish within its ${deadline} ms deadline`)));
    }
    const context = new CallContext(command, config, call, this.#handlerOf, this.#logger);
    context.requestTimeout = options.requestTimeout ?? config.requestTimeout;
    context.idleTimeout = options.idleTimeout ?? OPERATIONS[command.operation]?.idleTimeout(config, command.input as { timeout?: unknown });
    if (options.maxEventBytes !== undefined || options.maxResponseBytes !== undefined) {
      context.limits = { maxEventBytes: options.maxEventBytes ?? config.limits.maxEventBytes, maxResponseBytes: options.maxResponseBytes ?? config.limits.maxResponseBytes };
    }
    const release = () => {
      this.#live.remove(entry);
      stopUser?.();
      stopDeadline?.();
      unfollowSignal(context);
    };
    try {
      const pipeline = this.#pipeline ?? this.#makeStack().pipeline;
      // a command class that resolves its middleware its own way is asked to, as the AWS SDK's send() does
      const handler =
        command.resolveMiddleware === RuntimeCommand.prototype.resolveMiddleware ? pipeline.resolve(command, context) : command.resolveMiddleware(this.middlewareStack, context);
      // the deadline, an abort and destroy() end the call even while a user's middleware never settles
      const { output } = await new Promise<{ output: unknown }>((resolve, reject) => {
        handler({ input: command.input }).then(resolve, reject);
        call.abandon = reject;
      });
      // settled: the call must not keep this promise (and through it a stream output nobody holds) reachable
      call.abandon = undefined;
      const stream = (output as { stream?: { onClose?(fn: () => void): void } } | undefined)?.stream;
      if (stream?.onClose) stream.onClose(release);
      else release();
      return output as Output;
    } catch (e) {
      call.abandon = undefined;
      // a failed call leaves nothing running: a response body no step cancelled (a middleware replaced it with one
      // the deserializer refused, say) is closed with its connection. The last attempt's abort, not the call's:
      // context.signal aborts only for the caller, the deadline and destroy()
      context.attempt?.abort(e);
      release();
      throw unattempted(e, context.sent.count);
    }
  }

  /** Aborts calls in flight (streams included) and releases pooled sockets. The client cannot send afterwards. */
  destroy(): void {
    this.#destroyed = true;
    // the list is emptied first: an abort's listeners release calls while this runs
    for (const call of this.#live.drain()) call.abort(clientError(ClientErrorNames.aborted, "The RuntimeClient was destroyed"));
    const handler = this.#handler;
    this.#handler = undefined;
    // a handler still loading is destroyed once it has loaded
    if (handler instanceof Promise) void handler.then((h) => (h as { destroy?: () => void }).destroy?.(), () => undefined);
    else (handler as { destroy?: () => void } | undefined)?.destroy?.();
  }

  #requestHandler(): HttpHandler | Promise<HttpHandler> {
    if (this.#destroyed) throw clientError(ClientErrorNames.aborted, "The RuntimeClient was destroyed");
    if (this.#handler === undefined) {
      const loading = createDefaultRequestHandler({
        connectionTimeout: this.config.connectionTimeout,
        maxSockets: this.config.maxSockets,
        logger: this.config.logger,
      });
      this.#handler = loading;
      // (Node) once loaded, later sends use the handler itself; a failed load is tried again by the next send
      if (loading instanceof Promise) {
        loading.then(
          (handler) => {
            if (this.#handler === loading) this.#handler = handler;
          },
          () => {
            if (this.#handler === loading) this.#handler = undefined;
          },
        );
      }
    }
    return this.#handler;
  }
}

/**
 * An error that ended the call where the retry middleware did not count attempts (input refused before sending, a
 * middleware above it, or no retry middleware at all): `$metadata` says how many requests went out (0 when none).
 */
function unattempted(e: unknown, sent = 0): unknown {
  if (AgentRuntimeError.isInstance(e) && (e as AgentRuntimeError).$metadata.attempts === undefined) {
    (e as AgentRuntimeError).$metadata = { ...(e as AgentRuntimeError).$metadata, attempts: sent, totalRetryDelay: 0 };
  }
  return e;
}
