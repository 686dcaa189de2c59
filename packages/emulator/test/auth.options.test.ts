import { decodeJwt } from "jose";
import { startEmulator, type EmulatorOptions } from "../src";
import { errorName, start } from "./helpers";
import { startJwksServer, type JwksServer } from "./jwksServer";

/** What startEmulator rejects with for these auth options (an emulator it started anyway is closed). */
async function refusal(auth: unknown): Promise<unknown> {
  try {
    const emu = await startEmulator({ auth } as EmulatorOptions);
    await emu.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

async function expectRefused(auth: unknown, message: RegExp): Promise<void> {
  const err = await refusal(auth);
  expect(err).toBeInstanceOf(RangeError);
  expect((err as Error).message).toMatch(message);
}

describe("auth options", () => {
  let idp: JwksServer;
  beforeAll(async () => {
    idp = await startJwksServer();
    await idp.addKey("k1");
    idp.published.add("k1");
  });
  afterAll(() => idp.close());

  // JavaScript and JSON configs are not type-checked: each of these used to switch a check off or weaken it.
  it("refuses allow-lists that are null, strings, empty or hold empty or non-string entries", async () => {
    for (const name of ["allowedClients", "allowedAudience"]) {
      for (const value of [null, "c1", [], [""], ["c1", 7], {}]) {
        await expectRefused({ issuer: idp.issuer, jwksUrl: idp.jwksUrl, [name]: value }, new RegExp(`^auth\\.${name} must be a non-empty array`));
      }
    }
  });

  it("refuses an empty or non-string issuer and a jwksUrl that is not an http(s) URL", async () => {
    for (const issuer of ["", null, 42]) await expectRefused({ issuer }, /^auth\.issuer must be a non-empty string/);
    for (const jwksUrl of ["", "not a url", "file:///etc/jwks.json", "ftp://127.0.0.1/jwks", null]) {
      await expectRefused({ issuer: idp.issuer, jwksUrl }, /^auth\.jwksUrl must be an http or https URL/);
    }
    await expectRefused(null, /^auth must be an object/);
  });

  it("refuses keys it does not know, pointing discoveryUrl at jwksUrl and issuer", async () => {
    await expectRefused(
      { discoveryUrl: `${idp.url}/.well-known/openid-configuration`, allowedClients: ["c1"] },
      /auth\.discoveryUrl is not supported: give auth\.jwksUrl .* and auth\.issuer/,
    );
    await expectRefused({ issuer: idp.issuer, allowedClient: ["c1"] }, /^auth\.allowedClient is not an option; auth takes issuer, jwksUrl, allowedClients/);
  });

  it("matches valid allow-lists exactly, and issueToken uses their first entries whole", async () => {
    const h = await start({ auth: { issuer: idp.issuer, jwksUrl: idp.jwksUrl, allowedClients: ["c1"], allowedAudience: ["https://api.example.com"] } });
    try {
      const call = async (claims: Record<string, unknown>) => (await h.post("invocations", { body: {}, token: await idp.sign("k1", claims) })).status;
      expect(await call({ aud: "https://api.example.com" })).toBe(200);
      for (const aud of ["e", "", "https://api"]) expect(await call({ aud })).toBe(403);
      expect(await call({ aud: "https://api.example.com", client_id: "c" })).toBe(403);
      expect(decodeJwt(await h.emu.issueToken())).toMatchObject({ client_id: "c1", aud: "https://api.example.com" });
    } finally {
      await h.emu.close();
    }
  });

  it("issueToken takes a finite number of seconds as expiresIn, a negative one giving an expired token", async () => {
    const h = await start();
    try {
      for (const expiresIn of ["3600", Number.NaN, Infinity]) {
        await expect(h.emu.issueToken({}, { expiresIn: expiresIn as number })).rejects.toThrow(/^expiresIn must be a finite number of seconds/);
      }
      const expired = await h.emu.issueToken({}, { expiresIn: -60 });
      expect(decodeJwt(expired).exp).toBeLessThan(Date.now() / 1000);
      const res = await h.post("invocations", { body: {}, token: expired });
      expect(res.status).toBe(401);
      expect(errorName(res)).toBe("UnauthorizedException");
      expect((await res.json()).message).toMatch(/expired/);
    } finally {
      await h.emu.close();
    }
  });
});
