import { execFileSync } from "node:child_process";
import { join } from "node:path";

const dist = join(__dirname, "../dist");

/**
 * Runs in a fresh Node process: counts sockets, agents and timers created while the built package is
 * loaded and a client constructed (and middleware added), then prints what it saw.
 */
const probe = (loader: string) => `
const http = require("node:http");
const https = require("node:https");
const net = require("node:net");
const seen = { connects: 0, agents: 0 };
const origConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...a) { seen.connects++; return origConnect.apply(this, a); };
for (const mod of [http, https]) {
  mod.Agent = new Proxy(mod.Agent, { construct(t, a, n) { seen.agents++; return Reflect.construct(t, a, n); } });
}
// Node's own http2 module (loaded by the handler package) opens the stderr pipe handle at load: stdio, not I/O we start
const live = () => process.getActiveResourcesInfo().filter((r) => !/^(PipeWrap|TTYWrap|CloseReq|FSReq)/.test(r)).sort();
const before = live();
(async () => {
  const m = ${loader};
  const client = new m.RuntimeClient({ token: "t", region: "us-east-1", logger: console });
  client.middlewareStack.add((next) => (args) => next(args), { step: "build", name: "probe" });
  new m.InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1", payload: {} });
  const after = live();
  console.log(JSON.stringify({ ...seen, before, after, keys: Object.keys(m).length }));
})();
`;

test.each([
  ["CommonJS require", `require(${JSON.stringify(join(dist, "index.js"))})`],
  ["ESM import", `await import(${JSON.stringify("file://" + join(dist, "index.mjs"))})`],
])("%s: loading the package and constructing a client opens no socket, agent or timer", (_label, loader) => {
  const out = JSON.parse(execFileSync(process.execPath, ["-e", probe(loader)], { encoding: "utf8" }).trim());
  expect(out.keys).toBeGreaterThan(10); // the package really loaded
  expect(out.connects).toBe(0);
  expect(out.agents).toBe(0);
  expect(out.after).toEqual(out.before);
  expect(out.after).not.toContain("Timeout");
});
