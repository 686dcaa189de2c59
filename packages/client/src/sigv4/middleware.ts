import { HttpRequest } from "@smithy/protocol-http";
import type { AbsoluteLocation, FinalizeRequestHandlerOptions, FinalizeRequestMiddleware, MiddlewareStack, Pluggable } from "@smithy/types";
import { isLoopbackHost } from "../protocol/endpoint";
import { clientError, ClientErrorNames } from "../protocol/errors";
import { redact, shareCallSecrets } from "../protocol/redact";
import type { RuntimeContext } from "../types";
import { credentialCache, type AwsCredentialsSource } from "./credentials";
import { createSigner, signingDate, signingRegion, withHostHeader } from "./signer";

/** Options of `sigv4Auth` and `sigv4AuthMiddleware`. */
export interface SigV4AuthOptions {
  /**
   * Static credentials (`{ accessKeyId, secretAccessKey, sessionToken? }`) or any AWS SDK v3 credential provider:
   * `fromNodeProviderChain()` (Node), `fromCognitoIdentityPool(…)` (browsers), or your own async function.
   */
  credentials: AwsCredentialsSource;
  /** Signing region; default the runtime ARN's (else the host's, else the client's `region`). */
  region?: string;
  /** Milliseconds added to the local clock when signing (the AWS SDK's `systemClockOffset`). Default 0. */
  systemClockOffset?: number;
}

/**
 * finalizeRequest, after the retry middleware (so every attempt is signed afresh, as bearer auth sets its header
 * per attempt), and at low priority, inside the logger: errors are redacted before the logger sees them, and the
 * logger's request line never holds a signature.
 */
export const sigv4AuthMiddlewareOptions: FinalizeRequestHandlerOptions & AbsoluteLocation & { name: string; override: true } = {
  step: "finalizeRequest",
  name: "sigv4AuthMiddleware",
  priority: "low",
  override: true,
};

/** Waits for a shared promise, giving up with the signal's reason on abort without cancelling it. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
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

function checkOptions(options: SigV4AuthOptions): void {
  if (!options || typeof options !== "object" || options.credentials === undefined || options.credentials === null) {
    throw clientError(ClientErrorNames.invalidParameter, "sigv4Auth needs { credentials }: static AWS credentials or a credential provider", { fields: { field: "credentials" } });
  }
  if (options.systemClockOffset !== undefined && !Number.isFinite(options.systemClockOffset)) {
    throw clientError(ClientErrorNames.invalidParameter, "systemClockOffset must be a finite number of milliseconds", { fields: { field: "systemClockOffset" } });
  }
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
      const region = signingRegion(options.region, (args.input as { runtimeArn?: unknown } | undefined)?.runtimeArn, request.hostname, context.config?.region);
      await unlessAborted(cache.get(), context.signal);
      const signed = (await signer.sign(withHostHeader(request), { signingDate: signingDate(options.systemClockOffset), signingRegion: region })) as HttpRequest;
      const authorization = signed.headers.authorization;
      secrets.add(authorization);
      secrets.add(authorization.slice(authorization.lastIndexOf("Signature=") + "Signature=".length));
      const result = await next({ ...args, request: new HttpRequest(signed) });
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
