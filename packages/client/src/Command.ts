import { constructStack } from "@smithy/middleware-stack";
import type { HttpHandler, HttpRequest, HttpResponse } from "@smithy/protocol-http";
import type {
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  FinalizeHandlerArguments,
  HandlerExecutionContext,
  MiddlewareStack,
} from "@smithy/types";
import type { Logger, RuntimeClientConfig } from "./config";
import { openBody, type BodyReader } from "./protocol/body";
import { clientError, ClientErrorNames, type AgentRuntimeError, type ResponseMetadata } from "./protocol/errors";
import { holdSecret } from "./protocol/redact";
import type { ResponseLimits } from "./protocol/limits";
import { startTimer } from "./protocol/timers";

export type Operation = "invoke" | "commands" | "stop";

/** What serializers, deserializers and middleware know about the call in flight. */
export interface RuntimeContext extends Omit<HandlerExecutionContext, "logger"> {
  commandName: string;
  operation: Operation;
  config: RuntimeClientConfig;
  logger?: Logger;
  /** Aborted by the caller's signal or the call's deadline; its reason is a typed AgentRuntimeError. */
  signal: AbortSignal;
  requestTimeout?: number;
  idleTimeout?: number;
  /** The bounds of every buffer this call's response can fill. */
  limits: ResponseLimits;
  /** The HTTP handler, created on first use. */
  requestHandler(): HttpHandler;
  /** Whether the default handler still holds `request` in its queue, waiting for a free socket. */
  waitingForSocket?(request: HttpRequest): boolean;
  /** The body of the current attempt's response, opened by the transport. */
  body?: BodyReader;
  /** Filled by the deserializer for outputs and errors. */
  metadata: ResponseMetadata;
  /** Set once a response body has been handed to the caller: nothing may be retried after that. */
  streamed?: boolean;
  /** Set when a 2xx response arrived: the agent may be acting on the call, so nothing is retried after that. */
  accepted?: boolean;
  /** HTTP requests handed to the handler in this call, retries and the 401 refresh included. */
  requests?: number;
  /** Bearer tokens sent in this call, scrubbed from errors raised after the middleware returned (streams). */
  secrets?: string[];
  /** Runs when the call is over (stream closed, or result/error returned). */
  onRelease(fn: () => void): void;
}

export interface MetadataBearer {
  $metadata: ResponseMetadata;
}

/** The AWS SDK v3 command shape: input, its own middleware stack, serializer and deserializer. */
export abstract class RuntimeCommand<Input extends object, Output extends MetadataBearer> {
  readonly middlewareStack: MiddlewareStack<any, any> = constructStack<any, any>();
  abstract readonly commandName: string;
  abstract readonly operation: Operation;

  readonly input: Input;

  constructor(input: Input) {
    // a shallow copy without bearerToken: the token is held outside every property (not even a hidden one), so
    // inspecting or serialising a command cannot reach it; the bearer middleware reads it with heldSecret(input)
    const copy = { ...input } as Input & { bearerToken?: unknown };
    if ("bearerToken" in copy) {
      holdSecret(copy, copy.bearerToken);
      delete copy.bearerToken;
    }
    this.input = copy;
  }

  /** Validates the input and builds the request; throws a typed error before anything is sent. */
  abstract serialize(input: Input, context: RuntimeContext): Promise<HttpRequest>;

  /** Builds the output from a 2xx response, or throws the error a response carries. */
  abstract deserialize(response: HttpResponse, context: RuntimeContext): Promise<Output>;

  /** Merges the client's stack with this command's and closes it over the transport. */
  resolveMiddleware(clientStack: MiddlewareStack<any, any>, context: RuntimeContext) {
    const stack = clientStack.concat(this.middlewareStack);
    stack.add(
      (next: any) => async (args: any) => next({ ...args, request: await this.serialize(args.input, context) }),
      { step: "serialize", name: "serializerMiddleware", override: true },
    );
    stack.add(
      (next: any) =>
        async (args: DeserializeHandlerArguments<Input>): Promise<DeserializeHandlerOutput<Output>> => {
          const { response } = await next(args);
          const output = await this.deserialize(response as HttpResponse, context);
          return { response, output };
        },
      { step: "deserialize", name: "deserializerMiddleware", override: true },
    );
    return stack.resolve((args: FinalizeHandlerArguments<Input>) => transport(args.request as HttpRequest, context) as any, context as HandlerExecutionContext);
  }
}

