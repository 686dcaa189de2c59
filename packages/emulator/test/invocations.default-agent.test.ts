import { SESSION, drain, errorName, sessionId, sseData, start, type Harness } from "./helpers";

describe("the default agent", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.emu.close());

  const SSE = { Accept: "text/event-stream" };

  it("answers JSON with the reply and session id, generating a session id when none is sent", async () => {
    const res = await h.post("invocations", { body: { prompt: "hello there" }, headers: { Accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const sid = res.headers.get(SESSION)!;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({ response: "You said: hello there", sessionId: sid });
  });

  it("streams SSE word tokens, each a JSON-quoted string, when Accept includes text/event-stream", async () => {
    const res = await h.post("invocations", { body: { prompt: "one two three" }, headers: { Accept: "application/json, text/event-stream" } });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).toBe('data: "You "\n\ndata: "said: "\n\ndata: "one "\n\ndata: "two "\n\ndata: "three"\n\n');
  });

  it("echoes session, MCP and trace headers", async () => {
    const sid = sessionId();
    const sent = {
      [SESSION]: sid,
      "Mcp-Session-Id": "mcp-1",
      "Mcp-Protocol-Version": "2025-06-18",
      "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "vendor=value",
      baggage: "userId=alice",
    };
    const res = await h.post("invocations", { body: { prompt: "x" }, headers: sent });
    for (const [name, value] of Object.entries(sent)) expect(res.headers.get(name)).toBe(value);
    expect((await res.json()).sessionId).toBe(sid);
  });

  it("tolerates non-JSON and other JSON bodies", async () => {
    const text = await h.post("invocations", { body: "plain words", headers: { "Content-Type": "text/plain" } });
    expect((await text.json()).response).toBe("You said: plain words");
    const str = await h.post("invocations", { body: JSON.stringify("quoted") });
    expect((await str.json()).response).toBe("You said: quoted");
    const arr = await h.post("invocations", { body: [1, 2] });
    expect((await arr.json()).response).toBe("You said: [1,2]");
    const noPrompt = await h.post("invocations", { body: { question: "x" } });
    expect((await noPrompt.json()).response).toBe("You said: ");
    const objectPrompt = await h.post("invocations", { body: { prompt: { q: 1 } } });
    expect((await objectPrompt.json()).response).toBe('You said: {"q":1}');
    const num = await h.post("invocations", { body: "42", headers: { "Content-Type": "application/json" } });
    expect((await num.json()).response).toBe("You said: 42");
    const empty = await h.post("invocations", {});
    expect((await empty.json()).response).toBe("You said: ");
    const binary = await h.post("invocations", { body: new Uint8Array([0xff, 0x00, 0x41]), headers: { "Content-Type": "application/octet-stream" } });
    expect(binary.status).toBe(200);
  });

  it('prompt "fail" streams tokens then the framework error event', async () => {
    const res = await h.post("invocations", { body: { prompt: "fail" }, headers: SSE });
    expect(res.status).toBe(200);
    const data = sseData(await res.text());
    expect(data.slice(0, 3)).toEqual(['"You "', '"said: "', '"fail"']);
    expect(JSON.parse(data[3])).toEqual({
      error: "Agent failed as requested",
      error_type: "ValueError",
      message: "An error occurred during streaming",
    });
    expect(data).toHaveLength(4);
  });

  it('prompt "fail" without SSE answers 424 RuntimeClientError', async () => {
    const res = await h.post("invocations", { body: { prompt: "fail" }, headers: { Accept: "application/json" } });
    expect(res.status).toBe(424);
    expect(errorName(res)).toBe("RuntimeClientError");
  });

  it("bytes: N streams N letters in SSE events of chunkSize", async () => {
    const res = await h.post("invocations", { body: { bytes: 100_000, chunkSize: 30_000 }, headers: SSE });
    const data = sseData(await res.text()).map((d) => JSON.parse(d) as string);
    expect(data.map((d) => d.length)).toEqual([30_000, 30_000, 30_000, 10_000]);
    const all = data.join("");
    expect(all.slice(0, 28)).toBe("abcdefghijklmnopqrstuvwxyzab");
    expect(all[99_999]).toBe("abcdefghijklmnopqrstuvwxyz"[99_999 % 26]);
  });

  it("bytes: N as JSON streams a large body", async () => {
    const res = await h.post("invocations", { body: { bytes: 3_000_000 } });
    const body = await res.json();
    expect(body.response).toHaveLength(3_000_000);
    expect(body.response.slice(-3)).toBe("abcdefghijklmnopqrstuvwxyz".repeat(200000).slice(2_999_997, 3_000_000));
    expect(body.sessionId).toBe(res.headers.get(SESSION));
  });

  it("repeat: N repeats the reply, in JSON and SSE", async () => {
    const json = await (await h.post("invocations", { body: { prompt: "hi", repeat: 3 } })).json();
    expect(json.response).toBe("You said: hi You said: hi You said: hi");
    const sse = sseData(await (await h.post("invocations", { body: { prompt: "hi", repeat: 2 }, headers: SSE })).text());
    expect(sse.map((d) => JSON.parse(d)).join("")).toBe("You said: hi You said: hi");
  });

  it("echoHeaders shows the headers the agent saw, without Authorization or the emulator's fault header", async () => {
    const res = await h.post("invocations", {
      body: { prompt: "x", echoHeaders: true },
      // a fault that leaves the reply whole: the header is the emulator's, not the caller's, so no agent sees it
      headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant": "t1", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault": "drip; delayMs=1" },
    });
    const { headers } = JSON.parse(await res.text());
    expect(headers["x-amzn-bedrock-agentcore-runtime-custom-tenant"]).toBe("t1");
    expect(headers.authorization).toBeUndefined();
    expect(headers["x-amzn-bedrock-agentcore-runtime-custom-emulator-fault"]).toBeUndefined();
  });

  it("paces SSE events with delayMs, delivering each as it is produced", async () => {
    const res = await h.post("invocations", { body: { prompt: "a b c d", delayMs: 30 }, headers: SSE });
    const reader = res.body!.getReader();
    // A buffered answer would arrive whole; a streamed one arrives event by event. A loaded machine may
    // coalesce the first events into one read, so only require that the last ones come later.
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first.startsWith('data: "You "\n\n')).toBe(true);
    expect(first).not.toContain('"d"');
    const firstAt = Date.now();
    while (!(await reader.read()).done);
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(2 * 30 - 5);
  });
});
