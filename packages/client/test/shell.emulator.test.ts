/**
 * openShell against the emulator's `/ws/shells`: a real bash on a pty (exec; skipped without util-linux
 * `script`), and the scripted shell for the deterministic reconnect and replay accounting.
 */
import {
  AbortError,
  InvalidParameterError,
  openShell,
  RuntimeClient,
  WebSocketClosedError,
  type ShellReconnectOptions,
  type ShellSession,
  type WebSocketConstructorLike,
} from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { scriptInstalled } from "./helpers/script";

const hasScript = scriptInstalled("shell.emulator.test");

let n = 0;
const session = () => `shell-session-${String(++n).padStart(4, "0")}-0123456789abcdef0123`;

/** Collects a shell's output as text while the test runs. */
function collect(shell: ShellSession): { text(): string; done: Promise<unknown> } {
  let text = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of shell.output) text += decoder.decode(chunk, { stream: true });
  })().then(
    () => undefined,
    (e) => e,
  );
  return { text: () => text, done };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

(hasScript ? describe : describe.skip)("openShell: bash on a pty (emulator with exec)", () => {
  let emulator: Emulator;
  let client: RuntimeClient;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, exec: true });
    client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  test("printf output arrives on output; `exit` resolves exit with 0", async () => {
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session(), shellId: "printf-1" });
    expect(shell.shellId).toBe("printf-1");
    expect(shell.reconnected).toBe(false);
    const out = collect(shell);
    // the quotes keep the echoed command line from containing the output
    shell.write("printf 'out''put-%s\\n' 42\n");
    await until(() => out.text().includes("output-42"), "printf output");
    shell.write("exit\n");
    await expect(shell.exit).resolves.toEqual({ exitCode: 0 });
    expect(await out.done).toBeUndefined();
  });

  test("exit 3 → exit code 3; a generated shellId", async () => {
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn });
    expect(shell.shellId).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}$/);
    expect(shell.sessionId.length).toBeGreaterThanOrEqual(33);
    shell.write(new TextEncoder().encode("exit 3\n"));
    await expect(shell.exit).resolves.toEqual({ exitCode: 3 });
  });

  test("kill() ends a running sleep (0xFF): SIGKILL, 137", async () => {
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session() });
    const out = collect(shell);
    shell.write("sleep 100; echo not-kil''led\n");
    await until(() => out.text().includes("sleep 100"), "the echoed command");
    const started = Date.now();
    await expect(shell.kill()).resolves.toEqual({ exitCode: 137, signal: "SIGKILL" });
    expect(Date.now() - started).toBeLessThan(10_000);
    await out.done;
    expect(out.text()).not.toContain("not-killed");
    expect(() => shell.write("more\n")).toThrow(WebSocketClosedError);
  });

  test("the initial size and resize() reach the pty: `stty size` reports them", async () => {
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session(), cols: 101, rows: 31 });
    const out = collect(shell);
    shell.write("stty size\n");
    await until(() => out.text().includes("31 101"), "the initial size");
    shell.resize(123, 45);
    // the resize is applied asynchronously by the emulator: ask until it shows
    await until(
      () => {
        if (!out.text().includes("45 123")) shell.write("stty size\n");
        return out.text().includes("45 123");
      },
      "the new size",
    );
    expect(() => shell.resize(0, 10)).toThrow(InvalidParameterError);
    shell.write("exit 0\n");
    await shell.exit;
  });

  test("detach() leaves the shell running; reattaching with the same ids replays its output", async () => {
    const sessionId = session();
    const first = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId, shellId: "replay-1" });
    const out1 = collect(first);
    first.write("echo be''fore; sleep 1; echo whi''le-detached\n");
    await until(() => out1.text().includes("before"), "output before detaching");
    await first.detach();
    await expect(first.exit).rejects.toBeInstanceOf(AbortError);
    expect(await out1.done).toBeUndefined();
    expect(out1.text()).not.toContain("while-detached");
    await new Promise((r) => setTimeout(r, 1500));
    const second = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId, shellId: "replay-1" });
    expect(second.reconnected).toBe(true);
    const out2 = collect(second);
    await until(() => out2.text().includes("while-detached"), "output made while detached, replayed");
    expect(out2.text()).toContain("before");
    second.write("exit 4\n");
    await expect(second.exit).resolves.toEqual({ exitCode: 4 });
  });

  test("a second client attaching takes the shell over: the first ends with WebSocketClosedError 4000", async () => {
    const sessionId = session();
    const first = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId, shellId: "take-1" }, { reconnect: { baseDelayMs: 10 } });
    const out1 = collect(first);
    const second = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId, shellId: "take-1" });
    const e = await first.exit.catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    expect(e.code).toBe(4000);
    expect(await out1.done).toBeInstanceOf(WebSocketClosedError);
    const out2 = collect(second);
    second.write("echo ta''ken\n");
    await until(() => out2.text().includes("taken"), "the new client drives the shell");
    await second.kill();
  });
});

