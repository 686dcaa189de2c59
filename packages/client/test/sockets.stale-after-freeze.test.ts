/**
 * A serverless function frozen between invocations: while it is stopped, the server closes its idle keep-alive
 * connection (a FIN: scale-in, a deploy, an idle timeout without a Keep-Alive hint). When it thaws, the FIN and
 * the next invocation arrive together; Node's agent handed the half-closed socket to the new request, which
 * failed with "socket hang up" although the server never saw it: an invoke configured not to be retried on
 * connection errors (RETRIES.md's advice for an agent that must not run twice) and every command failed. The
 * client now takes such sockets out of the pool before each request.
 *
 * The "function" is a child process stopped with SIGSTOP; its next invocation (a line on stdin) is queued before
 * SIGCONT, as a function runtime's next event is. Against a real server on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type net from "node:net";
import { REPO_ROOT } from "./helpers/child";

jest.setTimeout(30_000);

const CHILD = `
const readline = require("node:readline");
const { RuntimeClient, InvokeCommand } = require("./packages/client/dist/index.js");
const client = new RuntimeClient({ token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0aGF3In0.c2ln", endpoint: process.env.ENDPOINT, retry: { invoke: { connection: false } } });
const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij";
readline.createInterface({ input: process.stdin }).on("line", async () => {
  try {
    const out = await client.send(new InvokeCommand({ runtimeArn: arn, payload: { prompt: "hi" } }));
    console.log(JSON.stringify({ ok: true, attempts: out.$metadata.attempts }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, name: e.name, message: e.message, attempts: e.$metadata && e.$metadata.attempts }));
  }
});
console.log(JSON.stringify({ ready: true }));
`;

test("after a freeze during which the server closed the idle connection, the next call opens a new one and succeeds first time", async () => {
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
  });
  // it announces a long keep-alive: the client's own idle timer (5 s) would not close the socket before the freeze
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const child = spawn(process.execPath, ["-e", CHILD], { cwd: REPO_ROOT, env: { ...process.env, ENDPOINT: endpoint }, stdio: ["pipe", "pipe", "inherit"] });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
    }
  });
  const line = async (n: number) => {
    const end = Date.now() + 15_000;
    while (lines.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return lines[n - 1];
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    expect(await line(1)).toEqual({ ready: true });
    child.stdin.write("go\n");
    expect(await line(2)).toEqual({ ok: true, attempts: 1 });
    await sleep(100);
    process.kill(child.pid!, "SIGSTOP");
    await sleep(300);
    server.closeIdleConnections(); // the FIN reaches a process that cannot run
    await sleep(700);
    const before = received;
    child.stdin.write("go\n"); // the next invocation waits for the thaw
    process.kill(child.pid!, "SIGCONT");
    expect(await line(3)).toEqual({ ok: true, attempts: 1 });
    expect(received - before).toBe(1);
  } finally {
    child.kill("SIGKILL");
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
