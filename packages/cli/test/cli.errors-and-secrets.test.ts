import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { runProgram } from "../../client/test/helpers/child";
import { BIN, cli, envFor, requireBuild, type CliResult } from "./helpers";

let emulator: Emulator;
let token: string;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  requireBuild();
  emulator = await startEmulator({ port: 0, exec: true });
  token = await emulator.issueToken();
  env = envFor(emulator, token);
  dir = mkdtempSync(join(tmpdir(), "agentcore-cli-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await emulator?.close();
});

/** Neither the token nor its signature (the part that is secret on its own) may appear in any output. */
function expectNoSecret(r: CliResult, secret: string): void {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(secret);
    for (const part of secret.split(".").filter((p) => p.length >= 8)) expect(text).not.toContain(part);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("usage errors exit 2 with a usage line", () => {
  it.concurrent.each([
    [[], "no command given", "usage: agentcore [options] <invoke|exec|stop|shell|ws>"],
    [["frobnicate"], "unknown command 'frobnicate'", "usage: agentcore [options]"],
    [["invoke"], "invoke needs a PAYLOAD argument, or - to read it from stdin", "usage: agentcore invoke"],
    [["invoke", "a", "b"], "invoke takes one PAYLOAD argument, got 2; quote the payload", "usage: agentcore invoke"],
    [["invoke", "--bogus", "x"], "unknown option '--bogus'", "usage: agentcore invoke"],
    [["invoke", "--timeout", "5", "x"], "--timeout is not an option of 'invoke'", "usage: agentcore invoke"],
    [["exec", "--timeout", "soon", "true"], "--timeout must be a whole number of at least 1, got 'soon'", "usage: agentcore exec"],
    [["invoke", "--header", "no-colon", "x"], "--header must look like 'Name: value' (value not shown)", "usage: agentcore invoke"],
    [["invoke", "--header", "Authorization Bearer sk_live_4f9a8b7c", "x"], "--header must look like 'Name: value', got 'Authorization …' (value not shown)", "usage: agentcore invoke"],
  ])("%j", async (args, message, usage) => {
    const r = await cli(args, { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const [first, second, ...more] = r.stderr.split("\n");
    expect(first).toBe(`agentcore: ${message}`);
    expect(second.startsWith(usage)).toBe(true);
    expect(more).toEqual([""]);
  });

  it("a missing runtime: exit 2, naming --arn and AGENT_ARN", async () => {
    const r = await cli(["invoke", "hi"], { env: envFor(emulator, token, { AGENT_ARN: undefined }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^agentcore: no runtime given: pass --arn ARN or set AGENT_ARN\nusage: agentcore invoke/);
  });

  it("--arn overrides AGENT_ARN", async () => {
    const r = await cli(["--arn", emulator.runtimeArn, "invoke", "hi"], { env: envFor(emulator, token, { AGENT_ARN: "not-used" }) });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n" });
  });
});

describe("errors exit 1 with one line: agentcore: <name>: <message>", () => {
  it("no token anywhere: MissingTokenError naming the ways to give one", async () => {
    const r = await cli(["invoke", "hi"], { env: envFor(emulator, token, { AGENTCORE_TOKEN: undefined }) });
    expect(r).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "agentcore: MissingTokenError: no bearer token: set AGENTCORE_TOKEN, or pass --token-file FILE or --token TOKEN\n",
    });
  });

  it("a client-side validation failure (short session id) names the SDK's error", async () => {
    const r = await cli(["--session", "short", "invoke", "hi"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: InvalidParameterError: sessionId must be 33–256 characters/);
    expect(r.stderr.split("\n")).toHaveLength(2);
  });

  it("nothing listening: a network error, exit 1", async () => {
    const port = await freePort();
    const r = await cli(["--endpoint", `http://127.0.0.1:${port}`, "--max-attempts", "1", "invoke", "hi"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: \w+: .+\n$/);
  });

  it("--token-file reads the token (a trailing newline is not part of it)", async () => {
    const file = join(dir, "token");
    writeFileSync(file, `${token}\n`);
    const r = await cli(["--token-file", file, "invoke", "hi"], { env: envFor(emulator, token, { AGENTCORE_TOKEN: undefined }) });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n" });
  });

  it("an unreadable --token-file: TokenFileError with the OS reason", async () => {
    const r = await cli(["--token-file", join(dir, "missing"), "invoke", "hi"], { env });
    expect(r).toMatchObject({ code: 1, stderr: `agentcore: TokenFileError: cannot read --token-file ${join(dir, "missing")}: ENOENT\n` });
  });
});

describe("the bearer token never appears in stdout or stderr", () => {
  it("--debug on success: invoke, streamed invoke and exec log requests with Authorization redacted", async () => {
    for (const args of [["invoke", "hi"], ["invoke", "--stream", "hi"], ["exec", "echo ok"]]) {
      const r = await cli(["--debug", ...args], { env });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('"Authorization":"[REDACTED]"');
      expectNoSecret(r, token);
    }
  });

  it("--debug with --token on the command line and a service error", async () => {
    const r = await cli(["--debug", "--token", token, "stop", "--session", "cli-never-started-session-000000000001"], {
      env: envFor(emulator, token, { AGENTCORE_TOKEN: undefined }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: ResourceNotFoundException: /m);
    expectNoSecret(r, token);
  });

  it("a rejected opaque (not JWT-shaped) token: UnauthorizedException, the token nowhere", async () => {
    const opaque = "opaque-Secret-value-4f8a2b9c";
    const r = await cli(["--debug", "--token", opaque, "invoke", "hi"], { env: envFor(emulator, token, { AGENTCORE_TOKEN: undefined }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: UnauthorizedException: .*\n$/m);
    expectNoSecret(r, opaque);
  });

  it("a token refused before sending (plain http to a non-loopback host)", async () => {
    const r = await cli(["--debug", "--endpoint", "http://example.invalid", "invoke", "hi"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^agentcore: InsecureEndpointError: /m);
    expectNoSecret(r, token);
  });

  it("usage errors, even when the token is misplaced as an argument", async () => {
    const misplaced = await cli(["--debug", token, "invoke"], { env });
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("agentcore: unknown command '[REDACTED]'");
    expectNoSecret(misplaced, token);

    const opaque = "opaque-Secret-value-77aa";
    const typo = await cli(["--token", opaque, "--bogus", opaque], { env });
    expect(typo.code).toBe(2);
    expectNoSecret(typo, opaque);
  });
});

describe("help and version", () => {
  it("--help prints the usage to stdout, exit 0", async () => {
    const r = await cli(["--help"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: agentcore \[options\] <command>/);
    expect(r.stdout).toContain("[env AGENTCORE_TOKEN]");
    expect(r.stderr).toBe("");
  });

  it("help exec and exec --help print the command's help", async () => {
    const a = await cli(["help", "exec"], { env });
    const b = await cli(["exec", "--help"], { env });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^usage: agentcore exec/);
    expect(b.stdout).toBe(a.stdout);
  });

  it("--version prints the package version", async () => {
    const r = await cli(["--version"], { env });
    expect(r).toMatchObject({ code: 0, stdout: `agentcore/${require("../package.json").version} node/${process.version}\n` });
  });

  // Bun and Deno answer process.version with their Node compatibility level (v26 in Bun 1.4): the line names
  // the runtime that actually runs the CLI (both are devDependencies of this repository)
  it.each([
    ["bun", [], /^bun\/\d+\.\d+\.\d+$/],
    ["deno", ["run", "-A"], /^deno\/\d+\.\d+\.\d+$/],
  ])("--version under %s names that runtime and its version, not a Node version", async (runtime, args, pattern) => {
    const program = join(__dirname, "../../../node_modules/.bin", runtime);
    const r = await runProgram(program, [...args, BIN, "--version"], { env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [name, runtimeVersion, ...rest] = r.stdout.trim().split(" ");
    expect(name).toBe(`agentcore/${require("../package.json").version}`);
    expect(runtimeVersion).toMatch(pattern);
    expect(rest).toEqual([]);
  });
});
