import { SignatureV4 } from "@smithy/signature-v4";
import { HttpRequest } from "@smithy/protocol-http";
import { clientError, ClientErrorNames } from "../protocol/errors";
import { withFields } from "../protocol/objects";
import { quoteForMessage } from "../protocol/validate";
import type { CredentialCache } from "./credentials";
import { Sha256 } from "./sha256";

/** The signing name of the AgentCore data plane (the service model's `signingName`). */
export const SIGNING_SERVICE = "bedrock-agentcore";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** `bedrock-agentcore[-fips].{region}.{suffix}`: the region of a standard host. */
const HOST_REGION = /^bedrock-agentcore(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\./i;

/**
 * One @smithy/signature-v4 signer per credential source (it caches derived signing keys per day and region).
 * The region is given per request; the path is escaped once more for the canonical request, as for every
 * service but S3; the payload is hashed and sent as `x-amz-content-sha256`, as the official SDK does.
 */
export function createSigner(cache: CredentialCache): SignatureV4 {
  return new SignatureV4({
    service: SIGNING_SERVICE,
    region: "us-east-1", // never used: every call passes signingRegion
    // what the caller just fetched with get() (with its abort and deadline): signing never fetches a second time
    credentials: async () => cache.current() ?? cache.get(),
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: true,
  });
}

/** The region an ARN names (`arn:partition:bedrock-agentcore:{region}:…`), if it is one. */
export function arnRegion(runtimeArn: unknown): string | undefined {
  if (typeof runtimeArn !== "string" || !runtimeArn.startsWith("arn:")) return undefined;
  const region = runtimeArn.split(":")[3];
  return region && REGION.test(region) ? region : undefined;
}

/** The region in a standard AgentCore host name, if it is one. */
export function hostRegion(hostname: string): string | undefined {
  return HOST_REGION.exec(hostname)?.[1]?.toLowerCase();
}

/**
 * The signing region: the `region` option, else the runtime ARN's, else the standard host's, else the client's
 * `region` (a runtime addressed by id + accountId). Without one, an EndpointError before anything is sent.
 */
export function signingRegion(option: string | undefined, runtimeArn: unknown, hostname: string, fallback?: string): string {
  const region = option ?? arnRegion(runtimeArn) ?? hostRegion(hostname) ?? fallback;
  if (region === undefined) {
    throw clientError(ClientErrorNames.endpoint, "No signing region for SigV4: pass a runtime ARN, or set `region` (on sigv4Auth or the client) when addressing a runtime by id");
  }
  if (typeof region !== "string" || !REGION.test(region)) {
    throw clientError(ClientErrorNames.endpoint, `SigV4 region ${quoteForMessage(region)} is not a valid region name`);
  }
  return region;
}

/** `host` as the request will carry it (with a non-default port), as the AWS SDK's host-header middleware sets it. */
export function withHostHeader(request: HttpRequest): HttpRequest {
  if (Object.keys(request.headers).some((name) => name.toLowerCase() === "host")) return request;
  const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
  return new HttpRequest({ ...request, headers: withFields(request.headers, { host }) });
}

/** A century: a larger clock offset is a mistake, and one past a Date's range failed every call with a RangeError. */
const MAX_CLOCK_OFFSET_MS = 100 * 365.25 * 24 * 3600 * 1000;

/** Refuses a `systemClockOffset` that is not a number of milliseconds within a century, before anything is signed. */
export function checkClockOffset(offset: unknown): void {
  if (offset === undefined) return;
  if (typeof offset !== "number" || !(Math.abs(offset) <= MAX_CLOCK_OFFSET_MS)) {
    throw clientError(ClientErrorNames.invalidParameter, `systemClockOffset must be a finite number of milliseconds (within ±100 years), got ${quoteForMessage(offset)}`, {
      fields: { field: "systemClockOffset" },
    });
  }
}

/** The signing date: now, corrected by the caller's clock offset (the AWS SDK's `systemClockOffset`). */
export function signingDate(systemClockOffset = 0): Date {
  return new Date(Date.now() + systemClockOffset);
}
