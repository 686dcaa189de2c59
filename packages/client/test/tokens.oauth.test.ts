import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  cognitoTokenUrl,
  fromCognitoClientCredentials,
  fromOAuthClientCredentials,
  RuntimeClient,
  type TokenProvider,
} from "@agentcore-runtime/client";
import { startServer, type TestServer } from "./helpers/server";
import { closedPort, commandFor, rejectionOf, succeed } from "./helpers/resilience";

const CLIENT_ID = "4example0client0id0abc";
const SECRET = "s3cr3t+/=value with space&more";
const SECRET_BASIC = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(SECRET).replace(/%20/g, "+")}`).toString("base64")}`;

type TokenReply = { status: number; body: string; contentType?: string } | "hang";
let next: TokenReply | undefined;
let issued = 0;
let tokenServer: TestServer;

/** A client-credentials token endpoint (Cognito's shape) that checks the client's credentials like a real one. */
beforeAll(async () => {
  tokenServer = await startServer((req, res) => {
    if (next === "hang") return;
    if (next) {
      res.writeHead(next.status, { "content-type": next.contentType ?? "application/json" });
      return void res.end(next.body);
    }
    const form = new URLSearchParams(tokenServer.requests.at(-1)!.body.toString());
    const basic = req.headers.authorization;
    const ok =
      req.method === "POST" &&
      req.url === "/oauth2/token" &&
      req.headers["content-type"] === "application/x-www-form-urlencoded" &&
      form.get("grant_type") === "client_credentials" &&
      (basic === SECRET_BASIC || (basic === undefined && form.get("client_id") === CLIENT_ID && form.get("client_secret") === SECRET));
    if (!ok) {
      res.writeHead(400, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ error: "invalid_client" }));
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ access_token: `issued-token-${++issued}-xyzxyzxyz`, expires_in: 3600, token_type: "Bearer" }));
  });
});
afterAll(() => tokenServer.close());
beforeEach(() => {
  tokenServer.requests.length = 0;
  next = undefined;
});

const tokenUrl = () => `${tokenServer.url}/oauth2/token`;
const fetchToken = (provider: TokenProvider) => provider({ forceRefresh: false }) as Promise<{ token: string; expiresAt?: Date }>;

/** Everything an error can show: message, stack, JSON, String, enumerable and cause chain. */
function everything(error: any): string {
  return [error.message, error.stack, String(error), JSON.stringify(error), JSON.stringify(error.cause ?? null), String(error.cause ?? "")].join("\n");
}

describe("fromOAuthClientCredentials", () => {
  test("client_secret_basic (default): form-encoded POST, RFC 6749 Basic credentials, scopes joined by spaces", async () => {
    const started = Date.now();
    const provider = fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, scopes: ["agent/invoke", "agent/read"] });
    const got = await fetchToken(provider);
    expect(got.token).toMatch(/^issued-token-\d+-xyzxyzxyz$/);
    expect(got.expiresAt!.getTime()).toBeGreaterThanOrEqual(started + 3600_000);
    expect(got.expiresAt!.getTime()).toBeLessThan(Date.now() + 3600_000 + 1);
    const sent = tokenServer.requests[0];
    expect(sent.headers.authorization).toBe(SECRET_BASIC);
    const form = new URLSearchParams(sent.body.toString());
    expect(Object.fromEntries(form)).toEqual({ grant_type: "client_credentials", scope: "agent/invoke agent/read" });
  });

  test("client_secret_post: credentials in the form, no Authorization header", async () => {
    const provider = fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, clientAuthentication: "client_secret_post" });
    await fetchToken(provider);
    const sent = tokenServer.requests[0];
    expect(sent.headers.authorization).toBeUndefined();
    const form = new URLSearchParams(sent.body.toString());
    expect(form.get("client_secret")).toBe(SECRET);
    expect(form.has("scope")).toBe(false);
  });

  test("extraParams (audience, resource) are sent; grant_type cannot be overridden", async () => {
    const provider = fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, extraParams: { audience: "https://api", grant_type: "password" } });
    await fetchToken(provider);
    const form = new URLSearchParams(tokenServer.requests[0].body.toString());
    expect(form.get("audience")).toBe("https://api");
    expect(form.getAll("grant_type")).toEqual(["client_credentials"]);
  });

  test("no expires_in: no expiresAt (used until a 401); expires_in as a string is accepted", async () => {
    const provider = fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET });
    next = { status: 200, body: JSON.stringify({ access_token: "opaque-abcdefgh" }) };
    expect(await fetchToken(provider)).toEqual({ token: "opaque-abcdefgh" });
    next = { status: 200, body: JSON.stringify({ access_token: "opaque-abcdefgh", expires_in: "60" }) };
    expect((await fetchToken(provider)).expiresAt).toBeInstanceOf(Date);
  });

  test("only https, or http on a loopback host; no credentials in the URL", () => {
    const make = (url: string) => () => fromOAuthClientCredentials({ tokenUrl: url, clientId: CLIENT_ID, clientSecret: SECRET });
    expect(make("http://idp.example.com/token")).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
    expect(make("https://user:pw@idp.example.com/token")).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
    expect(make("not a url")).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
    expect(make("https://idp.example.com/token")).not.toThrow();
    expect(make("http://localhost:9/token")).not.toThrow();
  });
});

