import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from "jose";

/**
 * How the JWKS endpoint answers: the keys, a 500, HTML, headers then a body that never ends, or a body of
 * `hugeBytes` sent in chunks without a Content-Length.
 */
export type JwksMode = "ok" | "500" | "not-json" | "stall" | "huge";

export interface JwksServer {
  url: string;
  jwksUrl: string;
  issuer: string;
  mode: JwksMode;
  hugeBytes: number;
  /** JWKS requests received. */
  hits: number;
  /** The kids served: those of `publish`ed keys. */
  published: Set<string>;
  /** Adds a key (RS256, kid as given) the server can sign with; served once `published` has its kid. */
  addKey(kid: string): Promise<void>;
  /** A token with this server's issuer, `client_id: "c1"` and a 5 minute exp, signed with the key `kid`. */
  sign(kid: string, claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** An identity provider's JWKS endpoint on 127.0.0.1, switchable into the ways one fails. */
export async function startJwksServer(): Promise<JwksServer> {
  const keys = new Map<string, { privateKey: KeyLike; jwk: JWK }>();
  const server = http.createServer((req, res) => {
    if (req.url !== "/jwks") {
      res.statusCode = 404;
      res.end();
      return;
    }
    idp.hits++;
    switch (idp.mode) {
      case "ok": {
        const body = JSON.stringify({ keys: [...idp.published].map((kid) => keys.get(kid)!.jwk) });
        res.writeHead(200, { "content-type": "application/json" }).end(body);
        return;
      }
      case "500":
        res.writeHead(500, { "content-type": "text/plain" }).end("oops");
        return;
      case "not-json":
        res.writeHead(200, { "content-type": "text/html" }).end("<html>not json</html>");
        return;
      case "stall":
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"keys":[');
        return;
      case "huge": {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"keys":[');
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = idp.hugeBytes;
        const pump = (): void => {
          while (left > 0) {
            left -= chunk.length;
            if (!res.write(chunk)) {
              res.once("drain", pump);
              return;
            }
          }
          res.end("]}");
        };
        res.on("error", () => {});
        pump();
        return;
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp: JwksServer = {
    url,
    jwksUrl: `${url}/jwks`,
    issuer: `${url}/`,
    mode: "ok",
    hugeBytes: 0,
    hits: 0,
    published: new Set(),
    async addKey(kid) {
      const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
      keys.set(kid, { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } });
    },
    async sign(kid, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: idp.issuer, sub: "user-1", client_id: "c1", iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .sign(keys.get(kid)!.privateKey);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return idp;
}
