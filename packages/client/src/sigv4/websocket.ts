// SigV4 for the runtime's WebSockets (`/ws`, and with `shellId` `/ws/shells`): signed upgrade headers for
// clients that can send headers (Node `ws`, Python), or a presigned URL for those that cannot (browsers).
// Same URL, query and validation as the bearer `getWebSocketConnection`, whose `{ url, headers, protocols,
// sessionId }` shape both return.
import type { HttpRequest } from "@smithy/protocol-http";
import { buildInfo, type WebSocketConnectionInfo, type WebSocketConnectionInput } from "../realtime/webSocket";
import { isLoopbackHost } from "../protocol/endpoint";
import { clientError, ClientErrorNames } from "../protocol/errors";
import { redact } from "../protocol/redact";
import { quoteForMessage } from "../protocol/validate";
import { endpointFromEnvironment } from "../runtime/runtimeConfig";
import type { Logger, ResolvedConfig } from "../types";
import { credentialCache, type AwsCredentialsSource, type CredentialCache } from "./credentials";
import { checkClockOffset, createSigner, signingDate, signingRegion } from "./signer";

const INSPECT = /* @__PURE__ */ Symbol.for("nodejs.util.inspect.custom");
const SHELL_ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/;
/** The service's (and the official SDKs') longest presigned WebSocket URL lifetime, and the default. */
export const MAX_PRESIGNED_EXPIRES = 300;

/** Input of `getSignedWebSocketConnection` and `getPresignedWebSocketUrl`: the bearer input without `bearerToken`. */
export interface SignedWebSocketInput extends Omit<WebSocketConnectionInput, "bearerToken"> {
  /** Connect to `/ws/shells?shellId=…` (an interactive shell) instead of `/ws`. */
  shellId?: string | undefined;
}

/** Options of `getSignedWebSocketConnection`: the credentials and where to connect. */
export interface SigV4WebSocketOptions {
  /** Static AWS credentials or any AWS SDK v3 credential provider (see sigv4Auth). */
  credentials: AwsCredentialsSource;
  /**
   * Signing region; default the runtime ARN's (else the standard host's). Also the region of the host when the
   * runtime is named by id + accountId.
   */
  region?: string | undefined;
  /** Custom base URL (emulator, proxy, VPC endpoint), as on RuntimeClient; default `BEDROCK_AGENTCORE_DP_ENDPOINT` (Node). */
  endpoint?: string | undefined;
  /** Use the FIPS endpoint; not with a custom `endpoint`. */
  useFipsEndpoint?: boolean | undefined;
  /** Use the dual-stack (IPv4 and IPv6) endpoint; not with a custom `endpoint`. */
  useDualstackEndpoint?: boolean | undefined;
  /** Allow plain `ws://` to a host that is not loopback (a trusted network); default false. */
  allowInsecureHttp?: boolean | undefined;
  /** Receives the warning `allowInsecureHttp` logs; console- or pino-compatible. */
  logger?: Logger | undefined;
  /** Milliseconds added to the local clock when signing (the AWS SDK's `systemClockOffset`), within ±100 years. */
  systemClockOffset?: number | undefined;
}

/** Options of `getPresignedWebSocketUrl`: those of `getSignedWebSocketConnection` and the URL's lifetime. */
export interface PresignedWebSocketOptions extends SigV4WebSocketOptions {
  /** Seconds the URL stays valid: 1–300, default 300 (the service refuses longer). */
  expiresIn?: number | undefined;
}

/** The signer of a credential source, kept per source object so a provider's memo and the signing keys are reused. */
const signers = /* @__PURE__ */ new WeakMap<object, { cache: CredentialCache; signer: ReturnType<typeof createSigner> }>();

