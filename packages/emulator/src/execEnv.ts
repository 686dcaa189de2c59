/**
 * The variables of the emulator's own environment that `--exec` commands get by default: what a shell and
 * common tools need to work, nothing that tends to hold secrets (tokens, keys, cloud credentials). More are
 * passed by name with `passEnv` / `--pass-env NAME`.
 */
export const DEFAULT_EXEC_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TERM",
  "TZ",
  "TMPDIR",
];

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks `passEnv` names; throws RangeError for one that is not a variable name. */
export function checkPassEnv(names: unknown): string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names)) throw new TypeError("passEnv must be an array of environment variable names");
  for (const name of names) {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new RangeError(`passEnv entries must be environment variable names, got ${JSON.stringify(name)}`);
    }
  }
  return names as string[];
}

/** The environment for a command: the allow-listed and passed variables of `source` that are set. */
export function commandEnv(source: NodeJS.ProcessEnv, passEnv: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const exact = new Set(passEnv);
  const prefixes: string[] = [];
  for (const entry of DEFAULT_EXEC_ENV) {
    if (entry.endsWith("*")) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  return env;
}
