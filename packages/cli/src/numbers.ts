import { UsageError } from "./errors";
import type { CommandName } from "./args";
import { shown } from "./shown";

/** The SDK's own limit on attempts (it refuses more); checked here so a larger value is a usage error. */
export const MAX_ATTEMPTS = 100;

/**
 * A whole decimal number in [min, max], written with digits only: no sign, spaces, exponent, hex, fraction or
 * empty value, which `Number()` would quietly accept or turn into 0 (`Number("")`, `Number("0x1F90")`, `Number("1e3")`).
 * `name` is the option as typed, for the message; the value is echoed with control characters escaped.
 */
export function wholeNumber(name: string, value: string | undefined, range: { min: number; max?: number }, command?: CommandName): number | undefined {
  if (value === undefined) return undefined;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`${name} must be a whole number of at least ${range.min}, got '${shown(value)}'`, command);
  const n = Number(value);
  if (n < range.min) throw new UsageError(`${name} must be a whole number of at least ${range.min}, got '${shown(value)}'`, command);
  if (n > max) throw new UsageError(`${name} must be at most ${max}, got '${shown(value)}'`, command);
  return n;
}
