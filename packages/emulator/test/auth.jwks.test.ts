import http from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import type { Emulator } from "../src";
import { errorName, start, type Harness } from "./helpers";
import { startJwksServer, type JwksServer } from "./jwksServer";
import { wsBase } from "./wsHelpers";

/** The README's figures: the deadline of a JWKS fetch, and the back-off after a failed one. */
const JWKS_TIMEOUT_MS = 5000;
const JWKS_RETRY_MS = 2000;
/** Longer than any answer may take here: a request still unanswered then counts as hung. */
const CLIENT_TIMEOUT_MS = 15_000;

/** The answer to an invocation with `token`, or "hung" when none came within CLIENT_TIMEOUT_MS. */
async function invoke(h: Harness, token: string) {
  const started = Date.now();
  try {
    const res = await h.post("invocations", { body: { prompt: "hi" }, token, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    const body = await res.json();
    return { status: res.status, name: errorName(res), www: res.headers.get("www-authenticate"), message: body.message as string, ms: Date.now() - started };
  } catch {
    return { status: "hung" as const, ms: Date.now() - started };
  }
}

/** A WebSocket upgrade carrying `token` as the browser subprotocol: its HTTP status, 101 or "hung". */
function upgrade(emu: Emulator, token: string): Promise<number | "hung"> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${wsBase(emu)}/ws`, [`base64UrlBearerAuthorization.${Buffer.from(token).toString("base64url")}`, "base64UrlBearerAuthorization"], {
      handshakeTimeout: CLIENT_TIMEOUT_MS,
    });
    ws.once("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.once("unexpected-response", (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once("error", () => resolve("hung"));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("auth.jwksUrl fetches", () => {
  let idp: JwksServer;
  let token: string;
  beforeAll(async () => {
    idp = await startJwksServer();
    await idp.addKey("k1");
    await idp.addKey("k2");
    idp.published.add("k1");
    token = await idp.sign("k1");
  });
  afterAll(() => idp.close());

  async function withEmulator(jwksUrl: string, test: (h: Harness, log: string[]) => Promise<void>): Promise<void> {
    const log: string[] = [];
    const h = await start({ auth: { issuer: idp.issuer, jwksUrl, allowedClients: ["c1"] }, log: (line) => log.push(line) });
    try {
      await test(h, log);
    } finally {
      await h.emu.close();
    }
  }

  const jwksLines = (log: string[]) => log.filter((line) => / JWKS /.test(line));

  // jose's RemoteJWKSet bounded only the response headers: a body that never ended hung every request with a
  // provider's token, HTTP and WebSocket alike, and later ones shared the stuck fetch after the provider recovered.
  it("answers within the fetch deadline when the JWKS stalls mid-body, over HTTP and WebSocket, and recovers with the provider", async () => {
    idp.mode = "stall";
    idp.hits = 0;
    try {
      await withEmulator(idp.jwksUrl, async (h, log) => {
        const [http1, ws1, own] = await Promise.all([invoke(h, token), upgrade(h.emu, token), invoke(h, h.token)]);
        // the emulator's own tokens do not wait for the JWKS
        expect(own.status).toBe(200);
        expect(own.ms).toBeLessThan(JWKS_TIMEOUT_MS);
        expect(http1).toMatchObject({ status: 500, name: "InternalServerException", www: null });
        expect(http1.message).toBe(`Bearer token not verified: the JWKS (auth.jwksUrl) could not be fetched: no complete response within ${JWKS_TIMEOUT_MS / 1000} s`);
        expect(http1.ms).toBeGreaterThanOrEqual(JWKS_TIMEOUT_MS - 500);
        expect(ws1).toBe(500);
        expect(idp.hits).toBe(1);
        expect(jwksLines(log)).toEqual([expect.stringMatching(new RegExp(`JWKS ${idp.jwksUrl} could not be fetched: no complete response within 5 s$`))]);

        idp.mode = "ok";
        await sleep(JWKS_RETRY_MS + 300);
        expect((await invoke(h, token)).status).toBe(200);
        expect(await upgrade(h.emu, token)).toBe(101);
        expect(idp.hits).toBe(2);
      });
    } finally {
      idp.mode = "ok";
    }
  }, 60_000);

  // Outages were answered 401 "malformed token" with error="invalid_token", which blames the token.
  it.each([
    ["500", "HTTP 500"],
    ["not-json", "the response is not JSON"],
    ["huge", "the response is larger than 1048576 bytes"],
  ] as const)("answers a JWKS that is %s with 500 naming the cause, logs it once and does not fetch again at once", async (mode, cause) => {
    idp.mode = mode;
    idp.hugeBytes = 8 * 1024 * 1024;
    idp.hits = 0;
    try {
      await withEmulator(idp.jwksUrl, async (h, log) => {
        const first = await invoke(h, token);
        expect(first).toMatchObject({ status: 500, name: "InternalServerException", www: null });
        expect(first.message).toBe(`Bearer token not verified: the JWKS (auth.jwksUrl) could not be fetched: ${cause}`);
        const more = await Promise.all(Array.from({ length: 5 }, () => invoke(h, token)));
        expect(more.map((r) => r.status)).toEqual([500, 500, 500, 500, 500]);
        expect(more.every((r) => r.message === first.message)).toBe(true);
        expect(idp.hits).toBe(1);
        expect(jwksLines(log)).toEqual([expect.stringMatching(new RegExp(`could not be fetched: ${cause}$`))]);
      });
    } finally {
      idp.mode = "ok";
    }
  });

  it("answers a JWKS nobody listens on with 500 naming the refused connection", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await withEmulator(`http://127.0.0.1:${port}/jwks`, async (h, log) => {
      const res = await invoke(h, token);
      expect(res).toMatchObject({ status: 500, name: "InternalServerException" });
      expect(res.message).toBe("Bearer token not verified: the JWKS (auth.jwksUrl) could not be fetched: request failed (ECONNREFUSED)");
      expect(jwksLines(log)).toHaveLength(1);
    });
  });

  it("fetches again once the back-off after a failure has passed, not before", async () => {
    idp.mode = "500";
    idp.hits = 0;
    try {
      await withEmulator(idp.jwksUrl, async (h) => {
        expect((await invoke(h, token)).status).toBe(500);
        idp.mode = "ok";
        expect((await invoke(h, token)).status).toBe(500);
        expect(idp.hits).toBe(1);
        await sleep(JWKS_RETRY_MS + 300);
        expect((await invoke(h, token)).status).toBe(200);
        expect(idp.hits).toBe(2);
      });
    } finally {
      idp.mode = "ok";
    }
  });

  it("fetches again for an unknown kid at most once per 30 s cooldown", async () => {
    idp.hits = 0;
    const rotated = await idp.sign("k2");
    await withEmulator(idp.jwksUrl, async (h) => {
      expect((await invoke(h, token)).status).toBe(200);
      idp.published.add("k2");
      // within the cooldown a kid the keys lack is refused without a fetch, however many tokens name one
      const early = await Promise.all(Array.from({ length: 5 }, () => invoke(h, rotated)));
      expect(early.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
      expect(early[0].message).toBe("Invalid Bearer token: no matching key");
      expect(idp.hits).toBe(1);
      const realNow = Date.now;
      const clock = jest.spyOn(Date, "now").mockImplementation(() => realNow() + 31_000);
      try {
        const later = await Promise.all(Array.from({ length: 5 }, () => invoke(h, rotated)));
        expect(later.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
        expect(idp.hits).toBe(2);
      } finally {
        clock.mockRestore();
      }
    });
    idp.published.delete("k2");
  });

  it("fetches the keys again after 10 minutes, so a key the provider withdrew stops verifying", async () => {
    idp.hits = 0;
    const withdrawn = await idp.sign("k2");
    idp.published.add("k2");
    await withEmulator(idp.jwksUrl, async (h) => {
      expect((await invoke(h, withdrawn)).status).toBe(200);
      expect(idp.hits).toBe(1);
      idp.published.delete("k2");
      // still within the 10 minutes: the cached key verifies, no fetch
      expect((await invoke(h, withdrawn)).status).toBe(200);
      expect(idp.hits).toBe(1);
      const realNow = Date.now;
      const clock = jest.spyOn(Date, "now").mockImplementation(() => realNow() + 10 * 60_000 + 1000);
      try {
        const later = await invoke(h, withdrawn);
        expect(later.status).toBe(401);
        expect(idp.hits).toBe(2);
        // the keys still published verify
        expect((await invoke(h, token)).status).toBe(200);
      } finally {
        clock.mockRestore();
      }
    });
  });
});
