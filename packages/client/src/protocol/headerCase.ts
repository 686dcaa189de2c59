/**
 * Headers whose names differ only in case, merged to the one set last (object keys keep the order they were added
 * in). The serializers write `content-type`, `accept` and `content-length` in lower case, as the AWS SDK's do; a
 * middleware that sets `Content-Type` means to replace the value, not to add a second header, which the fetch
 * handler would send joined (`application/json, text/plain`) and which a SigV4 signature would not cover (the
 * signer sorts names, and the serializer's value was the one signed while Node sent the other).
 */
export function mergeHeaderCase(headers: Record<string, string>): void {
  const names = Object.keys(headers);
  const lower = names.map((name) => name.toLowerCase());
  if (new Set(lower).size === names.length) return;
  const last = new Map<string, string>();
  names.forEach((name, i) => {
    const earlier = last.get(lower[i]);
    if (earlier !== undefined) delete headers[earlier];
    last.set(lower[i], name);
  });
}
