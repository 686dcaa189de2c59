import { AgentRuntimeError, ExecuteCommandCommand, ExecuteCommandStreamCommand, RuntimeClient, type CommandEvent } from "@agentcore-runtime/client";
import { drip } from "./helpers/drip";
import { eventStreamCases } from "./helpers/fixtures";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
let client: RuntimeClient;
let current: Uint8Array;

beforeAll(async () => {
  server = await startServer(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-bedrock-agentcore-runtime-session-id": SESSION });
    await drip(res, current, [1, 5, 64, 3, 1000]);
    res.end();
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

describe.each(eventStreamCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
  beforeEach(() => {
    current = Uint8Array.from(Buffer.from(c.stream, "hex"));
  });

  test("blocking ExecuteCommandCommand", async () => {
    const run = client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "echo hi" }));
    if (c.result) {
      const out = await run;
      expect({ stdout: out.stdout, stderr: out.stderr, exitCode: out.exitCode, status: out.status }).toEqual(c.result);
      expect(out.sessionId).toBe(SESSION);
      expect(out.$metadata.httpStatusCode).toBe(200);
      return;
    }
    const error = (await run.catch((e) => e)) as AgentRuntimeError;
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    if (c.error?.name) expect([error.name, error.message]).toEqual([c.error.name, c.error.message]);
    if (c.error?.framing) expect(error.name).toBe("EventStreamFramingError");
    if (c.error?.truncated) expect(error.name).toBe("TruncatedStreamError");
    // partial output is never lost: it rides on the error
    const partial = c.events.filter((e) => "contentDelta" in e).map((e) => (e as { contentDelta: { stdout?: string } }).contentDelta.stdout ?? "").join("");
    expect(error.stdout).toBe(partial);
  });

  test("streaming ExecuteCommandStreamCommand delivers the events, then raises", async () => {
    const out = await client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, sessionId: SESSION, command: "echo hi" }));
    const events: CommandEvent[] = [];
    let error: AgentRuntimeError | undefined;
    try {
      for await (const event of out.stream) events.push(event);
    } catch (e) {
      error = e as AgentRuntimeError;
    }
    expect(events).toEqual(c.events);
    if (c.error) expect(AgentRuntimeError.isInstance(error)).toBe(true);
    else expect(error).toBeUndefined();
  });
});
