import type { Emulator } from "@agentcore-runtime/emulator";
import { cli, envFor, useEmulator, type CliResult } from "./helpers";

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
let token: string;
useEmulator((e, en) => {
  emulator = e;
  env = en;
  token = en.AGENTCORE_TOKEN!;
});

const lastInvocation = () => emulator.requests.filter((r) => r.op === "invocations").at(-1)!;

/** stderr's JSON records, and whatever else it holds (plain agentcore: lines). */
function stderrRecords(r: CliResult): { records: Record<string, unknown>[]; plain: string[] } {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  return { records: lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)), plain: lines.filter((l) => !l.startsWith("{")) };
}

describe("timeouts of 2^31 ms and more never fire at once", () => {
  it.each([
    [["--timeout-ms", "4294967296", "invoke", "hi"], "You said: hi\n"],
    [["--timeout-ms", "2147483648", "--idle-timeout-ms", "4294967296", "invoke", "--stream", "hi"], "You said: hi\n"],
    [["--timeout-ms", "4294967296", "--idle-timeout-ms", "9007199254740991", "exec", "--", "echo", "ok"], "ok\n"],
    [["--timeout-ms", "2147483647", "--idle-timeout-ms", "2147483647", "invoke", "hi"], "You said: hi\n"],
  ])("%j", async (args, stdout) => {
    const r = await cli(["--session", "cli-long-timeouts-session-00000000001", ...args], { env });
    expect(r).toMatchObject({ code: 0, stdout, stderr: "" });
  });
});

describe("numeric options are checked strictly before anything is sent", () => {
  it.each([["0x1F90"], ["1e3"], [" 5"], [""], ["-5"]])("--timeout-ms %j: exit 2, nothing sent", async (value) => {
    const before = emulator.requests.length;
    const r = await cli(["invoke", `--timeout-ms=${value}`, "hi"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`agentcore: --timeout-ms must be a whole number of at least 1, got '${value}'`);
    expect(emulator.requests.length).toBe(before);
  });

  it("a value carrying terminal escapes is shown escaped", async () => {
    const r = await cli(["invoke", "--max-attempts", "\u001b]0;owned\u0007\u001b[2J3", "hi"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(r.stderr).toContain("got '\\x1b]0;owned\\x07\\x1b[2J3'");
  });
});

describe("the official CLIs' spellings", () => {
  it("invoke -s, --bearer-token, -H and --user-id reach the agent like ours", async () => {
    const session = "cli-habits-alias-session-000000000001";
    const r = await cli(
      ["invoke", "-s", session, "--bearer-token", token, "-H", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant: t1", "--user-id", "alice", "hi"],
      { env: envFor(emulator, token, { AGENTCORE_TOKEN: undefined }) },
    );
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n", stderr: "" });
    const req = lastInvocation();
    expect(req.sessionId).toBe(session);
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-custom-tenant"]).toBe("t1");
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-user-id"]).toBe("alice");
  });

  it("--bearer-token never appears in output, even with --debug and a failure", async () => {
    const opaque = "opaque-Bearer-secret-9f8e7d6c";
    const r = await cli(["--debug", "--bearer-token", opaque, "invoke", "hi"], { env: envFor(emulator, token, { AGENTCORE_TOKEN: undefined }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: UnauthorizedException: /m);
    expect(r.stderr + r.stdout).not.toContain(opaque);
  });

  it("stop-session --session-id stops the session", async () => {
    const session = "cli-habits-stop-session-0000000000001";
    expect((await cli(["invoke", "--session-id", session, "hi"], { env })).code).toBe(0);
    expect(emulator.sessionIds()).toContain(session);
    expect(await cli(["stop-session", "--session-id", session], { env })).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(emulator.sessionIds()).not.toContain(session);
  });

  it("did you mean: an unknown command and an unknown option", async () => {
    const command = await cli(["invok", "hi"], { env });
    expect(command.code).toBe(2);
    expect(command.stderr.split("\n")[0]).toBe("agentcore: unknown command 'invok'; did you mean 'invoke'?");
    const option = await cli(["invoke", "--sesion-id", "x", "hi"], { env });
    expect(option.code).toBe(2);
    expect(option.stderr.split("\n")[0]).toBe("agentcore: unknown option '--sesion-id'; did you mean --session-id?");
  });
});

describe("a generated session id is printed so the next call can reuse it", () => {
  it("invoke, then invoke again with the printed id: the same session, and no notice the second time", async () => {
    const first = await cli(["invoke", "hi"], { env });
    expect(first.code).toBe(0);
    const id = /^agentcore: session-id (\S+) /.exec(first.stderr)?.[1];
    expect(id).toBe(lastInvocation().sessionId);
    const second = await cli(["invoke", "-s", id!, "--stream", "again"], { env });
    expect(second).toMatchObject({ code: 0, stdout: "You said: again\n", stderr: "" });
    expect(lastInvocation().sessionId).toBe(id);
  });

  it("--json (not streamed) also prints it on stderr, stdout staying pure JSON", async () => {
    const r = await cli(["invoke", "--json", "hi"], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(r.stderr).toBe(`agentcore: session-id ${out.sessionId} (new; continue it with --session-id ${out.sessionId})\n`);
  });
});

describe("AGENTCORE_LOG and --debug: structured JSON records on stderr", () => {
  it.each([[{ AGENTCORE_LOG: "debug" }, []], [{}, ["--debug"]]])("%j %j", async (extra, flags) => {
    const r = await cli([...flags, "--session", "cli-habits-log-session-00000000000001", "invoke", "hi"], { env: envFor(emulator, token, extra) });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n" });
    const { records, plain } = stderrRecords(r);
    expect(plain).toEqual([]);
    for (const record of records) {
      expect(Object.keys(record).slice(0, 3)).toEqual(["level", "time", "msg"]);
      expect(["debug", "info", "warn", "error"]).toContain(record.level);
      expect(Number.isNaN(Date.parse(record.time as string))).toBe(false);
    }
    const request = records.find((rec) => rec.event === "request")!;
    expect(request).toMatchObject({ level: "debug", command: "InvokeCommand", method: "POST", attempt: 1, payload: "hi" });
    expect((request.headers as Record<string, string>).Authorization).toBe("[REDACTED]");
    expect(records.find((rec) => rec.event === "response")).toMatchObject({ level: "info", statusCode: 200, requestId: lastInvocation().requestId });
    expect(r.stderr).not.toContain(token);
  });

  it("AGENTCORE_LOG=error logs a failure as an error record, nothing for the request", async () => {
    const r = await cli(["stop", "--session", "cli-habits-never-started-00000000000001"], { env: envFor(emulator, token, { AGENTCORE_LOG: "error" }) });
    expect(r.code).toBe(1);
    const { records, plain } = stderrRecords(r);
    expect(records.map((rec) => [rec.level, rec.event, rec.statusCode, rec.error])).toEqual([["error", "failure", 404, "ResourceNotFoundException"]]);
    expect(plain).toEqual([expect.stringMatching(/^agentcore: ResourceNotFoundException: /)]);
  });

  it("an unknown AGENTCORE_LOG is reported once and logs nothing", async () => {
    const r = await cli(["--session", "cli-habits-log-session-00000000000002", "invoke", "hi"], { env: envFor(emulator, token, { AGENTCORE_LOG: "loud" }) });
    expect(r).toMatchObject({
      code: 0,
      stdout: "You said: hi\n",
      stderr: "agentcore: ignoring AGENTCORE_LOG='loud': use debug, info, warn, error or off\n",
    });
  });
});
