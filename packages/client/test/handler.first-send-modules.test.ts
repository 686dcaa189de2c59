/**
 * What the first send makes Node load, in a fresh process with the built package: a call to a plain-http
 * endpoint (the emulator, a local agent) loads node:http and not TLS; the call's clock and its UUIDs load
 * neither perf_hooks nor Web Crypto (about 1.7 ms each on a cold start). The ids are still UUIDv4s, and a
 * `globalThis.crypto` the application put in place of Node's own is the one the ids come from.
 */
import { runNodeScript } from "./helpers/child";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true }));
  });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** Imports the package, sends `calls` invokes and prints the modules Node loaded meanwhile. */
async function child(prelude: string, calls = 1, afterFirstCall = ""): Promise<{ loaded: string[]; json: unknown[]; extra: unknown }> {
  const script = `
    const before = new Set(process.moduleLoadList);
    let extra;
    ${prelude}
    const { RuntimeClient, InvokeCommand } = require("@agentcore-runtime/client");
    (async () => {
      const client = new RuntimeClient({ endpoint: ${JSON.stringify(server.url)}, token: ${JSON.stringify(TOKEN)} });
      const json = [];
      for (let i = 0; i < ${calls}; i++) {
        json.push((await client.send(new InvokeCommand({ runtimeArn: ${JSON.stringify(ARN)}, payload: { i } }))).json);
        if (i === 0) { ${afterFirstCall} }
      }
      const loaded = process.moduleLoadList.filter((m) => !before.has(m));
      client.destroy();
      console.log(JSON.stringify({ loaded, json, extra }));
    })();
  `;
  const { status, stdout, stderr } = await runNodeScript(script, { env: { BEDROCK_AGENTCORE_DP_ENDPOINT: undefined } });
  if (status !== 0 || stderr.trim()) throw new Error(`child exited ${status}: ${stderr}`);
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

const sessionIds = () => server.requests.map((r) => r.headers["x-amzn-bedrock-agentcore-runtime-session-id"]);
const invocationIds = () => server.requests.map((r) => r.headers["amz-sdk-invocation-id"]);

test("a plain-http call loads node:http, and neither TLS, perf_hooks nor Web Crypto", async () => {
  const { loaded, json } = await child("", 2);
  expect(json).toEqual([{ ok: true }, { ok: true }]);
  // the list is real: the module the call did need is in it
  expect(loaded).toContain("NativeModule http");
  expect(loaded).not.toContain("NativeModule https");
  expect(loaded).not.toContain("NativeModule tls");
  expect(loaded).not.toContain("NativeModule perf_hooks");
  expect(loaded).not.toContain("NativeModule internal/crypto/webcrypto");
  // the ids are UUIDv4s all the same, each different
  const ids = [...sessionIds(), ...invocationIds()];
  expect(ids).toHaveLength(4);
  for (const id of ids) expect(id).toMatch(UUID_V4);
  expect(new Set(ids).size).toBe(4);
});

test("a crypto the application put in place of Node's own is where the ids come from", async () => {
  const prelude = `
    const real = globalThis.crypto;
    extra = { fills: 0 };
    Object.defineProperty(globalThis, "crypto", {
      configurable: true,
      value: { getRandomValues: (bytes) => { extra.fills++; return real.getRandomValues(bytes); } },
    });
  `;
  const { json, extra } = await child(prelude);
  expect(json).toEqual([{ ok: true }]);
  expect((extra as { fills: number }).fills).toBeGreaterThanOrEqual(1);
  expect(sessionIds()[0]).toMatch(UUID_V4);
  expect(invocationIds()[0]).toMatch(UUID_V4);
});

test("ids from a replaced crypto follow it byte for byte (the batch is not reused)", async () => {
  // an all-zero source gives the all-zero UUIDv4: the random bytes are the replaced crypto's own
  const prelude = `Object.defineProperty(globalThis, "crypto", { configurable: true, value: { getRandomValues: (bytes) => bytes.fill(0) } });`;
  const { json } = await child(prelude);
  expect(json).toEqual([{ ok: true }]);
  expect(sessionIds()[0]).toBe("00000000-0000-4000-8000-000000000000");
  expect(invocationIds()[0]).toBe("00000000-0000-4000-8000-000000000000");
});

test("a crypto put in place between two calls is used by the next call at once, not after the batch", async () => {
  const replace = `Object.defineProperty(globalThis, "crypto", { configurable: true, value: { getRandomValues: (bytes) => bytes.fill(0) } });`;
  const { json } = await child("", 2, replace);
  expect(json).toEqual([{ ok: true }, { ok: true }]);
  // the first call's ids came from Node's own source, the second's from the replacement
  expect(sessionIds()[0]).toMatch(UUID_V4);
  expect(sessionIds()[0]).not.toBe("00000000-0000-4000-8000-000000000000");
  expect(sessionIds()[1]).toBe("00000000-0000-4000-8000-000000000000");
  expect(invocationIds()[1]).toBe("00000000-0000-4000-8000-000000000000");
});

test("past the first batch of ids (a few dozen calls) they stay well formed and unique", async () => {
  const { json } = await child("", 40);
  expect(json).toHaveLength(40);
  const ids = [...sessionIds(), ...invocationIds()];
  expect(ids).toHaveLength(80);
  for (const id of ids) expect(id).toMatch(UUID_V4);
  expect(new Set(ids).size).toBe(80);
});
