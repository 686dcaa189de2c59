import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware } from "@smithy/types";
import type { ResolvedConfig, RuntimeClientConfig, RuntimeContext, TokenProvider } from "../types";
import { isLoopbackHost } from "../protocol/endpoint";
import { clientError, ClientErrorNames, UnauthorizedException } from "../protocol/errors";
import { withFields } from "../protocol/objects";
import { heldSecret, redact, scrubSecrets } from "../protocol/redact";
import { checkToken } from "../protocol/validate";
import { tokenSourceFor, type TokenSource } from "../tokens/cache";

/** The names the AWS SDK gives its signing middleware (finalizeRequest), for `addRelativeTo` and `remove`. */
export const SIGNING_ALIASES = ["httpSigningMiddleware", "awsAuthMiddleware", "tokenMiddleware"];

/**
 * Where `bearerAuthMiddleware` sits: finalizeRequest, normal priority, inside the retry middleware so every attempt
 * sets its own token; pass it to `middlewareStack.add` or name it in `addRelativeTo`.
 */
export const bearerAuthMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "bearerAuthMiddleware",
  // the names and tag of the AWS SDK's signing middleware, so plugins placed relative to it (smithy's
  // getOmitRetryHeadersPlugin, a custom signer's addRelativeTo) find this one
  aliases: SIGNING_ALIASES,
  tags: ["HTTP_SIGNING"],
  priority: "normal",
  override: true,
};

function configToken(config: RuntimeClientConfig | ResolvedConfig): string | TokenProvider | undefined {
  return (heldSecret(config) as string | TokenProvider | undefined) ?? (config as RuntimeClientConfig).token;
}

/** A command's `bearerToken`: held out of its input's properties by RuntimeCommand, or a plain field of an input. */
function perCallToken(input: unknown): string | undefined {
  if (!input || typeof input !== "object") return undefined;
  return (heldSecret(input) as string | undefined) ?? (input as { bearerToken?: string }).bearerToken;
}

/**
 * Sets `Authorization: Bearer …` on every attempt (it sits after retry in finalizeRequest). A token from a
 * provider is memoised; after a 401 the provider is asked once with `forceRefresh` and the request sent again.
 * Every token of the call is removed from any error that passes through (a server may echo it), and from the
 * errors a streamed output raises later, after this middleware returned.
 */
