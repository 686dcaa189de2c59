import { startEmulator } from "../src";
import { errorName, start, type Harness } from "./helpers";

describe("CORS for browser pages on another origin", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ allowedOrigins: ["https://app.example.com"], allowPrivateNetwork: true });
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

  it("sends no Access-Control-Allow-Origin when the request names no origin", async () => {
    const res = await h.post("invocations", { body: {} });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    await res.arrayBuffer();
  });
});

describe("CORS origin policy", () => {
  const preflight = (h: Harness, origin: string, extra: Record<string, string> = {}) =>
    fetch(h.opUrl("invocations"), {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization", ...extra },
    });

  describe("by default", () => {
    let h: Harness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(() => h.emu.close());

    it.each(["http://localhost:5173", "http://127.0.0.1:3000", "http://127.8.9.10", "https://localhost", "http://[::1]:8080"])(
      "reflects the loopback origin %s",
      async (origin) => {
        const res = await preflight(h, origin);
        expect(res.status).toBe(204);
        expect(res.headers.get("access-control-allow-origin")).toBe(origin);
        const ok = await h.post("invocations", { body: {}, headers: { Origin: origin } });
        expect(ok.status).toBe(200);
        expect(ok.headers.get("access-control-allow-origin")).toBe(origin);
        await ok.arrayBuffer();
      },
    );

    it.each(["https://app.example.com", "http://localhost.evil.example", "http://127.0.0.1.nip.io", "null", "not a url"])(
      "refuses the origin %s: 403 AccessDeniedException, no CORS headers",
      async (origin) => {
        for (const res of [await preflight(h, origin), await h.post("invocations", { body: {}, headers: { Origin: origin } })]) {
          expect(res.status).toBe(403);
          expect(errorName(res)).toBe("AccessDeniedException");
          expect(res.headers.get("access-control-allow-origin")).toBeNull();
          expect(res.headers.get("access-control-allow-private-network")).toBeNull();
          await res.arrayBuffer();
        }
        expect(h.emu.requests.at(-1)).toMatchObject({ op: "invocations", status: 403 });
      },
    );

    it("does not grant private network access unless asked to", async () => {
      const res = await preflight(h, "http://localhost:5173", { "Access-Control-Request-Private-Network": "true" });
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-private-network")).toBeNull();
    });
  });

  it("admits exactly the listed origins, plus loopback ones with the \"loopback\" entry", async () => {
    const h = await start({ allowedOrigins: ["http://localhost:3000", "https://app.example.com/"] });
    const both = await start({ allowedOrigins: ["loopback", "https://app.example.com"] });
    try {
      expect((await preflight(h, "http://localhost:3000")).headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      expect((await preflight(h, "https://app.example.com")).headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect((await preflight(h, "http://localhost:3001")).status).toBe(403);
      expect((await preflight(h, "http://app.example.com")).status).toBe(403);
      expect((await preflight(both, "http://localhost:3001")).status).toBe(204);
      expect((await preflight(both, "https://app.example.com")).status).toBe(204);
      expect((await preflight(both, "https://other.example.com")).status).toBe(403);
    } finally {
      await h.emu.close();
      await both.emu.close();
    }
  });

  it("admits any origin with \"*\"", async () => {
    const h = await start({ allowedOrigins: ["*"] });
    try {
      const res = await preflight(h, "https://anything.example");
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe("https://anything.example");
    } finally {
      await h.emu.close();
    }
  });

  it.each([["http://localhost:3000/path"], ["localhost:3000"], [""], [" http://localhost:3000"], ["https://user@app.example.com"]])(
    "rejects the allowedOrigins entry %j",
    async (entry) => {
      await expect(startEmulator({ allowedOrigins: [entry] })).rejects.toThrow(RangeError);
    },
  );
});
