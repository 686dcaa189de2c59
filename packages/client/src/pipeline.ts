import { constructStack } from "@smithy/middleware-stack";
import type { MiddlewareStack } from "@smithy/types";
import { markAccepted } from "./middleware/retry";
import { AgentRuntimeError, clientError, ClientErrorNames } from "./protocol/errors";
import { withFields } from "./protocol/objects";
import { isBodyReader, openBody } from "./protocol/body";
import { transport, type RuntimeResponse, type SentCounter } from "./protocol/transport";
import type { RuntimeContext } from "./types";

type Handler = (args: any) => Promise<any>;
type Factory = (next: Handler, context: any) => Handler;

/**
 * Builds the request from the command's input (the command is the context's, so one function serves all).
 * Not async: the attempt is next()'s own promise, chained once on the serializer's.
 */
const serializerMiddleware: Factory = (next, context: RuntimeContext) => (args) => {
  let request: unknown;
  try {
    request = context.command.serialize(args.input, context);
  } catch (e) {
    return Promise.reject(inputError(e));
  }
  return request instanceof Promise ? request.then((built) => next(withFields(args, { request: built })), (e) => Promise.reject(inputError(e))) : next(withFields(args, { request }));
};

/** What escaped a serializer untyped (a getter or proxy in the input that threw) as an InvalidParameterError. */
function inputError(e: unknown): unknown {
  if (AgentRuntimeError.isInstance(e)) return e;
  return clientError(ClientErrorNames.invalidParameter, `The input could not be read: ${(e as Error)?.message ?? String(e)}`, { cause: e, fields: { field: "input" } });
}

/**
 * Turns the response into the command's output. A failed deserialization releases the body (an unread
 * error body must not pin the connection), and one after a 2xx is marked so it is never retried.
 */
const deserializerMiddleware: Factory = (next, context: RuntimeContext) => async (args) => {
  const { response } = (await next(args)) as { response: RuntimeResponse };
  try {
    // a response made by a middleware below this one (a mock, a cache, a replay) carries the body it was given (a
    // Node stream, a ReadableStream or its reader, a `{ read, cancel }` of its own, bytes): it is read as the
    // transport's are, with the call's abort and idle timeout
    if (response && !isBodyReader(response.body)) response.body = openBody(response.body, { abort: context.abort, idleTimeout: context.idleTimeout });
    return { response, output: await context.command.deserialize(response, context) };
  } catch (e) {
    // (a body openBody refused is still the middleware's own object: its cancel may return anything)
    await Promise.resolve()
      .then(() => response.body?.cancel?.(e))
      .catch(() => undefined);
    if (response.statusCode >= 200 && response.statusCode < 300) markAccepted(e);
    throw e;
  }
};

function addSerde(stack: MiddlewareStack<any, any>): MiddlewareStack<any, any> {
  stack.add(serializerMiddleware as any, { step: "serialize", name: "serializerMiddleware", tags: ["SERIALIZER"], override: true });
  stack.add(deserializerMiddleware as any, { step: "deserialize", name: "deserializerMiddleware", tags: ["DESERIALIZER"], override: true });
  return stack;
}

/** The last handler: one HTTP attempt (the retry middleware hands down a counter of requests sent). */
const terminal = (context: RuntimeContext): Handler => (args) => transport(args.request, context, (args.sent as SentCounter | undefined) ?? context.sent);

/**
 * The middleware stack in the order `@smithy/middleware-stack` sorts it, computed once and reused until the
 * stack changes. Sorting on every send cost more than the rest of a small call; the handler itself is still
 * built per call, because middleware factories close over the call's context.
 */
function orderOf(stack: MiddlewareStack<any, any>): Factory[] {
  const entries: { middleware: Factory; options: Record<string, unknown>; relative: boolean }[] = [];
  const record = (relative: boolean) => (middleware: Factory, { middleware: _m, ...options }: Record<string, unknown>) => {
    entries.push({ middleware, options, relative });
  };
  stack.applyToStack({ add: record(false), addRelativeTo: record(true) } as unknown as MiddlewareStack<any, any>);
  // let the real stack sort stand-ins that report their position when composed
  const probe = constructStack<any, any>();
  const sequence: number[] = [];
  entries.forEach(({ options, relative }, i) => {
    const standIn: Factory = (next) => {
      sequence.push(i);
      return next;
    };
    if (relative) probe.addRelativeTo(standIn as any, options as any);
    else probe.add(standIn as any, options as any);
  });
  probe.resolve(((args: unknown) => args) as any, {} as any);
  return sequence.map((i) => entries[i].middleware);
}

const MUTATORS = ["add", "addRelativeTo", "remove", "removeByTag"] as const;

/** The AWS SDK v3 way, per call: the client's stack merged with the command's, serde added, resolved over the transport. */
export function resolveStack(clientStack: MiddlewareStack<any, any>, commandStack: MiddlewareStack<any, any>, context: RuntimeContext): Handler {
  return addSerde(clientStack.concat(commandStack)).resolve(terminal(context) as any, context as any) as Handler;
}

/** A client's stack with its sorted order cached; any change to the stack (add, remove, use, …) drops the cache. */
export class Pipeline {
  #order: Factory[] | undefined;
  readonly #stack: MiddlewareStack<any, any>;

  constructor(stack: MiddlewareStack<any, any>) {
    this.#stack = stack;
    const target = stack as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of MUTATORS) {
      const original = target[name];
      target[name] = (...args: unknown[]) => {
        this.#order = undefined;
        return original.apply(stack, args);
      };
    }
  }

  /** The handler for one call: the client's middleware, the command's own (if any), serde and the transport. */
  resolve(command: { hasOwnMiddleware?(): boolean; middlewareStack: MiddlewareStack<any, any> }, context: RuntimeContext): Handler {
    // a command with middleware of its own, or a stack asked to log itself on resolve: resolved per call
    if (command.hasOwnMiddleware?.() !== false || this.#stack.identifyOnResolve()) {
      // a command with middleware of its own: merged as the AWS SDK does, per call
      return resolveStack(this.#stack, command.middlewareStack, context);
    }
    const order = (this.#order ??= orderOf(addSerde(this.#stack.clone())));
    let handler = terminal(context);
    for (const factory of order) handler = factory(handler, context);
    return handler;
  }
}
