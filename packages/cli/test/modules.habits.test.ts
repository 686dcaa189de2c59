import { logLevel, recordLine, sdkFields, structuredLogger, toRecord, type LogRecord } from "../src/log";
import { candidateSecrets } from "../src/redact";
import { CLEAR, FRAMES, Spinner, wantSpinner } from "../src/spinner";
import { closest } from "../src/suggest";

/** Timers that run only when the test says so, recording every delay asked for. */
function manualTimers() {
  let next = 1;
  const pending = new Map<number, { fn: () => void; ms: number; repeat: boolean }>();
  const asked: number[] = [];
  return {
    asked,
    pending,
    setTimeout: (fn: () => void, ms: number) => {
      asked.push(ms);
      pending.set(next, { fn, ms, repeat: false });
      return next++;
    },
    setInterval: (fn: () => void, ms: number) => {
      asked.push(ms);
      pending.set(next, { fn, ms, repeat: true });
      return next++;
    },
    clear: (handle: unknown) => void pending.delete(handle as number),
    /** Fires every pending timer once (intervals stay armed). */
    fire() {
      for (const [id, t] of [...pending]) {
        if (!t.repeat) pending.delete(id);
        t.fn();
      }
    },
  };
}

describe("closest", () => {
  it.each([
    ["--sesion", ["--session", "--stream"], "--session"],
    ["invok", ["invoke", "exec", "stop"], "invoke"],
    ["stop-sessions", ["stop", "stop-session"], "stop-session"],
    ["--JSON", ["--json"], "--json"],
    ["--zzz", ["--json", "--arn"], undefined],
    ["x", ["exec"], undefined],
  ])("%j → %j", (input, candidates, expected) => {
    expect(closest(input, candidates)).toBe(expected);
  });

  it("never matches a long word such as a misplaced token", () => {
    expect(closest(`invoke${"a".repeat(60)}`, ["invoke"])).toBeUndefined();
  });
});

describe("candidateSecrets", () => {
  it("knows --bearer-token as well as --token, spaced or with =", () => {
    expect(candidateSecrets(["--bearer-token", "S1", "--bearer-token=S2", "--token", "S3"], { AGENTCORE_TOKEN: "S4" }).sort()).toEqual(["S1", "S2", "S3", "S4"]);
  });
});

describe("structured log records", () => {
  it("AGENTCORE_LOG picks the level, --debug means debug, anything else is reported and logs nothing", () => {
    expect(logLevel(true, undefined)).toEqual({ level: "debug" });
    expect(logLevel(false, "DEBUG")).toEqual({ level: "debug" });
    expect(logLevel(false, "warn")).toEqual({ level: "warn" });
    expect(logLevel(false, "")).toEqual({});
    expect(logLevel(false, "off")).toEqual({});
    const bad = logLevel(false, "verbose\u001b[2J");
    expect(bad.level).toBeUndefined();
    expect(bad.warning).toBe("agentcore: ignoring AGENTCORE_LOG='verbose\\x1b[2J': use debug, info, warn, error or off");
  });

  it("turns the SDK's request line into fields", () => {
    const line = 'agentcore: → InvokeCommand POST https://h/runtimes/a/invocations attempt 2 {"headers":{"Authorization":"[REDACTED]"},"payload":"hi"}';
    expect(sdkFields(line)).toEqual({
      msg: "→ InvokeCommand POST https://h/runtimes/a/invocations attempt 2",
      event: "request",
      command: "InvokeCommand",
      method: "POST",
      url: "https://h/runtimes/a/invocations",
      attempt: 2,
      headers: { Authorization: "[REDACTED]" },
      payload: "hi",
    });
  });

  it("turns response, failure, retry and stream lines into fields", () => {
    expect(sdkFields('agentcore: ← InvokeCommand 200 in 12 ms attempt 1 requestId r-1 payload "You said: \\"x\\""')).toEqual({
      msg: "← InvokeCommand 200 in 12 ms attempt 1 requestId r-1",
      event: "response",
      command: "InvokeCommand",
      statusCode: 200,
      durationMs: 12,
      attempt: 1,
      requestId: "r-1",
      payload: 'You said: "x"',
    });
    expect(sdkFields("agentcore: ✗ StopSessionCommand 404 ResourceNotFoundException in 7 ms attempt 1 requestId r-2: Session not found: s")).toMatchObject({
      event: "failure",
      statusCode: 404,
      error: "ResourceNotFoundException",
      durationMs: 7,
      requestId: "r-2",
      message: "Session not found: s",
    });
    expect(sdkFields("agentcore: ✗ InvokeCommand NetworkError in 3 ms attempt 1: connect ECONNREFUSED")).toMatchObject({ event: "failure", error: "NetworkError" });
    expect(sdkFields("agentcore: InvokeCommand attempt 1 failed with ThrottlingException; retrying in 120 ms")).toMatchObject({
      event: "retry",
      attempt: 1,
      error: "ThrottlingException",
      delayMs: 120,
    });
    expect(sdkFields("agentcore: InvokeStreamCommand stream closed 40 ms after attempt 1 was sent")).toMatchObject({ event: "stream-closed", durationMs: 40 });
    expect(sdkFields("agentcore: something new")).toEqual({ msg: "something new" });
  });

  it("objects passed to the logger become fields; level, time and msg come first", () => {
    const record = toRecord("warn", [{ requestId: "r" }, "agentcore: hello"], new Date(0));
    expect(record).toEqual({ level: "warn", time: "1970-01-01T00:00:00.000Z", msg: "hello", requestId: "r" });
    expect(Object.keys(JSON.parse(recordLine(record, (t) => t)))).toEqual(["level", "time", "msg", "requestId"]);
  });

  it("a secret is scrubbed from every string before JSON escaping, so an escaped copy cannot slip through", () => {
    const secret = 'tok"en\\with-quotes';
    const line = recordLine({ level: "debug", time: "t", msg: `sent ${secret}`, nested: { value: secret } } as LogRecord, (t) => t.split(secret).join("[REDACTED]"));
    expect(JSON.parse(line)).toEqual({ level: "debug", time: "t", msg: "sent [REDACTED]", nested: { value: "[REDACTED]" } });
  });

  it("quieter levels are methods that do nothing, so the SDK does not send them to error instead", () => {
    const records: LogRecord[] = [];
    const logger = structuredLogger("warn", (r) => records.push(r));
    for (const level of ["debug", "info", "warn", "error"] as const) expect(typeof logger[level]).toBe("function");
    logger.info!("agentcore: ← InvokeCommand 200 in 1 ms attempt 1");
    logger.warn!("agentcore: careful");
    expect(records.map((r) => [r.level, r.msg])).toEqual([["warn", "careful"]]);
  });
});