/** The emulator's fault header: this connection is cut (1006) after its second message. */
const DROP_FIRST = { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault": "drop; afterEvents=2; times=1" };

describe("openShell: reconnect and replay accounting (scripted shell)", () => {
  let emulator: Emulator;
  let client: RuntimeClient;
  afterEach(async () => {
    client?.destroy();
    await emulator?.close();
  });

  async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<void> {
    emulator = await startEmulator({ port: 0, ...options });
    client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken() });
  }

  test("a drop (1006) reconnects with the same shellId; the replayed output is delivered once", async () => {
    await start();
    // STATUS, then two output lines, then the connection is cut without a close frame
    emulator.setFaults([{ mode: "drop", afterEvents: 3, op: "shells", times: 1 }]);
    const reconnects: number[] = [];
    const shell = await openShell(
      client,
      { runtimeArn: emulator.runtimeArn, sessionId: session(), shellId: "drop-1" },
      { reconnect: { baseDelayMs: 50 }, onReconnect: ({ attempt }) => reconnects.push(attempt) },
    );
    const out = collect(shell);
    shell.write("one\n");
    await until(() => out.text() === "one\r\n", "the first line");
    shell.write("two\n");
    await until(() => reconnects.length === 1, "a reconnect");
    shell.write("three\n");
    await until(() => out.text().includes("three"), "output after the reconnect");
    expect(out.text()).toBe("one\r\ntwo\r\nthree\r\n");
    expect(shell.bytesDropped).toBe(0);
    shell.write("exit 5\n");
    await expect(shell.exit).resolves.toEqual({ exitCode: 5 });
  });

  test("a platform WebSocket without bufferedAmount (Cloudflare Workers') still sends the shell's input", async () => {
    // the shell paces its input by the socket's queue; workerd's WebSocket has no bufferedAmount (undefined), which
    // never compared below the low-water mark: the shell opened, its prompt arrived, and no input was ever sent
    await start();
    const { WebSocket: Ws } = await import("ws");
    class NoBufferedAmount extends Ws {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        Object.defineProperty(this, "bufferedAmount", { get: () => undefined });
      }
    }
    const shell = await openShell(
      client,
      { runtimeArn: emulator.runtimeArn, sessionId: session(), shellId: "no-buffered-amount" },
      { WebSocket: NoBufferedAmount as unknown as WebSocketConstructorLike, signal: AbortSignal.timeout(10_000) },
    );
    const out = collect(shell);
    shell.write("hello\n");
    await until(() => out.text() === "hello\r\n", "the echoed line", 5_000);
    shell.write("exit 4\n");
    await expect(shell.exit).resolves.toEqual({ exitCode: 4 });
  });

  test("a replay cut by the service (bytesDropped) still delivers each byte once, and reports the drop", async () => {
    await start({ shellReplayBytes: 8 });
    emulator.setFaults([{ mode: "drop", afterEvents: 3, op: "shells", times: 1 }]);
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session(), shellId: "cut-1" }, { reconnect: { baseDelayMs: 50 } });
    const out = collect(shell);
    shell.write("one\n");
    await until(() => out.text() === "one\r\n", "the first line");
    shell.write("two\n");
    // "one\r\ntwo\r\n" is 10 bytes: the reattach replays the last 8 and reports 2 dropped
    await until(() => shell.bytesDropped === 2, "bytesDropped from the reattach");
    shell.write("three\n");
    await until(() => out.text().includes("three"), "output after the reconnect");
    expect(out.text()).toBe("one\r\ntwo\r\nthree\r\n");
    await shell.kill();
  });

  /**
   * A shell whose first connection is cut after its second message, and every one from then on as soon as it is
   * confirmed; `reconnects` collects onReconnect's attempt numbers.
   */
  async function flappingShell(shellId: string, reconnect: ShellReconnectOptions): Promise<{ shell: ShellSession; reconnects: number[] }> {
    await start();
    const reconnects: number[] = [];
    const shell = await openShell(
      client,
      { runtimeArn: emulator.runtimeArn, sessionId: session(), shellId, headers: DROP_FIRST },
      { reconnect, onReconnect: ({ attempt }) => reconnects.push(attempt) },
    );
    emulator.setFaults([{ mode: "drop", afterEvents: 0, op: "shells" }]);
    void collect(shell);
    shell.write("x\n");
    return { shell, reconnects };
  }

  test("a connection that drops right after every reconnect gives up after maxAttempts, with the backoff growing (it reconnected forever)", async () => {
    const { shell, reconnects } = await flappingShell("flap-1", { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 });
    const e = await shell.exit.catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    expect(e.code).toBe(1006);
    // each reconnect was confirmed and dropped at once: the count went on instead of starting again at 1
    expect(reconnects).toEqual([1, 2, 3]);
  });

  test("a reconnected connection that stayed up minUptimeMs starts the count again", async () => {
    const { shell, reconnects } = await flappingShell("flap-2", { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, minUptimeMs: 0 });
    // minUptimeMs 0: every drop counts as a new one, so more reconnects than maxAttempts, each attempt 1
    await until(() => reconnects.length >= 4, "four reconnects");
    emulator.setFaults([]);
    await shell.kill();
    expect(new Set(reconnects)).toEqual(new Set([1]));
    await expect(openShell(client, { runtimeArn: emulator.runtimeArn }, { reconnect: { minUptimeMs: -1 } })).rejects.toMatchObject({ name: "InvalidParameterError", field: "reconnect.minUptimeMs" });
  });

  test("no reconnect after a close the protocol says not to retry (1011), or with reconnect: false", async () => {
    await start();
    emulator.setFaults([{ mode: "close", closeCode: 1011, afterEvents: 2, op: "shells", times: 1 }]);
    const shell = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session() }, { reconnect: { baseDelayMs: 10 } });
    shell.write("x\n");
    const e = await shell.exit.catch((err) => err);
    expect(e).toBeInstanceOf(WebSocketClosedError);
    expect(e.code).toBe(1011);

    emulator.setFaults([{ mode: "drop", afterEvents: 1, op: "shells", times: 1 }]);
    const noRetry = await openShell(client, { runtimeArn: emulator.runtimeArn, sessionId: session() }, { reconnect: false });
    const dropped = await noRetry.exit.catch((err) => err);
    expect(dropped.code).toBe(1006);
  });

  test("shellId and sizes are validated before anything is sent", async () => {
    await start();
    await expect(openShell(client, { runtimeArn: emulator.runtimeArn, shellId: "-bad" })).rejects.toMatchObject({ name: "InvalidParameterError", field: "shellId" });
    await expect(openShell(client, { runtimeArn: emulator.runtimeArn, shellId: "a".repeat(129) })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(openShell(client, { runtimeArn: emulator.runtimeArn, cols: 1001 })).rejects.toMatchObject({ field: "cols" });
    expect(emulator.sessionIds()).toEqual([]);
  });
});