function isAgentRuntimeError(e: unknown): e is AgentRuntimeError {
  return !!e && typeof e === "object" && "$fault" in e && "$metadata" in e;
}

const RETRYABLE_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"]);

/** Maps what an HTTP handler throws before a response into typed, retry-classified errors. */
function transportError(e: unknown, context: RuntimeContext): AgentRuntimeError {
  if (isAgentRuntimeError(e)) return e;
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  // @smithy/node-http-handler's connectionTimeout: a TimeoutError without an errno code ("did not establish a connection")
  if (err?.name === "TimeoutError" && code === undefined && /connect/i.test(err.message ?? "")) {
    const limit = context.config.connectionTimeout;
    return clientError(ClientErrorNames.connectionTimeout, `Could not connect${limit ? ` within ${limit} ms` : " in time"} (connectionTimeout)`, {
      cause: e,
      retryable: true,
      fields: { code: "ETIMEDOUT", beforeResponse: true },
    });
  }
  const message = err?.message ?? String(e);
  return clientError(ClientErrorNames.network, `The request failed before a response arrived: ${message}`, {
    cause: e,
    retryable: code === undefined ? err?.name === "TypeError" : RETRYABLE_CODES.has(code),
    fields: { code, beforeResponse: true },
  });
}

/** One attempt: send, wait for headers under `requestTimeout`, open the body under `idleTimeout`. */
async function transport(request: HttpRequest, context: RuntimeContext): Promise<{ response: HttpResponse }> {
  const callSignal = context.signal;
  if (callSignal.aborted) throw callSignal.reason;
  context.requests = (context.requests ?? 0) + 1;
  const attempt = new AbortController();
  const onCallAbort = () => attempt.abort(callSignal.reason);
  callSignal.addEventListener("abort", onCallAbort, { once: true });
  const detach = () => callSignal.removeEventListener("abort", onCallAbort);
  let stopTimer: (() => void) | undefined;
  // without a requestTimeout the idle timeout also bounds the wait for headers (as the Python SDK's read
  // timeout does), so a half-open connection cannot hang a call forever
  const headersWithin = context.requestTimeout ?? context.idleTimeout;
  if (headersWithin !== undefined) {
    const ms = headersWithin;
    const option = context.requestTimeout === undefined ? "idleTimeout" : "requestTimeout";
    stopTimer = startTimer(ms, () => {
      // a request the connection pool never gave a socket was never sent: say so, it is not a slow server
      const queued = context.waitingForSocket?.(request) === true;
      const message = queued
        ? `The request waited ${ms} ms (${option}) for a free connection and was never sent: all maxSockets connections to ${request.hostname} are in use (raise maxSockets, or close streams you no longer read)`
        : `No response headers within ${ms} ms (${option})`;
      attempt.abort(clientError(ClientErrorNames.requestTimeout, message, { retryable: true, fields: queued ? { neverSent: true } : undefined }));
    });
  }
  try {
    const handler = context.requestHandler();
    // a rejection after our own abort is superseded by the abort's typed reason
    const { response } = await Promise.race([
      handler.handle(request, { abortSignal: attempt.signal as any }),
      new Promise<never>((_, reject) => {
        if (attempt.signal.aborted) reject(attempt.signal.reason);
        attempt.signal.addEventListener("abort", () => reject(attempt.signal.reason), { once: true });
      }),
    ]);
    stopTimer?.();
    if (response.statusCode >= 200 && response.statusCode < 300) context.accepted = true;
    context.body = openBody(response.body, {
      signal: attempt.signal,
      idleTimeout: context.idleTimeout,
      onClose: detach,
    });
    return { response };
  } catch (e) {
    stopTimer?.();
    detach();
    if (attempt.signal.aborted) {
      const reason = attempt.signal.reason;
      throw reason;
    }
    throw transportError(e, context);
  }
}