describe("spinner", () => {
  const fakeTty = () => {
    const writes: string[] = [];
    return { isTTY: true, writes, write: (chunk: string) => writes.push(chunk) };
  };

  it("only on a terminal, and not with NO_COLOR, TERM=dumb or logging", () => {
    expect(wantSpinner({ isTTY: true, write: () => true }, {}, false)).toBe(true);
    expect(wantSpinner({ isTTY: false, write: () => true }, {}, false)).toBe(false);
    expect(wantSpinner({ write: () => true }, {}, false)).toBe(false);
    expect(wantSpinner({ isTTY: true, write: () => true }, { NO_COLOR: "1" }, false)).toBe(false);
    expect(wantSpinner({ isTTY: true, write: () => true }, { NO_COLOR: "" }, false)).toBe(true);
    expect(wantSpinner({ isTTY: true, write: () => true }, { TERM: "dumb" }, false)).toBe(false);
    expect(wantSpinner({ isTTY: true, write: () => true }, {}, true)).toBe(false);
  });

  it("draws frames in place after its delay and erases its line on stop", () => {
    const tty = fakeTty();
    const timers = manualTimers();
    const spinner = new Spinner(tty, { timers, delayMs: 250, intervalMs: 100 });
    spinner.start();
    expect(tty.writes).toEqual([]);
    timers.fire(); // the delay: first frame, then the interval is armed
    timers.fire();
    timers.fire();
    expect(tty.writes).toEqual([`\r${FRAMES[0]} waiting for the agent…`, `\r${FRAMES[1]} waiting for the agent…`, `\r${FRAMES[2]} waiting for the agent…`]);
    spinner.stop();
    expect(tty.writes.at(-1)).toBe(CLEAR);
    expect(timers.pending.size).toBe(0);
    spinner.stop();
    expect(tty.writes.filter((w) => w === CLEAR)).toHaveLength(1);
  });

  it("a reply before the delay: nothing drawn, nothing to erase", () => {
    const tty = fakeTty();
    const timers = manualTimers();
    const spinner = new Spinner(tty, { timers });
    spinner.start();
    spinner.stop();
    timers.fire();
    expect(tty.writes).toEqual([]);
  });
});

describe("help", () => {
  it("names the aliases, the log variable and the timeout rule", () => {
    const { helpText } = require("../src/help") as typeof import("../src/help");
    const main = helpText();
    for (const text of ["-s, --session-id, --session ID", "--bearer-token", "-H, --header", "stop-session", "AGENTCORE_LOG=debug|info|warn|error", "NO_COLOR", "2^31 ms and more wait that long", "1-100"]) {
      expect(main).toContain(text);
    }
    expect(helpText("stop")).toContain("agentcore stop-session --session-id ID");
  });
});
