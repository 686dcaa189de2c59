import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

// `npm run demo` is the project's main job: the example must run every operation against the emulator and exit 0.
test("examples/demo.mjs runs every operation against the emulator and exits 0", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, "../../../examples/demo.mjs")], { timeout: 60_000 });
  expect(stdout).toContain("1. blocking invoke");
  expect(stdout).toContain("exitCode=3 status=COMPLETED");
  expect(stdout).toContain("status=TIMED_OUT");
  expect(stdout).toContain("ResourceNotFoundException (404)");
  expect(stdout.trim().split("\n").at(-1)).toBe("all operations behaved as expected");
}, 60_000);
