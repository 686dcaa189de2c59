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
