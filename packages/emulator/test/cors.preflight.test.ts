import { start, type Harness } from "./helpers";

describe("CORS for browser pages on another origin", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.emu.close());

  const requested =
    "authorization, content-type, x-amzn-bedrock-agentcore-runtime-session-id, mcp-session-id, traceparent, x-amzn-bedrock-agentcore-runtime-custom-tenant, amz-sdk-invocation-id";

  it.each(["invocations", "commands", "stopruntimesession"])("answers the preflight for %s", async (op) => {
    const res = await fetch(h.opUrl(op), {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": requested,
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toBe(requested);
    expect(res.headers.get("vary")).toContain("Origin");
    expect(h.emu.requests.at(-1)).toMatchObject({ op: "preflight", status: 204 });
  });

  it("lists the contract's request headers when none are requested, and allows private network access", async () => {
    const res = await fetch(h.opUrl("invocations"), {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Private-Network": "true" },
    });
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase();
    for (const name of [
      "authorization",
      "content-type",
      "accept",
      "x-amzn-bedrock-agentcore-runtime-session-id",
      "x-amzn-bedrock-agentcore-runtime-user-id",
      "mcp-session-id",
      "mcp-protocol-version",
      "mcp-method",
      "mcp-name",
      "x-amzn-trace-id",
      "traceparent",
      "tracestate",
      "baggage",
      "amz-sdk-invocation-id",
      "amz-sdk-request",
      "x-amz-user-agent",
    ]) {
      expect(allowed).toContain(name);
    }
    expect(res.headers.get("access-control-allow-private-network")).toBe("true");
  });

  it("exposes the contract's response headers on success and on errors", async () => {
    const ok = await h.post("invocations", { body: {}, headers: { Origin: "https://app.example.com" } });
    const denied = await h.post("invocations", { body: {}, token: null, headers: { Origin: "https://app.example.com" } });
    for (const res of [ok, denied]) {
      expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      const exposed = res.headers.get("access-control-expose-headers")!.toLowerCase();
      for (const name of [
        "x-amzn-bedrock-agentcore-runtime-session-id",
        "mcp-session-id",
        "mcp-protocol-version",
        "x-amzn-trace-id",
        "traceparent",
        "tracestate",
        "baggage",
        "x-amzn-requestid",
        "x-amzn-errortype",
        "retry-after",
        "www-authenticate",
      ]) {
        expect(exposed).toContain(name);
      }
      await res.arrayBuffer();
    }
  });

  it("allows any origin when the request names none", async () => {
    const res = await h.post("invocations", { body: {} });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    await res.arrayBuffer();
  });
});
