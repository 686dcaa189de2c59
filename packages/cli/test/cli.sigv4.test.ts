/**
 * `--sigv4` (and `--profile`): every command signed with AWS credentials from the standard chain, against an
 * emulated IAM runtime. Credentials from the environment and from a shared credentials file; the secret key
 * and session token never reach stderr; mixing with a bearer token is a usage error.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { cli, requireBuild } from "./helpers";

const CREDS = { accessKeyId: "AKIACLISIGV4TEST0001", secretAccessKey: "cli/sigv4+secret0123456789abcdefghijklmn" };
const PROFILE = { accessKeyId: "ASIACLIPROFILE000001", secretAccessKey: "profile/secret+0123456789abcdefghijklmno", sessionToken: "IQoJprofile//session+token==" };

let emu: Emulator;
let home: string;
beforeAll(async () => {
  requireBuild();
  emu = await startEmulator({ auth: { mode: "sigv4", credentials: [CREDS, PROFILE] } });
  home = mkdtempSync(join(tmpdir(), "agentcore-cli-sigv4-"));
  writeFileSync(
    join(home, "credentials"),
    `[default]\naws_access_key_id = AKIANOTTHISONE000000\naws_secret_access_key = nope\n\n[dev]\naws_access_key_id = ${PROFILE.accessKeyId}\naws_secret_access_key = ${PROFILE.secretAccessKey}\naws_session_token = ${PROFILE.sessionToken}\n`,
  );
  writeFileSync(join(home, "config"), "");
});
afterAll(async () => {
  await emu.close();
  rmSync(home, { recursive: true, force: true });
});

/** No credentials unless given: a private HOME, empty shared files, instance metadata off (no network but loopback). */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AGENT_ARN: emu.runtimeArn,
    BEDROCK_AGENTCORE_DP_ENDPOINT: emu.url,
    AWS_SHARED_CREDENTIALS_FILE: join(home, "no-such-credentials"),
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}
const fromEnv = () => env({ AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey });

test("invoke, exec and stop with credentials from the environment", async () => {
  const invoke = await cli(["invoke", "--sigv4", '{"prompt":"signed"}'], { env: fromEnv() });
  expect(invoke.code).toBe(0);
  expect(invoke.stderr).not.toMatch(/error|denied/i);
  expect(invoke.stdout).toContain("signed");
  const session = "cli-sigv4-session-0123456789-0123456789";
  const exec = await cli(["exec", "--sigv4", "-s", session, "echo hi-from-iam"], { env: fromEnv() });
  expect([exec.code, exec.stdout.trim()]).toEqual([0, "hi-from-iam"]);
  const stop = await cli(["stop", "--sigv4", "-s", session], { env: fromEnv() });
  expect(stop.code).toBe(0);
  const signed = emu.requests.filter((r) => r.headers.authorization?.startsWith(`AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/`));
  expect(signed.map((r) => r.op)).toEqual(expect.arrayContaining(["invocations", "commands", "stopruntimesession"]));
});

test("--profile reads a shared credentials file (session token included); AWS_PROFILE works too", async () => {
  const file = { AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials") };
  const run = await cli(["exec", "--sigv4", "--profile", "dev", "echo from-profile"], { env: env(file) });
  expect([run.code, run.stdout.trim(), run.stderr]).toEqual([0, "from-profile", ""]);
  const viaEnv = await cli(["invoke", "--sigv4", "{}"], { env: env({ ...file, AWS_PROFILE: "dev" }) });
  expect(viaEnv.code).toBe(0);
  const last = emu.requests[emu.requests.length - 1];
  expect(last.headers.authorization).toContain(`Credential=${PROFILE.accessKeyId}/`);
  expect(last.headers["x-amz-security-token"]).toBe(PROFILE.sessionToken);
  // the default profile holds other keys, which the emulator refuses: the profile is what chose them
  const wrong = await cli(["invoke", "--sigv4", "{}"], { env: env(file) });
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/UnrecognizedClientException|InvalidSignatureException/);
});

test("a wrong secret: the service's 403 on stderr, exit 1, no secret or signature in the output", async () => {
  const secret = "wrong/secret+0123456789abcdefghijklmnopqrst";
  const run = await cli(["invoke", "--sigv4", "--debug", "{}"], { env: env({ AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: "some-session-token-value" }) });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/UnrecognizedClientException|InvalidSignatureException/);
  for (const s of [secret, "some-session-token-value", "Signature="]) expect([s, run.stderr.includes(s) || run.stdout.includes(s)]).toEqual([s, false]);
});

test("no credentials anywhere: a clear error, exit 1", async () => {
  const run = await cli(["invoke", "--sigv4", "{}"], { env: env() });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("no AWS credentials for --sigv4");
});

test("usage errors: --sigv4 with a bearer token, --profile without --sigv4; a bearer token to an IAM runtime is refused", async () => {
  const both = await cli(["invoke", "--sigv4", "--token", "abc.def.ghi", "{}"], { env: fromEnv() });
  expect(both.code).toBe(2);
  expect(both.stderr).toContain("not both");
  const profile = await cli(["invoke", "--profile", "dev", "{}"], { env: fromEnv() });
  expect(profile.code).toBe(2);
  expect(profile.stderr).toContain("--profile");
  const token = await emu.issueToken();
  const bearer = await cli(["invoke", "{}"], { env: env({ AGENTCORE_TOKEN: token }) });
  expect(bearer.code).toBe(1);
  expect(bearer.stderr).toContain("Authorization method mismatch");
});

test("ws and shell with --sigv4: the WebSocket upgrade is SigV4-signed too", async () => {
  const ws = await cli(["ws", "--sigv4", "--idle-timeout-ms", "500"], { env: fromEnv(), stdin: "over-iam\n" });
  expect(ws.code).toBe(0);
  expect(ws.stdout).toContain(JSON.stringify({ echo: "over-iam" }));
  const shell = await cli(["shell", "--sigv4", "--shell-id", "iam-cli-shell"], { env: fromEnv(), stdin: "exit 5\n" });
  expect(shell.code).toBe(5);
  const upgrades = emu.requests.filter((r) => (r.op === "ws" || r.op === "shells") && r.headers.authorization?.startsWith(`AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/`));
  expect(new Set(upgrades.map((r) => r.op))).toEqual(new Set(["ws", "shells"]));
  expect(`${ws.stderr}${shell.stderr}`).not.toContain(CREDS.secretAccessKey);
});