describe("failures are TokenProviderErrors that never contain the secret or a token", () => {
  const provider = () => fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET });
  const secrets = [SECRET, SECRET_BASIC.slice(6), "leaked-access-token-123456"];
  const expectClean = (error: any) => {
    expect(error.name).toBe("TokenProviderError");
    const all = everything(error);
    for (const s of secrets) expect(all).not.toContain(s);
  };

  test("wrong credentials: 400 invalid_client", async () => {
    const error = await rejectionOf(fetchToken(fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: "wrong-secret" })));
    expectClean(error);
    expect(error.message).toContain("HTTP 400: invalid_client");
    expect(error).toMatchObject({ oauthError: "invalid_client", tokenEndpointStatus: 400 });
    expect(error.statusCode).toBeUndefined();
  });

  test("an error_description that echoes the secret, the Basic credential and a token", async () => {
    next = { status: 401, body: JSON.stringify({ error: "invalid_client", error_description: `bad ${SECRET} / ${SECRET_BASIC.slice(6)} / leaked-access-token-123456`, access_token: "leaked-access-token-123456" }) };
    const error = await rejectionOf(fetchToken(provider()));
    expectClean(error);
    expect(error.message).toContain("invalid_client (bad [REDACTED]");
  });

  test("a redirect is not followed: the credentials never reach the other host (fetch's redirect 'error' is not in Workers)", async () => {
    // redirect: "manual" and a refusal of any 3xx (Cloudflare Workers' fetch refuses redirect: "error", which
    // failed every token request there); a 307 keeps the POST and its body, so following it would hand the
    // client secret to whoever the Location names
    const elsewhere = await startServer((_req, res) => void res.writeHead(200, { "content-type": "application/json" }).end('{"access_token":"stolen-abcdefghij"}'));
    const redirecting = await startServer((_req, res) => void res.writeHead(307, { location: `${elsewhere.url}/oauth2/token` }).end());
    try {
      const error = await rejectionOf(fetchToken(fromOAuthClientCredentials({ tokenUrl: `${redirecting.url}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET })));
      expectClean(error);
      expect(error.message).toMatch(/answered with a redirect \(HTTP 307\): not followed/);
      expect(error).toMatchObject({ tokenEndpointStatus: 307 });
      expect(redirecting.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      redirecting.close();
      elsewhere.close();
    }
  });

  test("a 200 carrying an OAuth error", async () => {
    next = { status: 200, body: JSON.stringify({ error: "unauthorized_client" }) };
    const error = await rejectionOf(fetchToken(provider()));
    expectClean(error);
    expect(error.message).toContain("unauthorized_client");
  });

  test("a 200 without access_token, and a 200 that is not JSON", async () => {
    next = { status: 200, body: JSON.stringify({ token_type: "Bearer" }) };
    expect((await rejectionOf(fetchToken(provider()))).message).toContain("without an access_token");
    next = { status: 200, body: "<html>login</html>", contentType: "text/html" };
    expect((await rejectionOf(fetchToken(provider()))).message).toContain("not JSON");
  });

  test("a gateway's HTML error page is summarised, secrets scrubbed", async () => {
    next = { status: 502, body: `<html><body><h1>502 Bad Gateway</h1><p>${SECRET}</p></body></html>`, contentType: "text/html" };
    const error = await rejectionOf(fetchToken(provider()));
    expectClean(error);
    expect(error.message).toContain("HTTP 502");
    expect(error.message).toContain("502 Bad Gateway");
  });

  test("an unreachable endpoint", async () => {
    const port = await closedPort();
    const error = await rejectionOf(fetchToken(fromOAuthClientCredentials({ tokenUrl: `http://127.0.0.1:${port}/oauth2/token`, clientId: CLIENT_ID, clientSecret: SECRET })));
    expectClean(error);
    expect(error.message).toContain("ECONNREFUSED");
  });

  test("an endpoint that never answers, under `timeout`", async () => {
    next = "hang";
    const started = Date.now();
    const error = await rejectionOf(fetchToken(fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, timeout: 50 })));
    expectClean(error);
    expect(error.message).toContain("no response within 50 ms");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("bounds of a token request (from a review)", () => {
  test("a timeout of 0, negative, NaN, null or not a number is refused up front (each was no limit at all)", () => {
    for (const timeout of [0, -1, NaN, null, "100"]) {
      expect(() => fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, timeout: timeout as number })).toThrow(
        expect.objectContaining({ name: "TokenProviderError", message: expect.stringContaining("timeout must be a positive number") }),
      );
    }
    expect(() => fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, timeout: Infinity })).not.toThrow();
    expect(() => fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET, timeout: undefined })).not.toThrow();
  });

  test("a body over 1 MiB is not read on: a success is refused, an error page reported from its first bytes", async () => {
    // (a 400 MiB success was read whole and accepted; a 200 MiB error page was read whole for a 200-character message)
    next = { status: 200, body: JSON.stringify({ access_token: "big-token-xyzxyzxyz", expires_in: 3600, padding: "p".repeat(2 * 1024 * 1024) }) };
    const big = await rejectionOf(fetchToken(fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET })));
    expect(big.name).toBe("TokenProviderError");
    expect(big.message).toMatch(/HTTP 200 with a body over 1048576 bytes/);
    next = { status: 502, body: `<html><body>Bad gateway ${"x".repeat(2 * 1024 * 1024)}</body></html>`, contentType: "text/html" };
    const page = await rejectionOf(fetchToken(fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET })));
    expect(page.message).toMatch(/HTTP 502: a non-JSON body: Bad gateway x/);
    expect((page as { tokenEndpointStatus?: number }).tokenEndpointStatus).toBe(502);
  });

  test("an expires_in past what a Date holds is no expiry (it was an Invalid Date)", async () => {
    next = { status: 200, body: JSON.stringify({ access_token: "long-lived-xyzxyzxyz", expires_in: 1e300 }) };
    expect(await fetchToken(fromOAuthClientCredentials({ tokenUrl: tokenUrl(), clientId: CLIENT_ID, clientSecret: SECRET }))).toEqual({ token: "long-lived-xyzxyzxyz" });
  });
});

