import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SESSION, runCommand, sessionId, start, type Harness } from "./helpers";

describe("exec: what a command gets from the emulator", () => {
  let h: Harness;
  let base: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "emu-safety-"));
    process.env.AGENTCORE_EMULATOR_TEST_SECRET = "s3cret-value";
    process.env.AWS_SECRET_ACCESS_KEY = "aws-secret-value";
    process.env.AGENTCORE_EMULATOR_TEST_PASSED = "passed-value";
    process.env.LC_EMULATOR_TEST = "lc-value";
    h = await start({ exec: true, workDir: base, passEnv: ["AGENTCORE_EMULATOR_TEST_PASSED"] });
  });
  afterAll(async () => {
    await h.emu.close();
    process.env = saved;
    rmSync(base, { recursive: true, force: true });
  });

  it("makes each session's folder, and the emulator's folder holding them, private to the user (0700)", async () => {
    const dir = (await runCommand(h, { command: "pwd" }, { [SESSION]: sessionId() })).stdout.trim();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(dirname(dirname(dir))).toBe(base);
    expect(statSync(dirname(dir)).mode & 0o777).toBe(0o700);
  });

  it("passes only the allow-listed environment, plus passEnv names and the run marker", async () => {
    const out = await runCommand(h, {
      command:
        'echo "secret=${AGENTCORE_EMULATOR_TEST_SECRET-unset} aws=${AWS_SECRET_ACCESS_KEY-unset} passed=${AGENTCORE_EMULATOR_TEST_PASSED-unset} lc=${LC_EMULATOR_TEST-unset}"; env | cut -d= -f1 | sort',
    });
    const [first, ...names] = out.stdout.trim().split("\n");
    expect(first).toBe("secret=unset aws=unset passed=passed-value lc=lc-value");
    expect(names).toContain("PATH");
    expect(names).toContain("AGENTCORE_EMULATOR_RUN");
    // bash adds a few of its own (PWD, SHLVL, _); nothing else of the emulator's environment leaks
    const allowed = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_.*|TERM|TZ|TMPDIR|AGENTCORE_EMULATOR_RUN|AGENTCORE_EMULATOR_TEST_PASSED|PWD|OLDPWD|SHLVL|_)$/;
    expect(names.filter((n) => !allowed.test(n))).toEqual([]);
  });

  it("rejects a passEnv entry that is not a variable name", async () => {
    await expect(start({ exec: true, passEnv: ["A=B"] })).rejects.toThrow(RangeError);
  });
});
