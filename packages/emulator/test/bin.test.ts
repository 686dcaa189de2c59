import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sseData } from "./helpers";

const BIN = join(__dirname, "../dist/bin.js");

interface Running {
  child: ChildProcessWithoutNullStreams;
  info: { url: string; runtimeArn: string; token: string };
  stdoutLines: string[];
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) {
        const lines = out.split("\n").filter(Boolean);
        resolve({ child, info: JSON.parse(lines[0]), stdoutLines: lines, stderr: () => err, exit });
      }
    });
    void exit.then(({ code }) => reject(new Error(`bin exited (${code}) before printing: ${err}`)));
  });
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe("agentcore-emulator bin", () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error("packages/emulator/dist/bin.js is missing: run `npx tsup` first");
  });

  it("prints one JSON line with url, runtimeArn and a working token, logs requests without the token, exits 0 on SIGTERM", async () => {
    const bin = await run(["--port", "0"]);
    const { url, runtimeArn, token } = bin.info;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(runtimeArn).toBe("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/emulator_agent-abcdefghij");
    const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    expect(payload.exp - payload.iat).toBe(12 * 3600);

    const res = await fetch(`${url}/runtimes/${encodeURIComponent(runtimeArn)}/invocations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: "from the bin" }),
    });
    expect((await res.json()).response).toBe("You said: from the bin");
    await waitFor(() => bin.stderr().includes("op=invocations"));
    const line = bin.stderr().trim().split("\n").at(-1)!;
    expect(line).toMatch(/POST \/runtimes\/\S+\/invocations 200 \d+ms op=invocations session=\S+ requestId=\S+ auth="Bearer \[redacted\]"/);
    expect(bin.stderr()).not.toContain(token);
    expect(bin.stderr()).not.toContain(token.split(".")[2]);
    expect(bin.stdoutLines).toHaveLength(1);

    bin.child.kill("SIGTERM");
    expect(await bin.exit).toEqual({ code: 0, signal: null });
  });

  it("exits 0 on SIGINT while a stream is open", async () => {
    const bin = await run(["--port", "0"]);
    const { url, runtimeArn, token } = bin.info;
    const res = await fetch(`${url}/runtimes/${encodeURIComponent(runtimeArn)}/invocations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
      body: JSON.stringify({ prompt: "x", repeat: 1000, delayMs: 50 }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    bin.child.kill("SIGINT");
    expect(await bin.exit).toEqual({ code: 0, signal: null });
    await reader.read().catch(() => undefined);
  });

  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)("a second %s while closing exits at once with %i", async (signal, code) => {
    const dir = mkdtempSync(join(tmpdir(), "emu-bin-"));
    // Simulates a close that cannot finish (the server never reports closed), so only the second signal ends it.
    writeFileSync(
      join(dir, "stuck.cjs"),
      "require('node:http').Server.prototype.close = function () { return this; };\nmodule.exports = async () => 'ok';\n",
    );
    try {
      const bin = await run(["--port", "0", "--agent", join(dir, "stuck.cjs")]);
      const started = Date.now();
      bin.child.kill(signal);
      // two signals sent close together can be merged into one by the kernel: resend until the bin exits
      let exited = false;
      void bin.exit.then(() => (exited = true));
      const resend = (async () => {
        while (!exited) {
          await new Promise((r) => setTimeout(r, 200));
          if (!exited) bin.child.kill(signal);
        }
      })();
      expect(await bin.exit).toEqual({ code, signal: null });
      await resend;
      // the close never finishes, so only a second signal can have ended it, and promptly
      expect(Date.now() - started).toBeLessThan(5000);
      expect(bin.stderr()).toContain(`${signal} again, exiting without cleaning up`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loads --agent FILE and passes --exec through", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-bin-"));
    writeFileSync(join(dir, "agent.mjs"), "export default async function* (payload) { yield 'agent:' + payload.prompt; }\n");
    const bin = await run(["--port", "0", "--agent", join(dir, "agent.mjs"), "--exec"]);
    try {
      const base = `${bin.info.url}/runtimes/${encodeURIComponent(bin.info.runtimeArn)}`;
      const headers = { Authorization: `Bearer ${bin.info.token}` };
      const res = await fetch(`${base}/invocations`, { method: "POST", headers, body: JSON.stringify({ prompt: "p" }) });
      expect(sseData(await res.text())).toEqual(['"agent:p"']);
      const cmd = await fetch(`${base}/commands`, { method: "POST", headers, body: JSON.stringify({ command: "echo $((6*7))" }) });
      expect(Buffer.from(await cmd.arrayBuffer()).toString("latin1")).toContain('{"stdout":"42\\n"}');
    } finally {
      bin.child.kill("SIGTERM");
      await bin.exit;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies --fault from the command line", async () => {
    const bin = await run(["--port", "0", "--fault", "throttle; times=1; retryAfter=3"]);
    try {
      const call = () =>
        fetch(`${bin.info.url}/runtimes/${encodeURIComponent(bin.info.runtimeArn)}/invocations`, {
          method: "POST",
          headers: { Authorization: `Bearer ${bin.info.token}` },
          body: "{}",
        });
      const first = await call();
      expect(first.status).toBe(429);
      expect(first.headers.get("retry-after")).toBe("3");
      expect((await call()).status).toBe(200);
    } finally {
      bin.child.kill("SIGTERM");
      await bin.exit;
    }
  });

  it.each([
    [["--idle-timeout", "0"], "--idle-timeout must be a number of seconds greater than 0 and at most 28800, got '0'"],
    [["--idle-timeout", ""], "--idle-timeout must be a number of seconds greater than 0 and at most 28800, got ''"],
    [["--max-lifetime", "2147484"], "--max-lifetime must be a number of seconds greater than 0 and at most 28800, got '2147484'"],
    [["--max-lifetime=-5"], "--max-lifetime must be a number of seconds greater than 0 and at most 28800, got '-5'"],
    [["--token-ttl", "0"], "--token-ttl must be a whole number of seconds from 1 to 315360000, got '0'"],
    [["--token-ttl", "1.5"], "--token-ttl must be a whole number of seconds from 1 to 315360000, got '1.5'"],
  ])("rejects timer values that would misbehave: %j", async (args, message) => {
    const bad = spawn(process.execPath, [BIN, "--port", "0", ...args]);
    let out = "";
    let err = "";
    bad.stdout.on("data", (c: Buffer) => (out += c.toString()));
    bad.stderr.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => bad.on("exit", resolve))).toBe(2);
    expect(out).toBe("");
    expect(err.split("\n")[0]).toBe(`agentcore-emulator: ${message}`);
  });

  it.each([
    [["--port", "0x1F90"], "--port must be a whole number from 0 to 65535, got '0x1F90'"],
    [["--port", "1e3"], "--port must be a whole number from 0 to 65535, got '1e3'"],
    [["--port", " 80"], "--port must be a whole number from 0 to 65535, got ' 80'"],
    [["--port", "65536"], "--port must be a whole number from 0 to 65535, got '65536'"],
    [["--idle-timeout", "1e3"], "--idle-timeout must be a number of seconds greater than 0 and at most 28800, got '1e3'"],
    [["--max-lifetime", "0x10"], "--max-lifetime must be a number of seconds greater than 0 and at most 28800, got '0x10'"],
    [["--token-ttl", " 5"], "--token-ttl must be a whole number of seconds from 1 to 315360000, got ' 5'"],
    [["--max-sessions", "0"], "--max-sessions must be a whole number from 1 to 9007199254740991, got '0'"],
    [["--max-concurrent-bodies", "1.5"], "--max-concurrent-bodies must be a whole number from 1 to 9007199254740991, got '1.5'"],
    [["--host", ""], "--host must be an IP address or a host name, got ''"],
    [["--host", " "], "--host must be an IP address or a host name, got ' '"],
    [["--host", "http://127.0.0.1"], "--host must be an IP address or a host name, got 'http://127.0.0.1'"],
    [["--exec", "--host", "0.0.0.0"], "exec runs shell commands for every caller, so it is refused on the non-loopback address 0.0.0.0"],
    [["--allowed-origin", "localhost:3000"], 'allowedOrigins entries must be origins like "http://localhost:3000"'],
    [["--pass-env", "A=B"], 'passEnv entries must be environment variable names, got "A=B"'],
    [["--allowed-host", "evil example"], 'host must be an IP address or a host name, got "evil example"'],
    [["--runtime-id", "agent"], "--runtime-id must match ^[a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}$ (e.g. my_agent-abcdefghij), got 'agent'"],
    [["--runtime-id", "my-agent-abcdefghij"], "--runtime-id must match ^[a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}$ (e.g. my_agent-abcdefghij), got 'my-agent-abcdefghij'"],
    [["--runtime-id", "my_agent-abcdefghi"], "--runtime-id must match"],
  ])("usage error, exit 2: %j", async (args, message) => {
    const bad = spawn(process.execPath, [BIN, "--port", "0", ...args]);
    let out = "";
    let err = "";
    bad.stdout.on("data", (c: Buffer) => (out += c.toString()));
    bad.stderr.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => bad.on("exit", resolve))).toBe(2);
    expect(out).toBe("");
    expect(err.split("\n")[0]).toContain(`agentcore-emulator: ${message}`);
    expect(err).toContain("Usage: agentcore-emulator");
  });

  it("prints the package version for --version", async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, "../package.json"), "utf8"));
    const child = spawn(process.execPath, [BIN, "--version"]);
    let text = "";
    child.stdout.on("data", (c: Buffer) => (text += c.toString()));
    expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(0);
    expect(text).toBe(`${version}\n`);
  });

  it("warns on stderr when --exec is on, and only then", async () => {
    const plain = await run(["--port", "0"]);
    const exec = await run(["--port", "0", "--exec"]);
    try {
      expect(plain.stderr()).not.toContain("warning");
      const warning = exec.stderr().split("\n").find((line) => line.includes("warning"));
      expect(warning).toBe(
        `agentcore-emulator: warning: --exec is on: every caller with a valid token runs real shell commands as this user on ${exec.info.url}; per-session folders are working directories, not isolation`,
      );
    } finally {
      for (const bin of [plain, exec]) {
        bin.child.kill("SIGTERM");
        await bin.exit;
      }
    }
  });

  it("prints usage for --help and rejects bad arguments", async () => {
    const help = spawn(process.execPath, [BIN, "--help"]);
    let text = "";
    help.stdout.on("data", (c: Buffer) => (text += c.toString()));
    const code = await new Promise((resolve) => help.on("exit", resolve));
    expect(code).toBe(0);
    expect(text).toMatch(/^Usage: agentcore-emulator/);
    expect(text).toContain("--upstream URL");
    for (const flag of ["--allow-remote-exec", "--allowed-origin", "--allow-private-network", "--allowed-host", "--max-sessions", "--max-concurrent-bodies", "--pass-env", "--version"]) {
      expect(text).toContain(flag);
    }
    expect(text).toContain("NOT isolation");
    expect(text).toContain("/runtimes/{arn}/ws/shells");
    expect(text).toContain('"websocket"');

    const bad = spawn(process.execPath, [BIN, "--agent", "a.js", "--upstream", "http://localhost:8080"]);
    let err = "";
    bad.stderr.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((resolve) => bad.on("exit", resolve))).toBe(2);
    expect(err).toContain("exclusive");
  });
});
