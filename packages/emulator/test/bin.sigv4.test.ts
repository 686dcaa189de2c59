/** The bin's `--auth sigv4` and `--sigv4-runtime-id`: the JSON line carries the accepted test credentials. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { sigv4Auth } from "@agentcore-runtime/client/sigv4";

const BIN = join(__dirname, "../dist/bin.js");

async function ready(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}`)));
  });
  return { child, info: JSON.parse(line) };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error("packages/emulator/dist/bin.js is missing: run `npx tsup` first");
});

test("--auth sigv4: the line carries credentials that sign accepted requests; bearer tokens are refused", async () => {
  const { child, info } = await ready(["--port", "0", "--auth", "sigv4"]);
  try {
    expect(info.credentials).toEqual({ accessKeyId: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/), secretAccessKey: expect.any(String) });
    const client = new RuntimeClient({ endpoint: info.url, maxAttempts: 1 });
    client.middlewareStack.use(sigv4Auth({ credentials: info.credentials }));
    const out = await client.send(new InvokeCommand({ runtimeArn: info.runtimeArn, payload: { prompt: "iam" } }));
    expect(out.statusCode).toBe(200);
    expect(out.text).toContain("iam");
    const bearer = new RuntimeClient({ endpoint: info.url, token: info.token, maxAttempts: 1 });
    const error = await bearer.send(new InvokeCommand({ runtimeArn: info.runtimeArn, payload: {} })).catch((e) => e);
    expect(error).toMatchObject({ name: "AccessDeniedException", statusCode: 403, message: "Authorization method mismatch" });
    client.destroy();
    bearer.destroy();
  } finally {
    child.kill("SIGTERM");
  }
});

test("--sigv4-runtime-id: a JWT runtime and a SigV4 runtime side by side", async () => {
  const { child, info } = await ready(["--port", "0", "--sigv4-runtime-id", "iam_agent-abcdefghij"]);
  try {
    expect(info.sigv4RuntimeArn).toBe("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/iam_agent-abcdefghij");
    const bearer = new RuntimeClient({ endpoint: info.url, token: info.token, maxAttempts: 1 });
    expect((await bearer.send(new InvokeCommand({ runtimeArn: info.runtimeArn, payload: {} }))).statusCode).toBe(200);
    const iam = new RuntimeClient({ endpoint: info.url, maxAttempts: 1 });
    iam.middlewareStack.use(sigv4Auth({ credentials: info.credentials }));
    expect((await iam.send(new InvokeCommand({ runtimeArn: info.sigv4RuntimeArn, payload: {} }))).statusCode).toBe(200);
    await expect(iam.send(new InvokeCommand({ runtimeArn: info.runtimeArn, payload: {} }))).rejects.toMatchObject({ name: "AccessDeniedException" });
    bearer.destroy();
    iam.destroy();
  } finally {
    child.kill("SIGTERM");
  }
});

test("--auth with an unknown mode is a usage error (exit 2)", () => {
  const r = spawnSync(process.execPath, [BIN, "--port", "0", "--auth", "kerberos"], { encoding: "utf8", timeout: 20_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('auth.mode must be "jwt" or "sigv4"');
});
