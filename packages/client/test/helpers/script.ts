import { execFileSync } from "node:child_process";

/**
 * Whether util-linux `script` is installed: the emulator runs exec shells under it, for a pty. When it is not,
 * says on the console that `suite`'s shell tests are skipped.
 */
export function scriptInstalled(suite: string): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    console.warn(`${suite}: shell tests SKIPPED — util-linux \`script\` is not installed`);
    return false;
  }
}
