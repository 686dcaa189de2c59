import type { Emulator } from "@agentcore-runtime/emulator";
import { cli, useEmulator } from "./helpers";

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
useEmulator((e, en) => {
  emulator = e;
  env = en;
});

const lastInvocation = () => emulator.requests.filter((r) => r.op === "invocations").at(-1)!;
/** The line invoke prints on stderr for a session id it generated. */
const NOTICE = /^agentcore: session-id ([0-9a-f-]{36}) \(new; continue it with --session-id \1\)\n$/;

describe("agentcore invoke", () => {
  it("prints the reply text with a final newline, exit 0, and on stderr only the new session's id", async () => {
    const r = await cli(["invoke", '{"prompt":"hello there"}'], { env });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hello there\n" });
    expect(r.stderr).toMatch(NOTICE);
    expect(NOTICE.exec(r.stderr)![1]).toBe(lastInvocation().sessionId);
    expect(lastInvocation().headers["content-type"]).toBe("application/json");
  });

  it("with a session given, nothing on stderr", async () => {
    const r = await cli(["invoke", "--session", "cli-invoke-given-session-0000000000001", "hi"], { env });
    expect(r).toMatchObject({ code: 0, stdout: "You said: hi\n", stderr: "" });
  });

  it("sends a payload that is not JSON as text/plain, exactly as typed", async () => {
    const r = await cli(["invoke", "plain words"], { env });
    expect(r).toMatchObject({ code: 0, stdout: "You said: plain words\n" });
    expect(lastInvocation().headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("reads the payload from stdin with -", async () => {
    const r = await cli(["invoke", "-"], { env, stdin: '{"prompt":"from stdin"}\n' });
    expect(r).toMatchObject({ code: 0, stdout: "You said: from stdin\n" });
    expect(lastInvocation().headers["content-type"]).toBe("application/json");
  });

  it("--json prints statusCode, sessionId, contentType, requestId and the parsed body", async () => {
    const session = "cli-invoke-json-session-0000000000001";
    const r = await cli(["invoke", "--json", "--accept", "application/json", "--session", session, '{"prompt":"hi"}'], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toEqual({
      statusCode: 200,
      sessionId: session,
      contentType: "application/json",
      requestId: lastInvocation().requestId,
      json: { response: "You said: hi", sessionId: session },
    });
  });

  it("--json on an SSE reply carries the joined text and every event", async () => {
    const r = await cli(["invoke", "--json", '{"prompt":"a b"}'], { env });
    const out = JSON.parse(r.stdout);
    expect(out.contentType).toMatch(/^text\/event-stream/);
    expect(out.text).toBe("You said: a b");
    expect(out.events.map((e: { text: string }) => e.text)).toEqual(["You ", "said: ", "a ", "b"]);
  });

  it("--stream writes each event as it arrives, not at the end", async () => {
    const r = await cli(["invoke", "--stream", '{"prompt":"one two three","delayMs":200}'], { env });
    expect(r).toMatchObject({ code: 0, stdout: "You said: one two three\n" });
    expect(r.stderr).toMatch(NOTICE);
    // five events 200 ms apart: the first must reach us long before the process ends
    // (a busy machine may merge neighbouring events into one chunk, but never the first with the last)
    expect(r.stdoutChunks.length).toBeGreaterThanOrEqual(2);
    expect(r.stdoutChunks[0].text.startsWith("You ")).toBe(true);
    expect(r.stdoutChunks[0].text).not.toContain("three");
    // ~800 ms of events still to come after the first; a third of that rules out printing all at the end
    expect(r.elapsed - r.stdoutChunks[0].at).toBeGreaterThan(240);
  });

  it("--stream --json prints one JSON line per event, each with the session id", async () => {
    const session = "cli-invoke-stream-json-session-000000001";
    const r = await cli(["invoke", "--stream", "--json", "--session", session, '{"prompt":"x y"}'], { env });
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((e) => e.text)).toEqual(["You ", "said: ", "x ", "y"]);
    expect(lines[0]).toEqual({ data: '"You "', text: "You ", sessionId: session });
    expect(lines.every((e) => e.sessionId === session)).toBe(true);
  });

  it("--stream --json with a generated session: the lines carry the id the notice names", async () => {
    const r = await cli(["invoke", "--stream", "--json", '{"prompt":"x"}'], { env });
    expect(r.code).toBe(0);
    const id = NOTICE.exec(r.stderr)?.[1];
    expect(id).toBe(lastInvocation().sessionId);
    for (const line of r.stdout.trim().split("\n")) expect(JSON.parse(line).sessionId).toBe(id);
  });

  it("--debug logs the session id it is about to send as a record, before the request", async () => {
    const r = await cli(["invoke", "--debug", "x"], { env });
    expect(r.code).toBe(0);
    const records = r.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    const first = records.findIndex((rec) => typeof rec.sessionId === "string");
    expect(records[first]).toMatchObject({ level: "debug", sessionGenerated: true });
    expect(records[first].sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first).toBeLessThan(records.findIndex((rec) => rec.event === "request"));
    expect(lastInvocation().sessionId).toBe(records[first].sessionId);
    expect(r.stdout).toBe("You said: x\n");
  });

  it("passes --user-id, --content-type, --qualifier and --header through", async () => {
    const r = await cli(
      ["invoke", "--user-id", "alice", "--content-type", "application/x-custom", "--qualifier", "DEFAULT", "--header", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant: t1", "hi"],
      { env },
    );
    expect(r.code).toBe(0);
    const req = lastInvocation();
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-user-id"]).toBe("alice");
    expect(req.headers["content-type"]).toBe("application/x-custom");
    expect(req.headers["x-amzn-bedrock-agentcore-runtime-custom-tenant"]).toBe("t1");
    expect(req.query.qualifier).toBe("DEFAULT");
  });

  it("an agent failure mid-stream: the text so far on stdout, one error line on stderr, exit 1", async () => {
    const r = await cli(["invoke", "--stream", '{"prompt":"fail"}'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("You said: fail\n");
    // the in-band error event names the agent's error type; one line, nothing else
    expect(r.stderr).toMatch(/^agentcore: ValueError: [^\n]+\n$/);
  });
});
