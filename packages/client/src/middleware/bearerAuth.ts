import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { RuntimeContext } from "../Command";
import type { RuntimeClientConfig } from "../config";
import { isLoopbackHost } from "../protocol/endpoint";
import { clientError, ClientErrorNames, scrubSecret, UnauthorizedException } from "../protocol/errors";
import { checkToken } from "../protocol/validate";
import { tokenSource, type TokenSource } from "../tokens/cache";

export const bearerAuthMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "bearerAuthMiddleware",
  priority: "normal",
  override: true,
};

/** Waits for a (possibly shared) promise, giving up with the signal's reason on abort without cancelling it. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Sets `Authorization: Bearer …` on every attempt (it sits after retry in finalizeRequest). A token from a
 * provider is memoised; after a 401 the provider is asked once with `forceRefresh` and the request sent again.
 * The token is scrubbed from any error that passes through, in case a server echoes it.
 */
export function bearerAuthMiddleware(config: RuntimeClientConfig): FinalizeRequestMiddleware<any, any> {
  let source: TokenSource | undefined;
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    const request = args.request as HttpRequest;
    const input = args.input as { bearerToken?: string };
    const perCall = input.bearerToken;
    if (perCall === undefined && config.token === undefined) return next(args);
    if (request.protocol === "http:" && !isLoopbackHost(request.hostname)) {
      throw clientError(
        ClientErrorNames.insecureEndpoint,
        `Refusing to send a bearer token over plain http to ${request.hostname}; use https, or a loopback host for local development`,
      );
    }
    const send = async (token: string) => {
      // streams raise after this middleware returned: they scrub with the secrets recorded here
      (context.secrets ??= []).push(token);
      const signed = HttpRequest.clone(request);
      signed.headers = { ...signed.headers, Authorization: `Bearer ${token}` };
      try {
        return await next({ ...args, request: signed });
      } catch (e) {
        throw scrubSecret(e, token);
      }
    };
    if (perCall !== undefined) return send(checkToken(perCall));
    source ??= tokenSource(config.token!);
    const token = await unlessAborted(source.get(false), context.signal);
    try {
      return await send(token);
    } catch (e) {
      if (!source.refreshable || context.streamed || context.signal.aborted || !UnauthorizedException.isInstance(e)) throw e;
      context.logger?.info?.(`agentcore: ${context.commandName} got 401; refreshing the token and sending once more`);
      return send(await unlessAborted(source.get(true, token), context.signal));
    }
  };
}
