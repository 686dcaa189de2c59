import { constructStack } from "@smithy/middleware-stack";
import type { HttpRequest } from "@smithy/protocol-http";
import type { MiddlewareStack } from "@smithy/types";
import { resolveStack } from "./pipeline";
import { holdSecret } from "./protocol/redact";
import type { RuntimeResponse } from "./protocol/transport";
import type { MetadataBearer, Operation, RuntimeContext } from "./types";

export type { MetadataBearer, Operation, RuntimeContext } from "./types";

/**
 * The AWS SDK v3 command shape: input, its own middleware stack, serializer and deserializer. The command's
 * stack is created on first use: most commands never add middleware, and the client then runs its cached stack.
 */
export abstract class RuntimeCommand<Input extends object, Output extends MetadataBearer> {
  /** The class name, e.g. `InvokeCommand`, for logs and middleware (survives minification). */
  abstract readonly commandName: string;
  /** The data-plane operation the command calls; decides its retry table and default timeouts. */
  abstract readonly operation: Operation;

  /** A shallow copy of the input the command was created with, without `bearerToken` (held where nothing can print it). */
  readonly input: Input;
  #stack: MiddlewareStack<any, any> | undefined;

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

  /** Middleware for this command only, on top of the client's (AWS SDK v3 `MiddlewareStack` semantics). */
  get middlewareStack(): MiddlewareStack<any, any> {
    return (this.#stack ??= constructStack<any, any>());
  }

  /** Whether middleware was added to this command (its stack was ever used). */
  hasOwnMiddleware(): boolean {
    return this.#stack !== undefined;
  }

  /** Merges the client's stack with this command's and closes it over the transport (what `send()` runs). */
  resolveMiddleware(clientStack: MiddlewareStack<any, any>, context: RuntimeContext): (args: { input: Input }) => Promise<{ output: Output }> {
    return resolveStack(clientStack, this.middlewareStack, context);
  }

  /** Validates the input and builds the request; throws a typed error before anything is sent. */
  abstract serialize(input: Input, context: RuntimeContext): Promise<HttpRequest>;

  /**
   * Builds the output from a response whose body the transport opened (`response.body` is a reader), or throws
   * the error the response carries. A streaming output takes over the body; otherwise the body is read whole.
   */
  abstract deserialize(response: RuntimeResponse, context: RuntimeContext): Promise<Output>;
}
