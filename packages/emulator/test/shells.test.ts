import { startEmulator, type Emulator } from "../src";
import { sessionId } from "./helpers";
import { Client, SESSION_HEADER, refusal, until, wsBase } from "./wsHelpers";
import { scriptInstalled } from "../../client/test/helpers/script";

const STDIN = 0x00;
const STDOUT = 0x01;
const RESIZE = 0x04;
const HEARTBEAT = 0x05;
const CLOSE = 0xff;

const hasScript = scriptInstalled("shells.test");

function shellUrl(emu: Emulator, shellId: string): string {
  return `${wsBase(emu)}/ws/shells?shellId=${shellId}`;
}

(hasScript ? describe : describe.skip)("interactive shells with exec (bash on a pty)", () => {
  let emu: Emulator;
  let token: string;
  beforeAll(async () => {
    emu = await startEmulator({ exec: true });
    token = await emu.issueToken();
  });
  afterAll(() => emu.close());
  const open = (shellId: string, session: string) => Client.open(shellUrl(emu, shellId), { token, headers: { [SESSION_HEADER]: session } });

  it("answers with the session and shell id headers, STATUS first, then runs printf", async () => {
    const session = sessionId("sh-printf");
    const client = await open("printf-1", session);
    expect(client.headers["x-amzn-bedrock-agentcore-runtime-session-id"]).toBe(session);
    expect(client.headers["x-amzn-bedrock-agentcore-shell-id"]).toBe("printf-1");
    await until(() => client.messages.length > 0, "the first frame");
    expect(client.messages[0]!.data[0]).toBe(0x03);
    expect(client.statuses()[0]).toEqual({ kind: "Status", apiVersion: "v1", metadata: { shellId: "printf-1", reconnected: false }, status: "Success" });
    // The quotes keep the echoed command line from containing the output.
    client.sendFrame(STDIN, "printf 'out''put-%s\\n' 42\n");
    await until(() => client.channel(STDOUT).includes("output-42"), "printf output");
    client.sendFrame(STDIN, "pwd\n");
    await until(() => /agentcore-emulator-session-/.test(client.channel(STDOUT)), "the session folder as cwd");
    client.sendFrame(STDIN, "exit\n");
    expect((await client.closed).code).toBe(1000);
    expect(client.statuses().at(-1)).toEqual({ kind: "Status", apiVersion: "v1", metadata: { shellId: "printf-1" }, status: "Success" });
  });

  it("exit 3 → STATUS Failure NonZeroExitCode with ExitCode 3, then close 1000", async () => {
    const client = await open("exit-3", sessionId("sh-exit"));
    client.sendFrame(STDIN, "exit 3\n");
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(client.statuses().at(-1)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: { shellId: "exit-3" },
      status: "Failure",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
  });

  it("0xFF kills a running `sleep 100`: 0xFF echoed, then close 1000", async () => {
    const session = sessionId("sh-kill");
    const client = await open("kill-1", session);
    client.sendFrame(STDIN, "sleep 100; echo not-killed\n");
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    client.sendFrame(CLOSE);
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(client.messages.some((m) => m.binary && m.data.length === 1 && m.data[0] === CLOSE)).toBe(true);
    // The shell is gone: the same id starts a fresh one (not a reconnect).
    const again = await open("kill-1", session);
    await until(() => again.statuses().length > 0, "STATUS");
    expect(again.statuses()[0].metadata.reconnected).toBe(false);
    again.sendFrame(CLOSE);
    await again.closed;
  });

  it("RESIZE is applied to the pty: `stty size` reports it", async () => {
    const client = await open("resize-1", sessionId("sh-resize"));
    client.sendFrame(RESIZE, JSON.stringify({ width: 123, height: 45 }));
    await new Promise((r) => setTimeout(r, 200));
    client.sendFrame(STDIN, "stty size\n");
    await until(() => client.channel(STDOUT).includes("45 123"), "stty size after resize");
    client.sendFrame(RESIZE, JSON.stringify({ width: 0, height: 45 }));
    await until(() => client.channel(0x02).includes("RESIZE"), "a diagnostic for a bad size");
    client.sendFrame(CLOSE);
    await client.closed;
  });

  it("echoes a heartbeat", async () => {
    const client = await open("beat-1", sessionId("sh-beat"));
    client.sendFrame(HEARTBEAT, "tick");
    await until(() => client.messages.some((m) => m.data[0] === HEARTBEAT), "the heartbeat echo");
    expect(client.messages.find((m) => m.data[0] === HEARTBEAT)!.data.subarray(1).toString()).toBe("tick");
    client.sendFrame(CLOSE);
    await client.closed;
  });

  it("a detached shell keeps running; reattaching replays its output with reconnected: true", async () => {
    const session = sessionId("sh-replay");
    const first = await open("replay-1", session);
    first.sendFrame(STDIN, "echo be''fore; sleep 0.5; echo whi''le-detached\n");
    await until(() => first.channel(STDOUT).includes("before"), "output before detaching");
    first.ws.close();
    await first.closed;
    await new Promise((r) => setTimeout(r, 1000));
    const second = await open("replay-1", session);
    await until(() => second.channel(STDOUT).includes("while-detached"), "replayed output");
    expect(second.statuses()[0]).toEqual({ kind: "Status", apiVersion: "v1", metadata: { shellId: "replay-1", reconnected: true }, status: "Success" });
    expect(second.channel(STDOUT)).toContain("before");
    second.sendFrame(CLOSE);
    await second.closed;
  });

  it("a second client attaching to the same shellId closes the first with 4000", async () => {
    const session = sessionId("sh-takeover");
    const first = await open("take-1", session);
    await until(() => first.statuses().length > 0, "STATUS");
    const second = await open("take-1", session);
    expect((await first.closed).code).toBe(4000);
    second.sendFrame(STDIN, "echo ta''ken\n");
    await until(() => second.channel(STDOUT).includes("taken"), "the new client drives the shell");
    second.sendFrame(CLOSE);
    await second.closed;
  });

  it("at most 10 shells per session, detached ones included: the 11th upgrade gets 424 RuntimeClientError", async () => {
    const session = sessionId("sh-cap");
    const clients: Client[] = [];
    for (let i = 0; i < 10; i++) clients.push(await open(`cap-${i}`, session));
    // Detach half of them: they still count.
    for (const c of clients.slice(0, 5)) {
      c.ws.close();
      await c.closed;
    }
    const r = await refusal(shellUrl(emu, "cap-10"), { headers: { Authorization: `Bearer ${token}`, [SESSION_HEADER]: session } });
    expect(r.status).toBe(424);
    expect(r.headers["x-amzn-errortype"]).toMatch(/^RuntimeClientError:/);
    // An existing shell can still be reattached; another session has its own 10.
    const back = await open("cap-0", session);
    await until(() => back.statuses().length > 0, "STATUS");
    expect(back.statuses()[0].metadata.reconnected).toBe(true);
    const elsewhere = await open("cap-10", sessionId("sh-cap-other"));
    elsewhere.sendFrame(CLOSE);
    await elsewhere.closed;
    // Ending one makes room.
    back.sendFrame(CLOSE);
    await back.closed;
    const eleventh = await open("cap-10", session);
    eleventh.sendFrame(CLOSE);
    await eleventh.closed;
    for (const c of clients.slice(5)) {
      c.sendFrame(CLOSE);
      await c.closed;
    }
  });

  it("text frames are ignored; five in a row close with 1003", async () => {
    const client = await open("text-1", sessionId("sh-text"));
    for (let i = 0; i < 4; i++) client.ws.send("ignored");
    client.sendFrame(STDIN, "echo st''ill-open\n");
    await until(() => client.channel(STDOUT).includes("still-open"), "the shell after 4 text frames");
    for (let i = 0; i < 5; i++) client.ws.send("ignored");
    expect((await client.closed).code).toBe(1003);
  });

  it("400 for a bad shellId or none", async () => {
    for (const target of [shellUrl(emu, "-bad"), shellUrl(emu, "a".repeat(129)), `${wsBase(emu)}/ws/shells`]) {
      const r = await refusal(target, { headers: { Authorization: `Bearer ${token}` } });
      expect(r.status).toBe(400);
      expect(r.body.fieldList[0].name).toBe("shellId");
    }
  });

  it("stopping the session ends its shells (attached and detached) and closes the client", async () => {
    const session = sessionId("sh-stop");
    const attached = await open("stop-a", session);
    const detached = await open("stop-d", session);
    detached.sendFrame(STDIN, "sleep 100\n");
    detached.ws.close();
    await detached.closed;
    const stop = await fetch(`${emu.url}/runtimes/${encodeURIComponent(emu.runtimeArn)}/stopruntimesession`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, [SESSION_HEADER]: session },
    });
    expect(stop.status).toBe(200);
    expect((await attached.closed).code).toBe(1000);
    // A new session under the same id has no shells: the id starts afresh.
    const fresh = await open("stop-d", session);
    await until(() => fresh.statuses().length > 0, "STATUS");
    expect(fresh.statuses()[0].metadata.reconnected).toBe(false);
    fresh.sendFrame(CLOSE);
    await fresh.closed;
  });

  it("close() of the emulator ends running shells within its 2 s budget", async () => {
    const own = await startEmulator({ exec: true });
    const t = await own.issueToken();
    const clients = [];
    for (let i = 0; i < 3; i++) {
      const c = await Client.open(shellUrl(own, `busy-${i}`), { token: t, headers: { [SESSION_HEADER]: sessionId("sh-close") } });
      c.sendFrame(STDIN, "sleep 100\n");
      clients.push(c);
    }
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(2500);
    for (const c of clients) expect((await c.closed).code).toBe(1001);
  });
});

