import type { Emulator } from "@agentcore-runtime/emulator";
import { cli, useEmulator } from "./helpers";

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
useEmulator((e, en) => {
  emulator = e;
  env = en;
});

describe("agentcore stop", () => {
  it("stops a session silently; stopping it again is ResourceNotFoundException, exit 1", async () => {
    const session = "cli-stop-session-00000000000000000001";
    expect((await cli(["invoke", "--session", session, "hi"], { env })).code).toBe(0);
    expect(emulator.sessionIds()).toContain(session);

    expect(await cli(["stop", "--session", session], { env })).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(emulator.sessionIds()).not.toContain(session);

    const again = await cli(["stop", "--session", session], { env });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    const requestId = emulator.requests.at(-1)!.requestId;
    expect(again.stderr).toBe(`agentcore: ResourceNotFoundException: Session not found: ${session} (request id ${requestId})\n`);
  });

  it("--json prints statusCode and sessionId", async () => {
    const session = "cli-stop-session-00000000000000000002";
    await cli(["invoke", "--session", session, "hi"], { env });
    const r = await cli(["stop", "--json", "--session", session], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ statusCode: 200, sessionId: session });
  });

  it("without --session is a usage error, exit 2", async () => {
    const r = await cli(["stop"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "agentcore: stop needs --session ID\nusage: agentcore stop --session ID [options]   (agentcore help stop for details)\n",
    );
  });
});
