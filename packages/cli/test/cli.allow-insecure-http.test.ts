import net from "node:net";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { parseCli } from "../src/args";
import { resolveSettings } from "../src/settings";
import { cli, envFor, requireBuild } from "./helpers";

// --allow-insecure-http hands the SDK's allowInsecureHttp through; without it plain http off loopback is refused.

describe("parsing and settings", () => {
  it("is a global boolean, before or after the command, off by default", () => {
    expect(parseCli(["invoke", "hi"])).toMatchObject({ globals: { allowInsecureHttp: false } });
    expect(parseCli(["--allow-insecure-http", "invoke", "hi"])).toMatchObject({ globals: { allowInsecureHttp: true } });
    expect(parseCli(["exec", "--allow-insecure-http", "--", "ls"])).toMatchObject({ globals: { allowInsecureHttp: true } });
  });

  it("reaches the client config only when given", () => {
    const env = { AGENT_ARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij", AGENTCORE_TOKEN: "t" };
    const on = parseCli(["--allow-insecure-http", "--endpoint", "http://emulator:8080", "invoke", "hi"]);
    const off = parseCli(["--endpoint", "http://emulator:8080", "invoke", "hi"]);
    if (on.command !== "invoke" || off.command !== "invoke") throw new Error("parsed as another command");
    expect(resolveSettings("invoke", on.globals, env).config).toMatchObject({ allowInsecureHttp: true, endpoint: "http://emulator:8080" });
    expect(resolveSettings("invoke", off.globals, env).config).not.toHaveProperty("allowInsecureHttp");
  });
});

/** Whether this machine connects to 127.0.0.1 through its IPv4-mapped IPv6 form. */
async function mappedLoopbackWorks(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "::ffff:127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

describe("the built CLI against the emulator at a host the SDK does not count as loopback", () => {
  // [::ffff:127.0.0.1] reaches the emulator on 127.0.0.1, yet is not on the SDK's loopback list: it stands in for
  // another container's address without any traffic leaving this machine
  let emulator: Emulator;
  let endpoint: string;
  let env: NodeJS.ProcessEnv;
  let reachable = false;
  beforeAll(async () => {
    requireBuild();
    emulator = await startEmulator({ port: 0, allowedHosts: ["[::ffff:7f00:1]", "::ffff:7f00:1"] });
    const port = Number(new URL(emulator.url).port);
    endpoint = `http://[::ffff:127.0.0.1]:${port}`;
    env = envFor(emulator, await emulator.issueToken(), { BEDROCK_AGENTCORE_DP_ENDPOINT: undefined });
    reachable = await mappedLoopbackWorks(port);
    if (!reachable) console.warn("cli.allow-insecure-http: no IPv4-mapped IPv6 on this machine; the end-to-end half is skipped");
  });
  afterAll(() => emulator?.close());

  it("without the flag: InsecureEndpointError, exit 1, nothing sent", async () => {
    const r = await cli(["--endpoint", endpoint, "invoke", "hi"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InsecureEndpointError/);
    expect(r.stderr).toContain("--allow-insecure-http");
    expect(emulator.requests.filter((q) => q.op === "invocations")).toHaveLength(0);
  });

  it("with the flag: the call goes through, and stderr carries the warning once", async () => {
    if (!reachable) return;
    const r = await cli(["--allow-insecure-http", "--endpoint", endpoint, "--session", "cli-insecure-http-session-000000000001", "invoke", "over plain http"], { env });
    expect(r).toMatchObject({ code: 0, stdout: "You said: over plain http\n" });
    const warnings = r.stderr.split("\n").filter((line) => line.includes("allowInsecureHttp"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0])).toMatchObject({ level: "warn" });
    expect(r.stderr).not.toContain(env.AGENTCORE_TOKEN!);
    expect(emulator.requests.filter((q) => q.op === "invocations" && q.status === 200)).toHaveLength(1);
  });

  it("with the flag, a failure is the one plain error line after the warning (it was also an error record)", async () => {
    if (!reachable) return;
    const r = await cli(["--allow-insecure-http", "--endpoint", endpoint, "--arn", "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/missing-abcdefghij", "invoke", "hi"], { env });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toMatchObject({ level: "warn" });
    expect(lines[1]).toMatch(/^agentcore: ResourceNotFoundException: /);
  });
});
