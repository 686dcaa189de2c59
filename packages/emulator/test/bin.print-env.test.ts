import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The settings a user needs, handed to a shell or a file: nobody copies a long token by hand. */
const BIN = join(__dirname, "../dist/bin.js");
const CLI = join(__dirname, "../../cli/dist/bin.js");

function start(args: string[]): Promise<{ stdout: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c;
      // three export lines, or the JSON line
      if ((args.includes("--print-env") && out.split("\n").length > 3) || (!args.includes("--print-env") && out.includes("\n"))) resolve({ stdout: out, stop });
    });
    void exited.then(() => reject(new Error(`bin exited before printing: ${err}`)));
  });
}

test("--print-env prints export lines a shell can source; the CLI then works with nothing else", async () => {
  const { stdout, stop } = await start(["--print-env"]);
  try {
    const lines = stdout.trim().split("\n");
    expect(lines.map((l) => l.split("=")[0])).toEqual(["export BEDROCK_AGENTCORE_DP_ENDPOINT", "export AGENT_ARN", "export AGENTCORE_TOKEN"]);
    // a clean environment: only what the export lines set reaches the CLI
    const reply = execFileSync("bash", ["-c", `${stdout}\nexec "${process.execPath}" "${CLI}" invoke '{"prompt":"env"}'`], {
      env: { PATH: process.env.PATH ?? "" },
      encoding: "utf8",
    });
    expect(reply).toContain("You said: env");
  } finally {
    await stop();
  }
});

test("--write-env makes an existing file private before the token goes into it (it kept its mode 0644)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "emulator-env-"));
  const file = join(dir, "agentcore.env");
  writeFileSync(file, "OLD=1\n", { mode: 0o644 });
  chmodSync(file, 0o644);
  const { stdout, stop } = await start(["--write-env", file]);
  try {
    const info = JSON.parse(stdout.trim().split("\n")[0]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toContain(`AGENTCORE_TOKEN=${info.token}\n`);
    expect(readFileSync(file, "utf8")).not.toContain("OLD=1");
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--write-env to a device (/dev/null) leaves its mode as it is: only a regular file is made private", async () => {
  const before = statSync("/dev/null").mode & 0o777;
  const { stdout, stop } = await start(["--write-env", "/dev/null"]);
  try {
    expect(JSON.parse(stdout.trim().split("\n")[0]).token).toEqual(expect.any(String));
    expect(statSync("/dev/null").mode & 0o777).toBe(before);
  } finally {
    await stop();
  }
});

test("--write-env writes KEY=value lines, private to the user; the JSON line is still printed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "emulator-env-"));
  const file = join(dir, "agentcore.env");
  const { stdout, stop } = await start(["--write-env", file]);
  try {
    const info = JSON.parse(stdout.trim().split("\n")[0]);
    const env = Object.fromEntries(readFileSync(file, "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(env).toEqual({ BEDROCK_AGENTCORE_DP_ENDPOINT: info.url, AGENT_ARN: info.runtimeArn, AGENTCORE_TOKEN: info.token });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
