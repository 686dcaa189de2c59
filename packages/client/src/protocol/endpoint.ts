import { clientError, ClientErrorNames } from "./errors";
import { isValidRegion } from "./arn";
import { partitionOfRegion, PARTITIONS, type Partition } from "./partitions";
import { quoteForMessage as q } from "./validate";

/** What `resolveEndpoint` reads: the client's endpoint settings (see `RuntimeClientConfig`). */
export interface EndpointOptions {
  /** The AWS region, e.g. `us-east-1`. */
  region?: string | undefined;
  /** The partition the region must belong to (from the runtime ARN), e.g. `aws`, `aws-cn`. */
  partition?: Partition | undefined;
  /** A custom base URL, used as it is instead of the regional endpoint. */
  endpoint?: string | undefined;
  /** The FIPS endpoint of the region. */
  useFipsEndpoint?: boolean | undefined;
  /** The dual-stack (IPv4 and IPv6) endpoint of the region. */
  useDualstackEndpoint?: boolean | undefined;
}

/** Where requests go: the parts of the endpoint URL. */
export interface ResolvedEndpoint {
  /** `https:`, or `http:` for a custom endpoint. */
  protocol: "http:" | "https:";
  /** The host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** The port, when the URL names one. */
  port?: number | undefined;
  /** Path prefix of a custom endpoint, without a trailing slash. */
  basePath: string;
}

/** Hosts where plain `http:` is acceptable because the traffic never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Resolves the base URL for one call: custom endpoint verbatim, else from region, partition and switches. */
export function resolveEndpoint(options: EndpointOptions): ResolvedEndpoint {
  const { endpoint, useFipsEndpoint = false, useDualstackEndpoint = false } = options;
  if (endpoint !== undefined) {
    if (typeof endpoint !== "string") throw clientError(ClientErrorNames.endpoint, `endpoint must be a URL string, got ${endpoint === null ? "null" : typeof endpoint}`);
    if (useFipsEndpoint || useDualstackEndpoint) {
      throw clientError(ClientErrorNames.endpoint, "A custom endpoint cannot be combined with useFipsEndpoint or useDualstackEndpoint");
    }
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw clientError(ClientErrorNames.endpoint, `endpoint ${q(endpoint, 200)} is not a valid URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw clientError(ClientErrorNames.endpoint, `endpoint must be http: or https:, got ${q(url.protocol)}`);
    }
    if (url.search || url.hash || url.username || url.password) {
      throw clientError(ClientErrorNames.endpoint, "endpoint must not carry a query, fragment or credentials");
    }
    return {
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      basePath: url.pathname.replace(/\/+$/, ""),
    };
  }
  const region = options.region;
  if (!region) {
    throw clientError(ClientErrorNames.endpoint, "No region: pass a runtime ARN, or set `region` (the client's, or the options' of a WebSocket helper) when addressing a runtime by id");
  }
  if (typeof region !== "string" || !isValidRegion(region)) throw clientError(ClientErrorNames.endpoint, `region ${q(region)} is not a valid region name`);
  const partition = PARTITIONS[options.partition ?? partitionOfRegion(region)];
  if (!partition) throw clientError(ClientErrorNames.endpoint, `partition ${q(options.partition)} is not an AWS partition`);
  const service = useFipsEndpoint ? "bedrock-agentcore-fips" : "bedrock-agentcore";
  const suffix = useDualstackEndpoint ? partition.dualStackDnsSuffix : partition.dnsSuffix;
  return { protocol: "https:", hostname: `${service}.${region}.${suffix}`, basePath: "" };
}

/** `encodeURIComponent` plus the characters it leaves alone (`!'()*`), as the AWS SDK does for labels. */
export function encodePathSegment(value: string, field = "runtimeArn"): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // URIError: an unpaired surrogate, which UTF-8 (and so a URL) cannot carry
    throw clientError(ClientErrorNames.invalidParameter, `${field} ${q(value)} contains an unpaired UTF-16 surrogate`, { fields: { field } });
  }
  const out = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // "." and ".." are dot segments: a URL parser or proxy would remove them or step up one level
  if (out === "" || out === "." || out === "..") throw clientError(ClientErrorNames.invalidParameter, `${field} ${q(value)} cannot be a path segment: it is empty or a dot segment`, { fields: { field } });
  return out;
}
