import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { RuntimeContext } from "../Command";
import type { RuntimeClientConfig } from "../config";
import { isLoopbackHost } from "../protocol/endpoint";
import { clientError, ClientErrorNames, UnauthorizedException } from "../protocol/errors";
import { checkToken } from "../protocol/validate";
import { tokenSource, type TokenSource } from "../tokens/cache";

export const bearerAuthMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "bearerAuthMiddleware",
  priority: "normal",
  override: true,
};

/**
 * Sets `Authorization: Bearer …` on every attempt (it sits after retry in finalizeRequest). A token from a
 * provider is memoised; after a 401 the provider is asked once with `forceRefresh` and the request sent again.
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
    const send = (token: string) => {
      const signed = HttpRequest.clone(request);
      signed.headers = { ...signed.headers, Authorization: `Bearer ${token}` };
      return next({ ...args, request: signed });
    };
    if (perCall !== undefined) return send(checkToken(perCall));
    source ??= tokenSource(config.token!);
    const token = await source.get(false);
    try {
      return await send(token);
    } catch (e) {
      if (!source.refreshable || context.streamed || !UnauthorizedException.isInstance(e)) throw e;
      context.logger?.info?.(`agentcore: ${context.commandName} got 401; refreshing the token and sending once more`);
      return send(await source.get(true));
    }
  };
}
