import type { Emulator } from "@agentcore-runtime/emulator";
import { cli, useEmulator } from "./helpers";

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
useEmulator((e, en) => {
  emulator = e;
  env = en;
});

describe("agentcore exec", () => {
  it("copies the command's stdout to stdout and stderr to stderr, and exits with its status", async () => {
    const r = await cli(["exec", "echo to-out; echo to-err >&2; exit 7"], { env });
    expect(r).toMatchObject({ code: 7, stdout: "to-out\n", stderr: "to-err\n" });
  });

  it("exits 0 for a command that succeeds", async () => {
    expect(await cli(["exec", "--", "true"], { env })).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("several arguments after -- arrive as the same words, quotes and metacharacters intact", async () => {
    const r = await cli(["exec", "--", "printf", "[%s]", "a b", "it's", "$HOME", "x=1", "*", ""], { env });
    expect(r).toMatchObject({ code: 0, stdout: "[a b][it's][$HOME][x=1][*][]" });
  });

  it("streams output as the command produces it", async () => {
    const r = await cli(["exec", "echo first; sleep 1; echo second"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("first\nsecond\n");
    expect(r.stdoutChunks[0].text.startsWith("first\n")).toBe(true);
    expect(r.stdoutChunks[0].text).not.toContain("second");
    // 1 s passes between the lines; a third of that rules out printing all at the end
    expect(r.elapsed - r.stdoutChunks[0].at).toBeGreaterThan(300);
  });

  it("a command that runs out of time: a message on stderr and exit 124, like GNU timeout", async () => {
    const r = await cli(["exec", "--timeout", "1", "--", "sh", "-c", "echo started; sleep 10"], { env });
    expect(r.code).toBe(124);
    expect(r.stdout).toBe("started\n");
    expect(r.stderr).toContain("agentcore: the command timed out after 1 s");
    expect(r.elapsed).toBeLessThan(5000);
  });

  it("--json waits and prints stdout, stderr, exitCode, status and sessionId; the exit status is still the command's", async () => {
    const session = "cli-exec-json-session-000000000000001";
    const r = await cli(["exec", "--json", "--session", session, "echo o; echo e >&2; exit 3"], { env });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ stdout: "o\n", stderr: "e\n", exitCode: 3, status: "COMPLETED", sessionId: session });
    expect(r.stderr).toBe("");
  });

  it("runs in the session given by --session (files persist between commands)", async () => {
    const session = "cli-exec-same-session-00000000000001";
    expect((await cli(["exec", "--session", session, "echo kept > note.txt"], { env })).code).toBe(0);
    expect(await cli(["exec", "--session", session, "cat note.txt"], { env })).toMatchObject({ code: 0, stdout: "kept\n" });
  });

  it("a command line without -- whose words look like options is a usage error that says to use --", async () => {
    const r = await cli(["exec", "ls", "-la"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("agentcore: unknown option '-la'; put the command after --");
    expect(r.stderr).toContain("usage: agentcore exec");
  });
});
