/**
 * The default Node handler over HTTPS, as every real AgentCore endpoint is: certificate verification on, one
 * TLS connection reused across calls, and a certificate the process does not trust refused before any request
 * is sent. The client runs in a child process (the built package, resolved by name) so that the test CA can
 * be trusted the way an application would trust a private one, with NODE_EXTRA_CA_CERTS.
 *
 * fixtures/tls: a self-signed certificate for 127.0.0.1 and localhost, valid until 2126, made with
 * `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=127.0.0.1"
 *  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"`. Test-only; it guards nothing.
 */
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { runNodeScript } from "./helpers/child";
import { ARN, TOKEN } from "./helpers/server";

const CERT = path.join(__dirname, "fixtures/tls/cert.pem");

let server: https.Server;
let port: number;
let tlsConnections = 0;
const requests: { authorization?: string; encrypted: boolean }[] = [];

beforeAll(async () => {
  server = https.createServer({ key: fs.readFileSync(path.join(__dirname, "fixtures/tls/key.pem")), cert: fs.readFileSync(CERT) }, (req, res) => {
    requests.push({ authorization: req.headers.authorization, encrypted: (req.socket as { encrypted?: boolean }).encrypted === true });
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  server.on("secureConnection", () => tlsConnections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  requests.length = 0;
  tlsConnections = 0;
});

/** Runs three invokes in a fresh node (no destroy(): it must exit on its own) and returns what it printed. */
async function child(env: Record<string, string | undefined>): Promise<{ status: number | null; out: { ok: boolean; json?: unknown[]; error?: Record<string, unknown> } }> {
  const script = `
    const { RuntimeClient, InvokeCommand } = require("@agentcore-runtime/client");
    (async () => {
      const client = new RuntimeClient({ endpoint: "https://127.0.0.1:${port}", token: ${JSON.stringify(TOKEN)}, maxAttempts: 1 });
      const json = [];
      try {
        for (let i = 0; i < 3; i++) json.push((await client.send(new InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, payload: { i } }))).json);
        console.log(JSON.stringify({ ok: true, json }));
      } catch (e) {
        console.log(JSON.stringify({ ok: false, error: { name: e.name, code: e.code, message: e.message, beforeResponse: e.beforeResponse } }));
      }
    })();
  `;
  const { status, stdout, stderr } = await runNodeScript(script, { env });
  if (stderr.trim()) throw new Error(`child wrote to stderr: ${stderr}`);
  return { status, out: JSON.parse(stdout.trim().split("\n").pop() || "{}") };
}

test("with the CA trusted, calls go over TLS, verified, on one reused connection", async () => {
  const { status, out } = await child({ NODE_EXTRA_CA_CERTS: CERT });
  expect(status).toBe(0);
  expect(out).toEqual({ ok: true, json: [{ ok: true }, { ok: true }, { ok: true }] });
  expect(requests).toHaveLength(3);
  expect(requests.every((r) => r.encrypted && r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(tlsConnections).toBe(1);
});

test("a certificate the process does not trust is refused before any request is sent", async () => {
  const env = { NODE_EXTRA_CA_CERTS: undefined, NODE_TLS_REJECT_UNAUTHORIZED: undefined };
  const { status, out } = await child(env);
  expect(status).toBe(0);
  expect(out.ok).toBe(false);
  expect(out.error).toMatchObject({ name: "NetworkError", beforeResponse: true });
  expect(String(out.error!.code)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  // the token never reached a server whose certificate failed
  expect(requests).toHaveLength(0);
});
