import { execFileSync } from "node:child_process";

/** Debian's Chromium, started the way this machine needs (no background networking: its requests are refused). */
export const LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"];

/** CHROMIUM_PATH, else `chromium` or `chromium-browser` on PATH. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const found = execFileSync("which", [name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      if (found) return found;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}

export const chromiumPath = findChromium();

/** Whether a browser suite skips: only without Chromium and outside CI (under CI=true it fails instead), said once. */
export function skipWithoutChromium(suite: string): boolean {
  const skip = !chromiumPath && !process.env.CI;
  if (skip) console.warn(`${suite}: SKIPPED — no chromium on PATH (install the Debian \`chromium\` package or set CHROMIUM_PATH); under CI=true this fails instead`);
  return skip;
}

/** Polls `check` every 20 ms until it holds, failing after `timeoutMs` with what was awaited. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
