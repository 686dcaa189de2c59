import { SESSION, errorName, sessionId, start, type Harness } from "./helpers";

describe("request validation (400 ValidationException)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ maxPayloadBytes: 1000 });
  });
  afterAll(() => h.emu.close());

  async function expectValidation(res: Response, reason: string, field?: string) {
    expect(res.status).toBe(400);
    expect(errorName(res)).toBe("ValidationException");
    const body = await res.json();
    expect(body.reason).toBe(reason);
    expect(typeof body.message).toBe("string");
    if (field) expect(body.fieldList).toEqual([{ name: field, message: expect.any(String) }]);
    return body;
  }

  it.each([
    ["invocations", { prompt: "x" }],
    ["commands", { command: "echo x" }],
    ["stopruntimesession", {}],
  ])("rejects a session id shorter than 33 or longer than 256 on %s", async (op, body) => {
    await expectValidation(await h.post(op, { body, headers: { [SESSION]: "a".repeat(32) } }), "FieldValidationFailed", "runtimeSessionId");
    await expectValidation(await h.post(op, { body, headers: { [SESSION]: "a".repeat(257) } }), "FieldValidationFailed", "runtimeSessionId");
  });

  it("accepts session ids of exactly 33 and 256 characters", async () => {
    expect((await h.post("invocations", { body: {}, headers: { [SESSION]: "b".repeat(33) } })).status).toBe(200);
    expect((await h.post("invocations", { body: {}, headers: { [SESSION]: "b".repeat(256) } })).status).toBe(200);
  });

  it("accepts a session id with spaces inside (the service sets no pattern; it was refused)", async () => {
    const id = "user 42 conversation 0001-0002-0003-0004";
    const res = await h.post("invocations", { body: {}, headers: { [SESSION]: id } });
    expect(res.status).toBe(200);
    expect(res.headers.get(SESSION)).toBe(id);
  });

  it("requires the session header on stop", async () => {
    await expectValidation(await h.post("stopruntimesession", { body: {} }), "FieldValidationFailed", "runtimeSessionId");
  });

  it("rejects a commands body that is not JSON with CannotParse", async () => {
    await expectValidation(await h.post("commands", { body: "echo hi", headers: { "Content-Type": "application/json" } }), "CannotParse");
    await expectValidation(await h.post("commands", { body: "[1]" }), "CannotParse");
  });

  it("checks command length 1–65536", async () => {
    await expectValidation(await h.post("commands", { body: { command: "" } }), "FieldValidationFailed", "command");
    await expectValidation(await h.post("commands", { body: {} }), "FieldValidationFailed", "command");
    await expectValidation(await h.post("commands", { body: { command: "x".repeat(65537) } }), "FieldValidationFailed", "command");
    const ok = await h.post("commands", { body: { command: `echo ${"x".repeat(65531)}` } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it("(was a defect) counts a command's length in characters, as the client does: 40,000 emoji are 40,005 characters", async () => {
    const ok = await h.post("commands", { body: { command: `echo ${"😀".repeat(40_000)}` } });
    expect([ok.status, errorName(ok)]).toEqual([200, undefined]);
    await ok.arrayBuffer();
    await expectValidation(await h.post("commands", { body: { command: "😀".repeat(65_537) } }), "FieldValidationFailed", "command");
  });

  it.each([0, 3601, 1.5, "10"])("rejects timeout %p", async (timeout) => {
    await expectValidation(await h.post("commands", { body: { command: "echo x", timeout } }), "FieldValidationFailed", "timeout");
  });

  it("rejects an invocation payload over the limit without reading it all", async () => {
    await expectValidation(await h.post("invocations", { body: "x".repeat(1001) }), "FieldValidationFailed", "payload");
    const ok = await h.post("invocations", { body: "x".repeat(1000) });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it("rejects an over-limit streamed payload without a Content-Length", async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(200).fill(120));
        controller.close();
      },
    });
    const res = await fetch(h.opUrl("invocations"), {
      method: "POST",
      headers: { Authorization: `Bearer ${h.token}` },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    await expectValidation(res, "FieldValidationFailed", "payload");
  });

  it("checks the stop clientToken length when present", async () => {
    const headers = { [SESSION]: sessionId() };
    await expectValidation(await h.post("stopruntimesession", { body: { clientToken: "short" }, headers }), "FieldValidationFailed", "clientToken");
    await expectValidation(await h.post("stopruntimesession", { body: { clientToken: "c".repeat(257) }, headers }), "FieldValidationFailed", "clientToken");
    await expectValidation(await h.post("stopruntimesession", { body: "{oops", headers }), "CannotParse");
  });

  it("checks runtimeUserId and MCP header lengths on invocations", async () => {
    await expectValidation(
      await h.post("invocations", { body: {}, headers: { "X-Amzn-Bedrock-AgentCore-Runtime-User-Id": "u".repeat(1025) } }),
      "FieldValidationFailed",
      "runtimeUserId",
    );
    await expectValidation(await h.post("invocations", { body: {}, headers: { "Mcp-Session-Id": "m".repeat(1025) } }), "FieldValidationFailed", "mcpSessionId");
  });
});