function signerFor(credentials: AwsCredentialsSource) {
  if (credentials === null || (typeof credentials !== "object" && typeof credentials !== "function")) {
    throw clientError(ClientErrorNames.invalidParameter, "credentials are required: static AWS credentials or a credential provider", { fields: { field: "credentials" } });
  }
  let entry = signers.get(credentials);
  if (!entry) {
    const cache = credentialCache(credentials);
    signers.set(credentials, (entry = { cache, signer: createSigner(cache) }));
  }
  return entry;
}

interface Target {
  info: WebSocketConnectionInfo;
  url: URL;
  region: string;
}

/** The bearer path's URL, query and headers for this input, without any token, plus the signing region. */
function target(input: SignedWebSocketInput, options: SigV4WebSocketOptions): Target {
  if (typeof input !== "object" || input === null) throw clientError(ClientErrorNames.invalidParameter, "The input must be an object with runtimeArn", { fields: { field: "input" } });
  if (typeof options !== "object" || options === null) throw clientError(ClientErrorNames.invalidParameter, "The options must be an object with credentials", { fields: { field: "credentials" } });
  const config = {
    endpoint: options.endpoint ?? endpointFromEnvironment(),
    region: options.region,
    useFipsEndpoint: options.useFipsEndpoint,
    useDualstackEndpoint: options.useDualstackEndpoint,
    allowInsecureHttp: options.allowInsecureHttp,
    logger: options.logger,
  } as ResolvedConfig;
  const { shellId, ...rest } = input;
  if (shellId !== undefined && (typeof shellId !== "string" || !SHELL_ID.test(shellId))) {
    throw clientError(ClientErrorNames.invalidParameter, `shellId ${quoteForMessage(shellId)} must match ${SHELL_ID.source}`, { fields: { field: "shellId" } });
  }
  if ((rest as { bearerToken?: unknown }).bearerToken !== undefined) {
    throw clientError(ClientErrorNames.invalidParameter, "bearerToken cannot be combined with SigV4: a runtime accepts one method", { fields: { field: "bearerToken" } });
  }
  const info = shellId === undefined ? buildInfo(rest, config, undefined, "ws") : buildInfo(rest, config, undefined, "ws/shells", { shellId });
  const url = new URL(info.url);
  if (url.protocol === "ws:" && !isLoopbackHost(url.hostname)) {
    if (options.allowInsecureHttp !== true) {
      throw clientError(
        ClientErrorNames.insecureEndpoint,
        `Refusing to sign a WebSocket over plain ws:// to ${url.hostname}; use https, a loopback host for local development, or allowInsecureHttp: true for a trusted network`,
      );
    }
    options.logger?.warn?.(`agentcore: allowInsecureHttp is set: a SigV4-signed WebSocket over plain ws:// to ${url.hostname} can be read and replayed on the network path`);
  }
  return { info, url, region: signingRegion(options.region, input.runtimeArn, url.hostname) };
}

/** The query of a URL as [name, value] pairs, decoded, in order. */
function queryOf(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of url.searchParams) out[name] = value;
  return out;
}

const enc = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function hidden<T extends object>(value: T, show: () => unknown): T {
  Object.defineProperty(value, INSPECT, { value: show, enumerable: false });
  return value;
}

/**
 * The URL and SigV4-signed upgrade headers for the runtime's `/ws` (or, with `shellId`, `/ws/shells`): a GET
 * signed for `bedrock-agentcore` over the https form of the URL with an empty payload; `host`, `x-amz-date`,
 * `x-amz-content-sha256`, `x-amz-security-token` and the session header are signed. For Node clients (`ws`) and
 * other clients that send headers; the signature is good for 5 minutes (the service's clock-skew window).
 */
