import { isIP } from "node:net";
import { isLoopbackAddress } from "./cors";

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * The `host` option as given to listen: an IP address (an IPv6 one with or without brackets) or a host name.
 * Anything else, the empty string included (Node would bind every interface), is a RangeError.
 */
export function checkHost(host: unknown): string {
  if (typeof host !== "string") throw new TypeError(`host must be a string, got ${typeof host}`);
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0 && (bare === host || isIP(bare) === 6)) return bare;
  if (bare === host && HOST_NAME.test(host)) return host;
  throw new RangeError(`host must be an IP address or a host name, got ${JSON.stringify(host)}`);
}

/** `0.0.0.0` or `::`: every interface. */
export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "0:0:0:0:0:0:0:0";
}

export { isLoopbackAddress };

/** The host name of a Host header value (`name`, `name:port`, `[v6]:port`), lower-cased, without a final dot. */
function hostnameOf(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    return end < 0 ? v : v.slice(1, end);
  }
  const colon = v.lastIndexOf(":");
  return (colon >= 0 && v.indexOf(":") === colon ? v.slice(0, colon) : v).replace(/\.$/, "");
}

const normalizeAddress = (a: string) => a.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

/**
 * DNS-rebinding guard: which `Host` header values reach the emulator. A page on `evil.example` whose name was
 * re-pointed at 127.0.0.1 sends `Host: evil.example`; only names that belong to the bound address pass:
 * the bound address itself, the host name it was bound with, `localhost` when that address is loopback (or every
 * interface), any IP address when bound to every interface, and names listed in `allowedHosts`. The port is
 * not compared (a forwarded port may differ).
 */
export class HostPolicy {
  private readonly names = new Set<string>();

  constructor(
    private readonly boundAddress: string,
    configuredHost: string,
    allowedHosts: readonly string[] = [],
  ) {
    if (!Array.isArray(allowedHosts)) throw new TypeError("allowedHosts must be an array of host names");
    this.names.add(configuredHost.toLowerCase().replace(/\.$/, ""));
    for (const entry of allowedHosts) this.names.add(checkHost(entry).toLowerCase().replace(/\.$/, ""));
  }

  /** A request without Host (HTTP/1.0) passes: browsers always send it. */
  allows(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return true;
    const name = hostnameOf(hostHeader);
    if (this.names.has(name)) return true;
    const bound = normalizeAddress(this.boundAddress);
    if (isIP(name) !== 0) return isWildcard(bound) || normalizeAddress(name) === bound;
    return name === "localhost" && (isWildcard(bound) || isLoopbackAddress(bound));
  }
}
