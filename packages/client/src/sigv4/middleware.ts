import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware, MiddlewareStack, Pluggable } from "@smithy/types";
import { SIGNING_ALIASES } from "../middleware/bearerAuth";
import { isLoopbackHost } from "../protocol/endpoint";
import { mergeHeaderCase } from "../protocol/headerCase";
import { clientError, ClientErrorNames } from "../protocol/errors";
import { redact, shareCallSecrets } from "../protocol/redact";
import type { RuntimeContext } from "../types";
import { credentialCache, type AwsCredentialsSource } from "./credentials";
import { checkClockOffset, createSigner, signingDate, signingRegion, withHostHeader } from "./signer";

/** Options of `sigv4Auth` and `sigv4AuthMiddleware`. */
export interface SigV4AuthOptions {
  /**
   * Static credentials (`{ accessKeyId, secretAccessKey, sessionToken? }`) or any AWS SDK v3 credential provider:
   * `fromNodeProviderChain()` (Node), `fromCognitoIdentityPool(…)` (browsers), or your own async function.
   */
  credentials: AwsCredentialsSource;
  /** Signing region; default the runtime ARN's (else the host's, else the client's `region`). */
  region?: string | undefined;
  /**
   * Milliseconds added to the local clock when signing (the AWS SDK's `systemClockOffset`), within ±100 years.
   * Default 0. Corrected from the service's `Date` when it refuses a request for clock skew (the request is then
   * signed again once).
   */
  systemClockOffset?: number | undefined;
}

/**
 * finalizeRequest, after the retry middleware (so every attempt is signed afresh, as bearer auth sets its header
 * per attempt), and at low priority, inside the logger: errors are redacted before the logger sees them, and the
 * logger's request line never holds a signature.
 */
export const sigv4AuthMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "sigv4AuthMiddleware",
  aliases: SIGNING_ALIASES,
  tags: ["HTTP_SIGNING"],
  priority: "low",
  override: true,
};

function checkOptions(options: SigV4AuthOptions): void {
  if (!options || typeof options !== "object" || options.credentials === undefined || options.credentials === null) {
    throw clientError(ClientErrorNames.invalidParameter, "sigv4Auth needs { credentials }: static AWS credentials or a credential provider", { fields: { field: "credentials" } });
  }
  checkClockOffset(options.systemClockOffset);
}

/**
 * Signs every attempt with AWS Signature Version 4 for service `bedrock-agentcore` in the runtime's region:
 * `host`, `x-amz-date`, `x-amz-content-sha256` (the body's SHA-256) and `x-amz-security-token` are added and
 * signed with every header the request carries, exactly as the official AWS SDK signs these operations.
 * Credentials from a provider are memoised until 5 minutes before they expire. The secret key, the session
 * token and the Authorization header are removed from every error that passes through (streams included).
 */
export function sigv4AuthMiddleware(options: SigV4AuthOptions): FinalizeRequestMiddleware<any, any> {
  checkOptions(options);
  const cache = credentialCache(options.credentials);
  const signer = createSigner(cache);
  let warnedInsecure = false;
  // corrected from the service's Date when it refuses a signature as too far off its clock, as the AWS SDK does
  let clockOffset = options.systemClockOffset ?? 0;
  return (next, ctx) => async (args) => {
    const context = ctx as RuntimeContext;
    const request = args.request as HttpRequest;
    const secrets = new Set<string>();
    const allSecrets = () => [...cache.secrets, ...secrets];
    // the logger (outside this middleware) removes them from its lines too
    shareCallSecrets(context, allSecrets);
    try {
      if (request.protocol === "http:" && !isLoopbackHost(request.hostname)) {
        if (context.config?.allowInsecureHttp !== true) {
          throw clientError(
            ClientErrorNames.insecureEndpoint,
            `Refusing to send a SigV4-signed request over plain http to ${request.hostname}; use https, a loopback host for local development, or allowInsecureHttp: true for a trusted network`,
          );
        }
        if (!warnedInsecure) {
          warnedInsecure = true;
          context.logger?.warn?.(`agentcore: allowInsecureHttp is set: sending SigV4-signed requests over plain http to ${request.hostname}; anyone on the network path can read and replay them`);
        }
      }
      // one header per name before signing: what is signed is what goes out
      mergeHeaderCase(request.headers);
      const region = signingRegion(options.region, (args.input as { runtimeArn?: unknown } | undefined)?.runtimeArn, request.hostname, context.config?.region);
      const send = async (skewRetried: boolean): Promise<any> => {
        await cache.get(context.abort);
        const offset = clockOffset;
        const signed = (await signer.sign(withHostHeader(request), { signingDate: signingDate(offset), signingRegion: region })) as HttpRequest;
        const authorization = signed.headers.authorization;
        secrets.add(authorization);
        secrets.add(authorization.slice(authorization.lastIndexOf("Signature=") + "Signature=".length));
        try {
          return await next({ ...args, request: new HttpRequest(signed) });
        } catch (e) {
          // refused at authentication with the service's clock far from ours: the agent never ran, so signing
          // again at the service's time and sending once more is safe
          const serverNow = skewedServerTime(e, offset);
          if (skewRetried || serverNow === undefined || context.abort.aborted) throw e;
          clockOffset = serverNow - Date.now();
          context.logger?.info?.(`agentcore: ${context.commandName} was refused for clock skew; signing again with the service's clock (offset ${clockOffset} ms)`);
          return send(true);
        }
      };
      const result = await send(false);
      const stream = (result.output as { stream?: { mapErrors?(fn: (e: unknown) => unknown): void } } | undefined)?.stream;
      stream?.mapErrors?.((e) => redact(e, allSecrets()));
      return result;
    } catch (e) {
      throw redact(e, allSecrets());
    }
  };
}

/**
 * SigV4 for a RuntimeClient, in place of bearer auth: `client.middlewareStack.use(sigv4Auth({ credentials }))`.
 * It removes the bearer middleware (a runtime accepts one method, never both; the client's `token` and a
 * command's `bearerToken` are then unused) and signs each attempt where bearer auth would have set its header.
 */
export function sigv4Auth(options: SigV4AuthOptions): Pluggable<any, any> {
  const middleware = sigv4AuthMiddleware(options);
  return {
    applyToStack(stack: MiddlewareStack<any, any>) {
      stack.remove("bearerAuthMiddleware");
      stack.add(middleware, sigv4AuthMiddlewareOptions);
    },
  };
}

/** How far the service's clock may be from the signing time before a refusal counts as clock skew (AWS: 5 min). */
const SKEW_MS = 4 * 60_000;

/**
 * The service's time from a 401/403 whose `Date` header is more than SKEW_MS from the time the request was
 * signed at (our clock plus `offset`); undefined for any other error.
 */
function skewedServerTime(e: unknown, offset: number): number | undefined {
  const response = (e as { $response?: { statusCode?: number; headers?: Record<string, string> } } | undefined)?.$response;
  if (response?.statusCode !== 401 && response?.statusCode !== 403) return undefined;
  const date = Date.parse(response.headers?.date ?? "");
  return Number.isFinite(date) && Math.abs(date - (Date.now() + offset)) > SKEW_MS ? date : undefined;
}