export function bearerAuthMiddleware(config: RuntimeClientConfig | ResolvedConfig): FinalizeRequestMiddleware<any, any> {
  let source: TokenSource | undefined;
  // calls whose token was already refreshed after a 401: once per call, not per attempt (a server answering 401
  // and 503 in turn had the provider asked on every retry, twice maxAttempts requests in all)
  const refreshed = new WeakSet<object>();
  let warnedInsecure = false;
  // the last plain-http host checked, and whether it is loopback (a client sends to one host, call after call)
  let lastHost: string | undefined;
  let lastLoopback = false;
  const loopback = (host: string) => (host === lastHost ? lastLoopback : ((lastHost = host), (lastLoopback = isLoopbackHost(host))));
  // the header of the last token sent, checked once, as a client sends the same token call after call (held
  // in this closure, like the token itself: nothing printable reaches it)
  let lastToken: string | undefined;
  let lastHeader = "";
  const bearerHeader = (token: string) => {
    if (token !== lastToken) {
      lastHeader = `Bearer ${checkToken(token)}`;
      lastToken = token;
    }
    return lastHeader;
  };
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    const request = args.request as HttpRequest;
    // a middleware may have replaced the input with a copy, which does not carry the held token: the command's has it
    const commandInput = (context.command as { input?: unknown } | undefined)?.input;
    const perCall = perCallToken(args.input) ?? (args.input === commandInput ? undefined : perCallToken(commandInput));
    const token = configToken(config);
    if (perCall === undefined && token === undefined) return next(args).catch((e: unknown) => noTokenHint(e, request));
    const secrets: string[] = [];
    if (typeof perCall === "string") secrets.push(perCall);
    if (typeof token === "string") secrets.push(token);
    try {
      const result = await authorize(perCall, token);
      scrubOutput(result.output as Record<string, unknown> | undefined, secrets);
      const stream = (result.output as { stream?: { mapErrors?(fn: (e: unknown) => unknown): void } } | undefined)?.stream;
      stream?.mapErrors?.((e) => redact(e, secrets));
      return result;
    } catch (e) {
      throw redact(e, secrets);
    }

    // not async: a fixed token's attempt is next()'s own promise, without an extra promise around it
    function authorize(perCall: string | undefined, token: string | TokenProvider | undefined): Promise<any> {
      if (request.protocol === "http:" && !loopback(request.hostname)) {
        if (config.allowInsecureHttp !== true) {
          throw clientError(
            ClientErrorNames.insecureEndpoint,
            `Refusing to send a bearer token over plain http to ${request.hostname}; use https, a loopback host for local development, or allowInsecureHttp: true for a trusted network`,
          );
        }
        // once per client: a warning per request would drown the log of a busy proxy
        if (!warnedInsecure) {
          warnedInsecure = true;
          (config.logger ?? context.logger)?.warn?.(
            `agentcore: allowInsecureHttp is set: sending bearer tokens over plain http to ${request.hostname}; anyone on the network path can read them`,
          );
        }
      }
      const send = (value: string) => {
        const authorization = bearerHeader(value);
        secrets.push(value);
        const authorized = new HttpRequest(request);
        authorized.headers = withFields(request.headers, { Authorization: authorization });
        return next(withFields(args, { request: authorized }));
      };
      if (perCall !== undefined) return send(perCall);
      // a fixed token needs no memo, no wait and no refresh
      if (typeof token === "string") return send(token);
      const provided = (source ??= tokenSourceFor(config, token!));
      return (async () => {
        const first = await provided.get(false, undefined, context.abort);
        try {
          return await send(first);
        } catch (e) {
          if (!provided.refreshable || context.abort.aborted || !UnauthorizedException.isInstance(e) || refreshed.has(context)) throw e;
          refreshed.add(context);
          context.logger?.info?.(`agentcore: ${context.commandName} got 401; refreshing the token and sending once more`);
          return send(await provided.get(true, first, context.abort));
        }
      })();
    }
  };
}

/**
 * A 401 to a request the client sent without a token (it has no `token`, and no earlier middleware of the
 * application's set an Authorization header): the message says so; an unset environment variable is the usual cause.
 */
function noTokenHint(e: unknown, request: HttpRequest): never {
  const authorized = Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === "authorization");
  if (UnauthorizedException.isInstance(e) && !authorized) {
    (e as { message: string }).message += " (this client has no `token` and sent none: an unset environment variable?)";
  }
  throw e;
}

/**
 * A token the server echoed into a success's request id or the other fields copied from response headers is
 * removed (exact secrets only: these are the server's data), as from errors.
 */
function scrubOutput(output: Record<string, unknown> | undefined, secrets: string[]): void {
  if (output === undefined || output === null) return;
  scrubFields(output.$metadata as Record<string, unknown> | undefined, METADATA_FIELDS, secrets);
  scrubFields(output, HEADER_FIELDS, secrets);
}
const METADATA_FIELDS = ["requestId"];
const HEADER_FIELDS = ["sessionId", "contentType", "traceId", "traceparent", "tracestate", "baggage", "mcpSessionId", "mcpProtocolVersion"];

function scrubFields(target: Record<string, unknown> | undefined, names: string[], secrets: string[]): void {
  if (target === undefined || target === null) return;
  for (const name of names) {
    const value = target[name];
    if (typeof value === "string" && includesAny(value, secrets)) target[name] = scrubSecrets(value, secrets);
  }
}

function includesAny(text: string, secrets: string[]): boolean {
  for (const secret of secrets) if (text.includes(secret)) return true;
  return false;
}