export async function getSignedWebSocketConnection(input: SignedWebSocketInput, options: SigV4WebSocketOptions): Promise<WebSocketConnectionInfo> {
  const secrets = new Set<string>();
  let cache: CredentialCache | undefined;
  try {
    checkClockOffset(options?.systemClockOffset);
    const { info, url, region } = target(input, options);
    const entry = signerFor(options.credentials);
    cache = entry.cache;
    await cache.get();
    const host = url.host;
    const signed = await entry.signer.sign(
      { method: "GET", protocol: "https:", hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: queryOf(url), headers: { host, ...info.headers } } as unknown as HttpRequest,
      { signingDate: signingDate(options.systemClockOffset), signingRegion: region },
    );
    const headers: Record<string, string> = { ...signed.headers };
    // a WebSocket client sets Host itself from the URL (the same value)
    delete headers.host;
    const authorization = headers.authorization;
    delete headers.authorization;
    headers.Authorization = authorization;
    secrets.add(authorization);
    const all = () => [...cache!.secrets, ...secrets];
    const result: WebSocketConnectionInfo = { url: info.url, headers, protocols: [], sessionId: info.sessionId };
    return hidden(result, () => ({ url: result.url, headers: redact({ ...headers, Authorization: "[REDACTED]", ...(headers["x-amz-security-token"] ? { "x-amz-security-token": "[REDACTED]" } : {}) }, all()), protocols: [], sessionId: result.sessionId }));
  } catch (e) {
    throw redact(e, [...(cache?.secrets ?? []), ...secrets]);
  }
}

/**
 * A presigned `wss://` URL for the runtime's `/ws` (or, with `shellId`, `/ws/shells`), for clients that cannot
 * send headers (browsers: `new WebSocket(url)`). The session id, qualifier, shell id and custom headers are query
 * parameters before signing; only `host` is a signed header; valid for `expiresIn` seconds (default and maximum
 * 300). The URL is a credential until it expires: treat it like a token. Returns the `{ url, headers,
 * protocols, sessionId }` shape of getWebSocketConnection, with no headers or subprotocols needed.
 */
export async function getPresignedWebSocketUrl(input: SignedWebSocketInput, options: PresignedWebSocketOptions): Promise<WebSocketConnectionInfo & { expiresAt: Date }> {
  let cache: CredentialCache | undefined;
  try {
    const expiresIn = options?.expiresIn ?? MAX_PRESIGNED_EXPIRES;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGNED_EXPIRES) {
      throw clientError(ClientErrorNames.invalidParameter, `expiresIn must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES}, got ${quoteForMessage(expiresIn)}`, { fields: { field: "expiresIn" } });
    }
    checkClockOffset(options?.systemClockOffset);
    const { info, url, region } = target(input, options);
    const entry = signerFor(options.credentials);
    cache = entry.cache;
    await cache.get();
    const operation = queryOf(url);
    const date = signingDate(options.systemClockOffset);
    const presigned = await entry.signer.presign(
      { method: "GET", protocol: "https:", hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: { ...operation }, headers: { host: url.host } } as unknown as HttpRequest,
      { signingDate: date, signingRegion: region, expiresIn },
    );
    const q = presigned.query as Record<string, string>;
    // botocore's order: the operation's parameters, then the auth parameters, the signature last
    const auth = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"];
    const pairs: [string, string][] = Object.entries(operation);
    for (const name of auth) if (q[name] !== undefined) pairs.push([name, q[name]]);
    const signedUrl = `${url.protocol}//${url.host}${url.pathname}?${pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&")}`;
    const secrets = [...cache.secrets, q["X-Amz-Signature"]];
    // the URL stops working when its expiresIn is over, or sooner when the credentials signing it expire
    const credentialsEnd = cache.current()?.expiration?.getTime() ?? Infinity;
    const expiresAt = new Date(Math.min(date.getTime() + expiresIn * 1000, credentialsEnd));
    const result = { url: signedUrl, headers: {}, protocols: [], sessionId: info.sessionId, expiresAt };
    return hidden(result, () => ({ ...result, url: redact(signedUrl.replace(/(X-Amz-(?:Signature|Security-Token)=)[^&]*/g, "$1[REDACTED]"), secrets) }));
  } catch (e) {
    throw redact(e, cache?.secrets);
  }
}
