import { parseCli } from "../src/args";
import { UsageError } from "../src/errors";

function usageError(argv: string[]): UsageError {
  try {
    parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`parsed: ${argv.join(" ")}`);
}

describe("parseCli", () => {
  it("takes global options before or after the command, --opt value and --opt=value alike", () => {
    const a = parseCli(["--arn", "A", "--debug", "invoke", "--session=S", "--json", "p"]);
    const b = parseCli(["invoke", "p", "--arn=A", "--session", "S", "--debug", "--json"]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ command: "invoke", payload: "p", stream: false, globals: { arn: "A", session: "S", debug: true, json: true } });
  });

  it("parses numbers, repeated headers and invoke's own options", () => {
    const parsed = parseCli([
      "invoke", "--stream", "--timeout-ms", "5000", "--idle-timeout-ms", "100", "--max-attempts", "1",
      "--header", "X-A: 1", "--header", "X-B:two: parts", "--content-type", "text/x", "--accept", "text/event-stream", "--user-id", "u", "-",
    ]);
    expect(parsed).toEqual({
      command: "invoke",
      payload: "-",
      stream: true,
      contentType: "text/x",
      accept: "text/event-stream",
      userId: "u",
      globals: expect.objectContaining({ timeoutMs: 5000, idleTimeoutMs: 100, maxAttempts: 1, headers: { "X-A": "1", "X-B": "two: parts" } }),
    });
  });

  it("exec: one argument is a command line as typed; several are quoted word by word", () => {
    expect(parseCli(["exec", "ls | wc -l"])).toMatchObject({ commandLine: "ls | wc -l" });
    expect(parseCli(["exec", "--timeout", "5", "--", "grep", "-r", "a b", "."])).toMatchObject({ commandLine: "grep -r 'a b' .", timeout: 5 });
    // options after -- belong to the command, not to agentcore
    expect(parseCli(["exec", "--", "ls", "--json"])).toMatchObject({ commandLine: "ls --json", globals: { json: false } });
  });

  it("help and version win over everything else", () => {
    expect(parseCli(["--help"])).toEqual({ command: "help", topic: undefined });
    expect(parseCli(["invoke", "-h"])).toEqual({ command: "help", topic: "invoke" });
    expect(parseCli(["help", "stop"])).toEqual({ command: "help", topic: "stop" });
    expect(parseCli(["--version", "invoke"])).toEqual({ command: "version" });
  });

  it.each([
    [["invoke", "--stream"], "invoke needs a PAYLOAD argument, or - to read it from stdin", "invoke"],
    [["stop", "--session", "S", "--stream"], "--stream is not an option of 'stop'", "stop"],
    [["exec", "--client-token", "x", "true"], "--client-token is not an option of 'exec'", "exec"],
    [["exec"], "exec needs a COMMAND, e.g. agentcore exec -- ls -la", "exec"],
    [["stop", "S"], "stop takes no arguments, got 'S'; name the session with --session ID", "stop"],
    [["invoke", "--token", "t", "--token-file", "f", "x"], "give --token or --token-file, not both", "invoke"],
    [["invoke", "--max-attempts", "0", "x"], "--max-attempts must be a whole number of at least 1, got '0'", "invoke"],
    [["invoke", "--timeout-ms", "1.5", "x"], "--timeout-ms must be a whole number of at least 1, got '1.5'", "invoke"],
    [["help", "nope"], "unknown command 'nope'", undefined],
  ])("%j is a usage error", (argv, message, command) => {
    const e = usageError(argv);
    expect(e.message).toBe(message);
    expect(e.command).toBe(command);
  });
});

describe("a malformed --header never echoes its value", () => {
  const SECRET = "sk_live_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";
  it.each([
    [`Authorization Bearer ${SECRET}`, "--header must look like 'Name: value', got 'Authorization …' (value not shown)"],
    [`Authorization\tBearer ${SECRET}`, "--header must look like 'Name: value', got 'Authorization …' (value not shown)"],
    [`  X-Api-Key ${SECRET}`, "--header must look like 'Name: value', got 'X-Api-Key …' (value not shown)"],
    [SECRET, "--header must look like 'Name: value' (value not shown)"],
    [`: ${SECRET}`, "--header must look like 'Name: value' (value not shown)"],
    [`   : ${SECRET}`, "--header must look like 'Name: value' (value not shown)"],
    [`Authorization=Bearer ${SECRET}`, "--header must look like 'Name: value' (value not shown)"],
    [`Bad/Name: ${SECRET}`, "--header must look like 'Name: value' (value not shown)"],
  ])("%j", (header, message) => {
    const e = usageError(["invoke", "--header", header, "x"]);
    expect(e.message).toBe(message);
    expect(e.message).not.toContain(SECRET.slice(0, 7));
  });

  it("still takes a well-formed header, colons in the value included", () => {
    expect(parseCli(["invoke", "--header", `Authorization: Bearer ${SECRET}`, "x"])).toMatchObject({
      globals: { headers: { Authorization: `Bearer ${SECRET}` } },
    });
  });
});

