import { SignJWT, generateKeyPair } from "jose";
import { errorName, start, type Harness } from "./helpers";

describe("JWT bearer auth", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start();
  });
  afterAll(() => h.emu.close());

  async function expectError(res: Response, status: number, name: string) {
    expect(res.status).toBe(status);
    expect(errorName(res)).toBe(name);
    expect(res.headers.get("x-amzn-errortype")).toBe(`${name}:http://internal.amazon.com/coral/com.amazonaws.bedrockagentcore/`);
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.json();
    expect(typeof body.message).toBe("string");
    return body;
  }

  it("accepts a token from issueToken", async () => {
    const res = await h.post("invocations", { body: { prompt: "hi" } });
    expect(res.status).toBe(200);
    expect((await res.json()).response).toBe("You said: hi");
  });

  it("answers a missing token with 401 and WWW-Authenticate resource metadata", async () => {
    const res = await h.post("invocations", { body: { prompt: "hi" }, token: null });
    expect(res.headers.get("www-authenticate")).toBe(`Bearer resource_metadata="${h.emu.url}/.well-known/oauth-protected-resource"`);
    await expectError(res, 401, "UnauthorizedException");
  });

  it("answers a malformed token with 401", async () => {
    const res = await h.post("commands", { body: { command: "echo hi" }, token: "not-a-jwt" });
    expect(res.headers.get("www-authenticate")).toContain("resource_metadata=");
    await expectError(res, 401, "UnauthorizedException");
  });

  it("answers a non-bearer scheme with 401", async () => {
    const res = await fetch(h.opUrl("invocations"), { method: "POST", headers: { Authorization: "Basic dXNlcjpwYXNz" }, body: "{}" });
    await expectError(res, 401, "UnauthorizedException");
  });

  it("answers a token signed by another key with 401", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ client_id: "agentcore-emulator" })
      .setProtectedHeader({ alg: "RS256", kid: "someone-else" })
      .setIssuer(h.emu.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    await expectError(await h.post("invocations", { body: {}, token: forged }), 401, "UnauthorizedException");
  });

  it("answers a token with a tampered payload (bad signature) with 401", async () => {
    const [head, , sig] = h.token.split(".");
    const payload = Buffer.from(JSON.stringify({ iss: h.emu.issuer, client_id: "agentcore-emulator", exp: 9999999999 })).toString("base64url");
    await expectError(await h.post("invocations", { body: {}, token: `${head}.${payload}.${sig}` }), 401, "UnauthorizedException");
  });

  it("answers an unsigned (alg none) token with 401", async () => {
    const head = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ iss: h.emu.issuer, client_id: "agentcore-emulator", exp: 9999999999 })).toString("base64url");
    await expectError(await h.post("invocations", { body: {}, token: `${head}.${payload}.` }), 401, "UnauthorizedException");
  });

  it("answers a wrong issuer with 401", async () => {
    const token = await h.emu.issueToken({ iss: "https://issuer.example.com" });
    await expectError(await h.post("invocations", { body: {}, token }), 401, "UnauthorizedException");
  });

  it("answers an expired token with 401", async () => {
    const token = await h.emu.issueToken({ exp: Math.floor(Date.now() / 1000) - 60 });
    const body = await expectError(await h.post("invocations", { body: {}, token }), 401, "UnauthorizedException");
    expect(body.message).toMatch(/expired/);
  });

  it("answers a token without exp with 401", async () => {
    const token = await h.emu.issueToken({ exp: undefined });
    await expectError(await h.post("invocations", { body: {}, token }), 401, "UnauthorizedException");
  });

  it("answers a client_id outside the allow-list with 403", async () => {
    const token = await h.emu.issueToken({ client_id: "some-other-client" });
    await expectError(await h.post("invocations", { body: {}, token }), 403, "AccessDeniedException");
  });

  it.each([[["agentcore-emulator"]], [{ id: "agentcore-emulator" }], [123]])("answers a client_id claim that is not a string (%j) with 403", async (clientId) => {
    // String(["agentcore-emulator"]) is "agentcore-emulator": only a string claim may match the allow-list.
    const token = await h.emu.issueToken({ client_id: clientId });
    await expectError(await h.post("invocations", { body: {}, token }), 403, "AccessDeniedException");
  });

  it("answers SigV4 with 403 Authorization method mismatch", async () => {
    const res = await fetch(h.opUrl("invocations"), {
      method: "POST",
      headers: {
        Authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=abc",
      },
      body: "{}",
    });
    const body = await expectError(res, 403, "AccessDeniedException");
    expect(body.message).toBe("Authorization method mismatch");
  });

  it("never echoes the token in an error", async () => {
    const token = await h.emu.issueToken({ client_id: "nope" });
    const res = await h.post("invocations", { body: {}, token });
    expect(await res.text()).not.toContain(token);
  });
});

describe("customJWTAuthorizer options", () => {
  it("checks the audience allow-list (403) and issues tokens that pass it", async () => {
    const h = await start({ auth: { allowedAudience: ["my-api"] } });
    try {
      expect((await h.post("invocations", { body: {} })).status).toBe(200);
      const wrong = await h.emu.issueToken({ aud: "other-api" });
      const res = await h.post("invocations", { body: {}, token: wrong });
      expect(res.status).toBe(403);
      expect(errorName(res)).toBe("AccessDeniedException");
      // With only an audience list, client_id is not checked.
      const anyClient = await h.emu.issueToken({ client_id: "whoever", aud: ["x", "my-api"] });
      expect((await h.post("invocations", { body: {}, token: anyClient })).status).toBe(200);
    } finally {
      await h.emu.close();
    }
  });

  it("honours allowedClients", async () => {
    const h = await start({ auth: { allowedClients: ["app-1", "app-2"] } });
    try {
      expect((await h.post("invocations", { body: {} })).status).toBe(200);
      const second = await h.emu.issueToken({ client_id: "app-2" });
      expect((await h.post("invocations", { body: {}, token: second })).status).toBe(200);
      const third = await h.emu.issueToken({ client_id: "app-3" });
      expect((await h.post("invocations", { body: {}, token: third })).status).toBe(403);
    } finally {
      await h.emu.close();
    }
  });

  it("verifies tokens of another issuer against its JWKS (jwksUrl)", async () => {
    const idp = await start();
    const h = await start({ auth: { issuer: idp.emu.issuer, jwksUrl: idp.emu.jwksUrl } });
    try {
      // The identity provider here is another emulator: its token verifies through its JWKS endpoint.
      expect((await h.post("invocations", { body: {}, token: idp.token })).status).toBe(200);
      const stranger = await start();
      try {
        expect((await h.post("invocations", { body: {}, token: stranger.token })).status).toBe(401);
      } finally {
        await stranger.emu.close();
      }
    } finally {
      await h.emu.close();
      await idp.emu.close();
    }
  });

  it("serves its JWKS and discovery documents", async () => {
    const h = await start();
    try {
      const jwks = await (await fetch(h.emu.jwksUrl)).json();
      expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256" });
      expect(jwks.keys[0].d).toBeUndefined();
      const discovery = await (await fetch(`${h.emu.url}/.well-known/openid-configuration`)).json();
      expect(discovery).toEqual({ issuer: h.emu.issuer, jwks_uri: h.emu.jwksUrl });
    } finally {
      await h.emu.close();
    }
  });
});
