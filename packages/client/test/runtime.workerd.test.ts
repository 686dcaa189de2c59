/**
 * The client in Cloudflare Workers: real workerd (through Miniflare, a devDependency), running a Worker bundled the
 * way wrangler bundles one (esbuild, conditions workerd / worker / browser: the package's fetch build), with one
 * client kept at module scope across requests as Workers applications do. It calls a server on 127.0.0.1 in this
 * process. In workerd, timers and I/O belong to the request that started them: once that request has ended, its
 * timers never fire and its fetches never settle. An outside review found, each failing here before its fix:
 * - every call's idle and request timeouts shared one timer, set by whichever request came first: after that
 *   request, no later call's timeout fired (a stalled stream hung, even with the 300 s default);
 * - a token refresh ahead of expiry ran in the background of the request that started it; the next call that had
 *   to wait for a token joined it and hung for good;
 * - OAuth token requests used fetch's `redirect: "error"`, which workerd refuses: every token request failed.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";

const ROOT = path.resolve(__dirname, "../../..");
const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/worker_agent-abcdefghij";

// The Worker: one client per isolate (module scope), each route one scenario; every call is bounded by a
// deadline, so a hang shows as DeadlineExceededError rather than a stuck test.
const WORKER = `
import { RuntimeClient, InvokeCommand, InvokeStreamCommand, fromOAuthClientCredentials } from "@agentcore-runtime/client";
let plain, refreshing;
const runtimeArn = ${JSON.stringify(ARN)};
const describe = (e) => ({ name: e.name, message: String(e.message).slice(0, 200) });
async function answer(run) {
  try {
    return Response.json({ ok: true, ...(await run()) });
  } catch (e) {
    return Response.json({ ok: false, error: describe(e) });
  }
}
export default {
  async fetch(request, env) {
    const route = new URL(request.url).pathname;
    // every call of this client waits at most 2 s for data: a later call's due time is later than an earlier one's
    plain ??= new RuntimeClient({ endpoint: env.ENDPOINT, token: "worker-token-abcdefghij", idleTimeout: 2000 });
    refreshing ??= new RuntimeClient({
      endpoint: env.ENDPOINT,
      token: async () => {
        const reply = await (await fetch(env.ENDPOINT + "/token")).json();
        return { token: reply.token, expiresAt: Date.now() + reply.ttlMs };
      },
    });
    if (route === "/invoke") {
      return answer(async () => ({ json: (await plain.send(new InvokeCommand({ runtimeArn, payload: { n: 1 } }))).json }));
    }
    if (route === "/stalled-stream") {
      return answer(async () => {
        // a client of this request's own: the timers are module state either way
        const client = new RuntimeClient({ endpoint: env.ENDPOINT, token: "worker-token-abcdefghij", idleTimeout: 2000 });
        const out = await client.send(new InvokeStreamCommand({ runtimeArn, payload: { stall: true } }));
        const events = [];
        for await (const event of out.stream) events.push(event.text);
        return { events };
      });
    }
    if (route === "/with-refreshing-token") {
      return answer(async () => ({ json: (await refreshing.send(new InvokeCommand({ runtimeArn, payload: { n: 2 } }), { deadline: 5000 })).json }));
    }
    if (route === "/oauth") {
      const provider = fromOAuthClientCredentials({ tokenUrl: env.ENDPOINT + "/oauth2/token", clientId: "worker-client", clientSecret: "worker-secret" });
      return answer(async () => ({ token: (await provider({ forceRefresh: false })).token }));
    }
    return new Response("no such route", { status: 404 });
  },
};
`;

let server: http.Server;
let endpoint: string;
const tokenRequests: number[] = [];
let tokenDelayMs = 0;
let tokens = 0;
const authorizations: string[] = [];

let mf: Miniflare;
let script: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url === "/token") {
        tokenRequests.push(Date.now());
        const token = `refreshed-token-${++tokens}-abcdefghij`;
        setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token, ttlMs: 2_000 })), tokenDelayMs);
        return;
      }
      if (req.url === "/oauth2/token") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: "oauth-token-abcdefghij", expires_in: 3600, token_type: "Bearer" }));
        return;
      }
      authorizations.push(req.headers.authorization ?? "");
      if (body.includes("stall")) {
        // one event, then nothing: the socket stays open until the client leaves
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write('data: "first"\n\n');
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, auth: req.headers.authorization }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const built = await esbuild.build({
    stdin: { contents: WORKER, resolveDir: ROOT, sourcefile: "worker.js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["browser", "module", "main"],
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  script = built.outputFiles[0].text;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  server?.closeAllConnections();
  server?.close();
});

/** A fresh isolate: module-scope state starts empty. */
async function isolate(): Promise<void> {
  await mf?.dispose();
  mf = new Miniflare({ modules: true, script, compatibilityDate: "2025-09-01", bindings: { ENDPOINT: endpoint } });
  await mf.ready;
}

/** The Worker's answer, or `{ hung: true }` when it gave none within `ms` (a timeout or a refresh that never fired). */
async function call(route: string, ms = 8_000): Promise<any> {
  try {
    const response = await mf.dispatchFetch(`http://worker.test${route}`, { signal: AbortSignal.timeout(ms) });
    return await response.json();
  } catch (e) {
    if ((e as Error).name === "TimeoutError" || (e as Error).name === "AbortError") return { hung: true };
    throw e;
  }
}

test("the Worker bundle is the package's fetch build, and an invoke works", async () => {
  expect(script).not.toMatch(/node:http|from "http"/);
  await isolate();
  expect(await call("/invoke")).toEqual({ ok: true, json: { ok: true, auth: "Bearer worker-token-abcdefghij" } });
}, 30_000);

test("a call's idle timeout fires in a request after the first one (the timer was the first request's, and never fired again)", async () => {
  await isolate();
  expect((await call("/invoke")).ok).toBe(true);
  const started = Date.now();
  const stalled = await call("/stalled-stream");
  expect(stalled).toEqual({ ok: false, error: { name: "IdleTimeoutError", message: expect.any(String) } });
  expect(Date.now() - started).toBeLessThan(5_000);
  // and again, a third request
  expect((await call("/stalled-stream")).error.name).toBe("IdleTimeoutError");
}, 30_000);

test("a client kept across requests gets a new token after a background refresh the previous request started", async () => {
  await isolate();
  tokenRequests.length = 0;
  tokenDelayMs = 0;
  // token 1, valid 2 s, refreshed from 1 s before expiry
  expect((await call("/with-refreshing-token")).json.auth).toMatch(/^Bearer refreshed-token-\d+-abcdefghij$/);
  // past the refresh point: this call uses token 1 and starts a refresh (slow: 1 s) in its request's background
  await new Promise((r) => setTimeout(r, 1_200));
  tokenDelayMs = 1_000;
  expect((await call("/with-refreshing-token")).ok).toBe(true);
  // token 1 has expired: this call must wait for a token; the background refresh belonged to the ended request
  await new Promise((r) => setTimeout(r, 1_200));
  tokenDelayMs = 0;
  const third = await call("/with-refreshing-token");
  expect(third).toEqual({ ok: true, json: { ok: true, auth: expect.stringMatching(/^Bearer refreshed-token-\d+-abcdefghij$/) } });
  expect(tokenRequests.length).toBeGreaterThanOrEqual(3);
}, 30_000);

test("fromOAuthClientCredentials gets a token in workerd (redirect: 'error' failed every request there)", async () => {
  await isolate();
  expect(await call("/oauth")).toEqual({ ok: true, token: "oauth-token-abcdefghij" });
}, 30_000);