describe("numeric options are whole decimal numbers, strictly", () => {
  it.each([
    ["0x1F90"], ["1e3"], [" 5"], ["5 "], [""], ["+5"], ["1.5"], ["5ms"], ["١٢"], ["Infinity"],
  ])("--timeout-ms %j is a usage error", (value) => {
    const e = usageError(["invoke", "--timeout-ms", value, "x"]);
    expect(e.message).toBe(`--timeout-ms must be a whole number of at least 1, got '${value}'`);
    expect(e.command).toBe("invoke");
  });

  it.each([
    [["invoke", "--timeout-ms=-5", "x"], "--timeout-ms must be a whole number of at least 1, got '-5'"],
    [["invoke", "--timeout-ms", "-5", "x"], "--timeout-ms must be a whole number of at least 1, got '-5'"],
    [["invoke", "--idle-timeout-ms", "0", "x"], "--idle-timeout-ms must be a whole number of at least 1, got '0'"],
    [["invoke", "--max-attempts", "-1", "x"], "--max-attempts must be a whole number of at least 1, got '-1'"],
    [["invoke", "--max-attempts", "101", "x"], "--max-attempts must be at most 100, got '101'"],
    [["invoke", "x", "--timeout-ms"], "--timeout-ms needs a value"],
    [["invoke", "--timeout-ms", "99999999999999999999", "x"], "--timeout-ms must be at most 9007199254740991, got '99999999999999999999'"],
    [["exec", "--timeout", "3601", "true"], "--timeout must be at most 3600, got '3601'"],
    [["exec", "--timeout", "0x10", "true"], "--timeout must be a whole number of at least 1, got '0x10'"],
    [["invoke", "--session", "--json", "x"], "--session needs a value; to give one that starts with '-', write --session=VALUE"],
  ])("%j", (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });

  it("control characters in a bad value are shown escaped, never echoed", () => {
    const e = usageError(["invoke", "--timeout-ms", "\u001b[2J\u001b]0;pwned\u0007\r\n5\u202e", "x"]);
    expect(e.message).toBe("--timeout-ms must be a whole number of at least 1, got '\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0a5\\u202e'");
    expect(e.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });

  it("takes leading zeros and values beyond one timer's reach (2^31 ms and more)", () => {
    expect(parseCli(["invoke", "--timeout-ms", "007", "x"])).toMatchObject({ globals: { timeoutMs: 7 } });
    expect(parseCli(["invoke", "--timeout-ms", "4294967296", "--idle-timeout-ms", "2147483648", "x"])).toMatchObject({
      globals: { timeoutMs: 4294967296, idleTimeoutMs: 2147483648 },
    });
    expect(parseCli(["exec", "--timeout", "3600", "true"])).toMatchObject({ timeout: 3600 });
  });
});

describe("the official CLIs' spellings are aliases", () => {
  it("--session-id, -s and --session are one option; the last one given wins", () => {
    expect(parseCli(["invoke", "--session-id", "A", "x"])).toMatchObject({ globals: { session: "A" } });
    expect(parseCli(["invoke", "--session-id=A", "x"])).toMatchObject({ globals: { session: "A" } });
    expect(parseCli(["invoke", "-s", "A", "x"])).toMatchObject({ globals: { session: "A" } });
    expect(parseCli(["-sA", "invoke", "x"])).toMatchObject({ globals: { session: "A" } });
    expect(parseCli(["invoke", "--session", "A", "-s", "B", "x"])).toMatchObject({ globals: { session: "B" } });
  });

  it("--bearer-token is --token, and conflicts with --token-file the same way", () => {
    expect(parseCli(["invoke", "--bearer-token", "T", "x"])).toMatchObject({ globals: { token: "T" } });
    expect(usageError(["invoke", "--bearer-token", "T", "--token-file", "f", "x"]).message).toBe("give --bearer-token or --token-file, not both");
  });

  it("-H and --header add up, in order", () => {
    expect(parseCli(["invoke", "-H", "X-A: 1", "--header", "X-B: 2", "-HX-C: 3", "x"])).toMatchObject({
      globals: { headers: { "X-A": "1", "X-B": "2", "X-C": "3" } },
    });
  });

  it("stop-session is stop, for help too", () => {
    expect(parseCli(["stop-session", "--session-id", "S"])).toMatchObject({ command: "stop", globals: { session: "S" } });
    expect(parseCli(["help", "stop-session"])).toEqual({ command: "help", topic: "stop" });
    expect(parseCli(["stop-session", "--help"])).toEqual({ command: "help", topic: "stop" });
    expect(usageError(["stop-session", "-s", "S", "--stream"]).message).toBe("--stream is not an option of 'stop'");
  });
});

describe("did you mean …?", () => {
  it.each([
    [["invok", "x"], "unknown command 'invok'; did you mean 'invoke'?", undefined],
    [["stop_session", "-s", "S"], "unknown command 'stop_session'; did you mean 'stop-session'?", undefined],
    [["exce", "true"], "unknown command 'exce'; did you mean 'exec'?", undefined],
    [["help", "invole"], "unknown command 'invole'; did you mean 'invoke'?", undefined],
    [["frobnicate"], "unknown command 'frobnicate'", undefined],
    [["invoke", "--sesion", "S", "x"], "unknown option '--sesion'; did you mean --session?", "invoke"],
    [["invoke", "--session_id=S", "x"], "unknown option '--session_id'; did you mean --session-id?", "invoke"],
    [["invoke", "--strem", "x"], "unknown option '--strem'; did you mean --stream?", "invoke"],
    [["invoke", "--timeout-sm", "5", "x"], "unknown option '--timeout-sm'; did you mean --timeout-ms?", "invoke"],
    [["invoke", "-bt", "T", "x"], "unknown option '-bt'; did you mean --bearer-token?", "invoke"],
    [["invoke", "--bogus", "x"], "unknown option '--bogus'", "invoke"],
    [["exec", "--timout", "5", "true"], "unknown option '--timout'; did you mean --timeout? (or put the command after --, e.g. agentcore exec -- ls -la)", "exec"],
  ])("%j", (argv, message, command) => {
    const e = usageError(argv);
    expect(e.message).toBe(message);
    expect(e.command).toBe(command);
  });

  it("an unknown command is shown with its control characters escaped", () => {
    expect(usageError(["\u001b[31minvoke"]).message).toBe("unknown command '\\x1b[31minvoke'");
  });
});