describe("scripted shells (no exec)", () => {
  it("speak the protocol: echo stdin lines, stty size after RESIZE, `exit N` ends with N", async () => {
    const emu = await startEmulator();
    try {
      const client = await Client.open(shellUrl(emu, "scripted"), { token: await emu.issueToken(), headers: { [SESSION_HEADER]: sessionId("scripted") } });
      await until(() => client.statuses().length === 1, "STATUS");
      expect(client.statuses()[0].status).toBe("Success");
      client.sendFrame(STDIN, "hello shell\n");
      await until(() => client.channel(STDOUT) === "hello shell\r\n", "the echoed line");
      client.sendFrame(RESIZE, JSON.stringify({ width: 100, height: 30 }));
      client.sendFrame(STDIN, "stty size\r");
      await until(() => client.channel(STDOUT).endsWith("30 100\r\n"), "stty size");
      client.sendFrame(HEARTBEAT, "x");
      await until(() => client.messages.some((m) => m.data[0] === HEARTBEAT), "heartbeat");
      client.sendFrame(STDIN, "exit 7\n");
      expect((await client.closed).code).toBe(1000);
      expect(client.statuses().at(-1)).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "7" }] } });
    } finally {
      await emu.close();
    }
  });

  it("replay on reconnect is cut to shellReplayBytes, with bytesDropped", async () => {
    const emu = await startEmulator({ shellReplayBytes: 10 });
    try {
      const token = await emu.issueToken();
      const session = sessionId("scripted-replay");
      const first = await Client.open(shellUrl(emu, "r"), { token, headers: { [SESSION_HEADER]: session } });
      first.sendFrame(STDIN, "abcdefghijklmnop\n");
      await until(() => first.channel(STDOUT).length === 18, "the line");
      first.ws.close();
      await first.closed;
      const second = await Client.open(shellUrl(emu, "r"), { token, headers: { [SESSION_HEADER]: session } });
      await until(() => second.channel(STDOUT).length === 10, "the replay");
      // "abcdefghijklmnop\r\n" is 18 bytes: the last 10 are replayed, 8 dropped.
      expect(second.channel(STDOUT)).toBe("ijklmnop\r\n");
      expect(second.statuses()[0].metadata).toEqual({ shellId: "r", reconnected: true, bytesDropped: 8 });
      second.sendFrame(CLOSE);
      await second.closed;
    } finally {
      await emu.close();
    }
  });
});