describe("fromCognitoClientCredentials", () => {
  test("a prefix or region that is not one is refused: both go into the host the secret is sent to", () => {
    // (a region of "us-east-1.attacker.example#" sent the client secret to my-pool.auth.us-east-1.attacker.example)
    for (const [domain, region] of [["my-pool", "us-east-1.attacker.example#"], ["my-pool", "attacker.example/"], ["my-pool", "US-EAST-1"], ["my_pool@evil", "us-east-1"], ["-pool", "us-east-1"]]) {
      expect(() => cognitoTokenUrl(domain!, region)).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
      expect(() => fromCognitoClientCredentials({ domain, region, clientId: CLIENT_ID, clientSecret: SECRET })).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
    }
    expect(cognitoTokenUrl("my-pool-2", "us-gov-west-1")).toBe("https://my-pool-2.auth.us-gov-west-1.amazoncognito.com/oauth2/token");
  });

  test("the token URL for each way of naming the domain", () => {
    expect(cognitoTokenUrl("my-pool.auth.us-east-1.amazoncognito.com")).toBe("https://my-pool.auth.us-east-1.amazoncognito.com/oauth2/token");
    expect(cognitoTokenUrl("auth.example.com")).toBe("https://auth.example.com/oauth2/token");
    expect(cognitoTokenUrl("https://my-pool.auth.eu-west-2.amazoncognito.com/")).toBe("https://my-pool.auth.eu-west-2.amazoncognito.com/oauth2/token");
    expect(cognitoTokenUrl("my-pool", "eu-west-2")).toBe("https://my-pool.auth.eu-west-2.amazoncognito.com/oauth2/token");
    expect(() => cognitoTokenUrl("my-pool")).toThrow(expect.objectContaining({ name: "TokenProviderError" }));
    expect(() => fromCognitoClientCredentials({ clientId: CLIENT_ID, clientSecret: SECRET })).toThrow(/exactly one of domain and tokenUrl/);
  });

  test("against a local token server: POST {domain}/oauth2/token with Basic auth", async () => {
    const provider = fromCognitoClientCredentials({ domain: tokenServer.url, clientId: CLIENT_ID, clientSecret: SECRET, scopes: "agent/invoke" });
    const got = await fetchToken(provider);
    expect(got.token).toMatch(/^issued-token-/);
    expect(tokenServer.requests[0].url).toBe("/oauth2/token");
    expect(tokenServer.requests[0].headers.authorization).toBe(SECRET_BASIC);
  });

  describe("end to end with the client", () => {
    let runtime: TestServer;
    let accepted = new Set<string>();
    beforeAll(async () => {
      runtime = await startServer((req, res) => {
        const token = req.headers.authorization?.replace(/^Bearer /, "");
        if (!token || !accepted.has(token)) {
          res.writeHead(401, { "x-amzn-errortype": "UnauthorizedException", "content-type": "application/json" });
          return void res.end('{"message":"Invalid JWT"}');
        }
        succeed("stop", res);
      });
    });
    afterAll(() => runtime.close());

    test("one token for many calls; a 401 re-fetches from the token endpoint once", async () => {
      const c = new RuntimeClient({ endpoint: runtime.url, token: fromCognitoClientCredentials({ domain: tokenServer.url, clientId: CLIENT_ID, clientSecret: SECRET }) });
      accepted = new Set([`issued-token-${issued + 1}-xyzxyzxyz`]);
      await Promise.all([c.send(commandFor("stop")), c.send(commandFor("stop")), c.send(commandFor("stop"))]);
      expect(tokenServer.requests).toHaveLength(1);
      // the runtime revokes it: the next call gets a 401, the client fetches a new token and succeeds
      accepted = new Set([`issued-token-${issued + 1}-xyzxyzxyz`]);
      const out = await c.send(commandFor("stop"));
      c.destroy();
      expect(out.statusCode).toBe(200);
      expect(tokenServer.requests).toHaveLength(2);
      expect(runtime.requests.map((r) => r.headers.authorization)).toEqual([
        `Bearer issued-token-${issued - 1}-xyzxyzxyz`,
        `Bearer issued-token-${issued - 1}-xyzxyzxyz`,
        `Bearer issued-token-${issued - 1}-xyzxyzxyz`,
        `Bearer issued-token-${issued - 1}-xyzxyzxyz`,
        `Bearer issued-token-${issued}-xyzxyzxyz`,
      ]);
    });

    test("a token endpoint failure is the call's TokenProviderError, not retried, secret-free", async () => {
      const c = new RuntimeClient({ endpoint: runtime.url, token: fromCognitoClientCredentials({ domain: tokenServer.url, clientId: CLIENT_ID, clientSecret: "wrong" }) });
      const error = await rejectionOf(c.send(commandFor("stop")));
      c.destroy();
      expect(error.name).toBe("TokenProviderError");
      // no request reached the runtime: attempts counts requests sent, as without the retry middleware
      expect(error.$metadata.attempts).toBe(0);
      expect(tokenServer.requests).toHaveLength(1);
    });
  });
});

test("oauth.ts is browser-safe: no node: imports, no process, no Buffer", () => {
  const source = readFileSync(path.join(__dirname, "../src/tokens/oauth.ts"), "utf8");
  expect(source).not.toMatch(/from\s+["']node:|require\(|\bprocess\.|\bBuffer\b/);
});
