/**
 * What a review that used the CLI as a hostile user found, each reproduced first: `ws` and `shell` waited for ever
 * on an upgrade the server never answered (`--timeout-ms` too); `ws` closed the connection before the reply to
 * its last line when the previous reply was older than its quiet wait; its 200-a-second pace counted calendar
 * seconds, so 400 lines could go out within one; `exec` ran on after stderr's reader left; SIGHUP was not
 * handled (a shell left the terminal raw); `-s=ID` set the session id to "=ID".
 */
import net from "node:net";
import { WebSocketServer } from "ws";
import { startEmulator, type Emulator, type WebSocketConnection } from "@agentcore-runtime/emulator";
import { cli, envFor, requireBuild, start, waitFor } from "./helpers";

jest.setTimeout(60_000);

const SESSION = "cli-review-session-0123456789-0123456789";

describe("an upgrade the server never answers", () => {
  let server: net.Server;
  let env: NodeJS.ProcessEnv;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    requireBuild();
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    env = { PATH: process.env.PATH, AGENT_ARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij", AGENTCORE_TOKEN: "t0k3n-value-for-tests", BEDROCK_AGENTCORE_DP_ENDPOINT: url };
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  test.each([["ws"], ["shell"]])("%s --timeout-ms 500 fails with a connection timeout (it waited for ever)", async (command) => {
    const r = await cli(["--timeout-ms", "500", command], { env, stdin: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ConnectionTimeoutError|did not complete within 500 ms/);
    expect(r.elapsed).toBeLessThan(10_000);
  });
});

describe("ws against an agent", () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    requireBuild();
    // replies 300 ms after each message
    emulator = await startEmulator({
      port: 0,
      websocket: async (connection: WebSocketConnection) => {
        for await (const message of connection) {
          if (message.type !== "text") continue;
          const text = message.data;
          setTimeout(() => void connection.send(`reply to ${text}`), 300);
        }
      },
    });
    env = envFor(emulator, await emulator.issueToken());
  });
  afterAll(() => emulator.close());

  test("the reply to the last line arrives when the reply before it is older than the quiet wait (it was lost, exit 0)", async () => {
    const run = start(["--session", SESSION, "ws"], { env, keepStdinOpen: true });
    run.child.stdin.write("one\n");
    await waitFor(() => run.stdout().includes("reply to one"), 10_000);
    await new Promise((r) => setTimeout(r, 2500));
    run.child.stdin.end("two\n");
    const r = await run.done;
    expect(r.stdout).toBe("reply to one\nreply to two\n");
    expect(r.code).toBe(0);
  });

  test("no second holds more than 200 lines, across calendar seconds (400 went out within one)", async () => {
    // a bare WebSocket server: arrival times as the socket reads them, with no agent's queue in between
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((r) => wss.once("listening", () => r()));
    const arrivals: number[] = [];
    wss.on("connection", (socket) => socket.on("message", () => arrivals.push(performance.now())));
    const bare = { ...env, BEDROCK_AGENTCORE_DP_ENDPOINT: `http://127.0.0.1:${(wss.address() as net.AddressInfo).port}` };
    const run = start(["--session", SESSION, "ws", "--idle-timeout-ms", "300"], { env: bare, keepStdinOpen: true });
    run.child.stdin.write("first\n");
    await waitFor(() => arrivals.length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 800));
    run.child.stdin.end(`${Array.from({ length: 400 }, (_, i) => String(i + 1)).join("\n")}\n`);
    const r = await run.done;
    for (const socket of wss.clients) socket.terminate();
    await new Promise((r) => wss.close(r));
    expect(r.code).toBe(0);
    expect(arrivals).toHaveLength(401);
    // the most lines that arrived within 950 ms (the CLI keeps 1,000 ms between a line and the 200th after it;
    // 50 ms absorbs the server reading a burst a few ms late); the old pace let ~400 arrive within 200 ms
    let most = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i] - arrivals[j] >= 950) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(200);
  });
});

describe("signals, pipes and options", () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    requireBuild();
    emulator = await startEmulator({ port: 0, exec: true });
    env = envFor(emulator, await emulator.issueToken());
  });
  afterAll(() => emulator.close());

  test("exec stops when stderr's reader goes away: 141 (it ran the command to its end, exit 0)", async () => {
    const run = start(["--session", SESSION, "exec", "for i in $(seq 1 100); do echo $i >&2; sleep 0.1; done"], { env });
    await waitFor(() => run.stderr().length > 0, 15_000);
    const at = Date.now();
    run.child.stderr.destroy();
    const r = await run.done;
    expect(r.code).toBe(141);
    expect(Date.now() - at).toBeLessThan(5000);
  });

  test("SIGHUP (the terminal went away) ends a call with 129", async () => {
    const session = `${SESSION}-hup`;
    const run = start(["--session", session, "exec", "sleep 30"], { env });
    await waitFor(() => emulator.requests.some((q) => q.op === "commands" && q.sessionId === session && q.status === 200), 15_000);
    const at = Date.now();
    run.child.kill("SIGHUP");
    const r = await run.done;
    expect(r.code).toBe(129);
    expect(Date.now() - at).toBeLessThan(3000);
  });

  test("-s=ID and -sID both mean ID (the first set the session id to '=ID')", async () => {
    for (const option of [`-s=${SESSION}`, `-s${SESSION}`]) {
      const r = await cli([option, "--json", "invoke", "{}"], { env });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).sessionId).toBe(SESSION);
    }
  });
});
