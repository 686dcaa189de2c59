import { errorName, start, type Harness } from "./helpers";

describe("routes and runtime identifiers", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ region: "eu-west-2", accountId: "111122223333", runtimeId: "my_agent-XyZ0123456" });
  });
  afterAll(() => h.emu.close());

  const auth = () => ({ Authorization: `Bearer ${h.token}`, "Content-Type": "application/json" });

  it("builds the ARN from region, account and runtime id", () => {
    expect(h.emu.runtimeArn).toBe("arn:aws:bedrock-agentcore:eu-west-2:111122223333:runtime/my_agent-XyZ0123456");
  });

  it("accepts the percent-encoded ARN with qualifier omitted or DEFAULT", async () => {
    expect((await h.post("invocations", { body: { prompt: "a" } })).status).toBe(200);
    expect((await h.post("invocations", { body: { prompt: "a" }, query: "qualifier=DEFAULT" })).status).toBe(200);
  });

  it("answers HEAD /ping as GET /ping, without a body (a health check probing with HEAD saw 404)", async () => {
    const head = await fetch(`${h.emu.url}/ping`, { method: "HEAD" });
    const get = await fetch(`${h.emu.url}/ping`);
    expect([head.status, head.headers.get("content-type")]).toEqual([200, get.headers.get("content-type")]);
    expect(await head.text()).toBe("");
    expect(get.status).toBe(200);
    await get.text();
  });

  it("accepts the bare runtime id with accountId", async () => {
    const res = await fetch(`${h.emu.url}/runtimes/my_agent-XyZ0123456/invocations?accountId=111122223333`, {
      method: "POST",
      headers: auth(),
      body: JSON.stringify({ prompt: "b" }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).response).toBe("You said: b");
  });

  it("requires accountId with a bare runtime id (400)", async () => {
    const res = await fetch(`${h.emu.url}/runtimes/my_agent-XyZ0123456/invocations`, { method: "POST", headers: auth(), body: "{}" });
    expect(res.status).toBe(400);
    expect(errorName(res)).toBe("ValidationException");
    expect((await res.json()).fieldList[0].name).toBe("accountId");
  });

  it("answers an unknown runtime, account or qualifier with 404 ResourceNotFoundException", async () => {
    const other = encodeURIComponent("arn:aws:bedrock-agentcore:eu-west-2:111122223333:runtime/other-0123456789");
    for (const url of [
      `${h.emu.url}/runtimes/${other}/invocations`,
      `${h.emu.url}/runtimes/my_agent-XyZ0123456/commands?accountId=999999999999`,
      h.opUrl("stopruntimesession", "qualifier=prod"),
    ]) {
      const res = await fetch(url, { method: "POST", headers: auth(), body: "{}" });
      expect(res.status).toBe(404);
      expect(errorName(res)).toBe("ResourceNotFoundException");
    }
  });

  it("rejects an ARN that is not encoded as one segment", async () => {
    const res = await fetch(`${h.emu.url}/runtimes/${h.emu.runtimeArn}/invocations`, { method: "POST", headers: auth(), body: "{}" });
    expect(res.status).toBe(404);
    expect((await res.json()).message).toMatch(/percent-encoded/);
  });

  it("answers unknown paths with 404 and GET /ping with Healthy", async () => {
    expect((await fetch(`${h.emu.url}/nope`, { method: "POST" })).status).toBe(404);
    const ping = await fetch(`${h.emu.url}/ping`);
    expect((await ping.json()).status).toBe("Healthy");
  });

  it("uses the aws-cn partition for China regions", async () => {
    const cn = await start({ region: "cn-north-1" });
    try {
      expect(cn.emu.runtimeArn.startsWith("arn:aws-cn:bedrock-agentcore:cn-north-1:")).toBe(true);
      expect((await cn.post("invocations", { body: {} })).status).toBe(200);
    } finally {
      await cn.emu.close();
    }
  });

  it("records every request with op, status and headers", async () => {
    const before = h.emu.requests.length;
    await h.post("invocations", { body: { prompt: "x" }, headers: { "X-Amzn-Trace-Id": "Root=1-abc" } });
    const rec = h.emu.requests[before];
    expect(rec).toMatchObject({ method: "POST", op: "invocations", status: 200 });
    expect(rec.headers["x-amzn-trace-id"]).toBe("Root=1-abc");
    expect(rec.path).toBe(`/runtimes/${encodeURIComponent(h.emu.runtimeArn)}/invocations`);
    expect(rec.sessionId).toHaveLength(36);
  });
});
