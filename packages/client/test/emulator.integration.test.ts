import {
  AccessDeniedException,
  AgentRuntimeError,
  ExecuteCommandCommand,
  ExecuteCommandStreamCommand,
  InvokeCommand,
  InvokeStreamCommand,
  ResourceNotFoundException,
  RuntimeClient,
  RuntimeClientError,
  StopSessionCommand,
  ThrottlingException,
  UnauthorizedException,
  type CommandEvent,
  type SseEvent,
} from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";

// The SDK against the emulator's real HTTP server: auth, sessions and every fault mode the client must survive.
let emulator: Emulator;
let client: RuntimeClient;
let runtimeArn: string;
let n = 0;
const session = () => `integration-session-${String(++n).padStart(4, "0")}-0123456789abcdef`;
const fault = (spec: string) => ({ "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault": spec });
const attemptsFor = (sessionId: string) => emulator.requests.filter((r) => r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] === sessionId).length;

async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error?: AgentRuntimeError }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (e) {
    return { items, error: e as AgentRuntimeError };
  }
  return { items };
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  runtimeArn = emulator.runtimeArn;
  client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken(), retryStrategy: undefined });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});

describe("auth", () => {
  test("no token → UnauthorizedException; another client's token → AccessDeniedException; an expired one → 401", async () => {
    const anonymous = new RuntimeClient({ endpoint: emulator.url });
    expect(UnauthorizedException.isInstance(await anonymous.send(new InvokeCommand({ runtimeArn, payload: {} })).catch((e) => e))).toBe(true);
    const stranger = await emulator.issueToken({ client_id: "someone-else" });
    const denied = await client.send(new InvokeCommand({ runtimeArn, payload: {}, bearerToken: stranger })).catch((e) => e);
    expect(AccessDeniedException.isInstance(denied)).toBe(true);
    const expired = await emulator.issueToken({}, { expiresIn: -60 });
    expect((await client.send(new InvokeCommand({ runtimeArn, payload: {}, bearerToken: expired })).catch((e) => e)).statusCode).toBe(401);
    anonymous.destroy();
  });

  test("a token provider is asked again after a 401 and the call succeeds", async () => {
    const good = await emulator.issueToken();
    const calls: boolean[] = [];
    const provider = async ({ forceRefresh }: { forceRefresh: boolean }) => {
      calls.push(forceRefresh);
      return forceRefresh ? good : "expired.token.value";
    };
    const local = new RuntimeClient({ endpoint: emulator.url, token: provider });
    const out = await local.send(new InvokeCommand({ runtimeArn, payload: { prompt: "again" }, accept: "application/json" }));
    expect(out.json).toMatchObject({ response: "You said: again" });
    expect(calls).toEqual([false, true]);
    local.destroy();
  });
});

describe("retries against injected faults", () => {
  test.each(["throttle", "conflict", "503", "502-html", "504"])("%s once, then success: invoke retried with the same session", async (mode) => {
    const sessionId = session();
    const out = await client.send(new InvokeCommand({ runtimeArn, sessionId, payload: { prompt: "hi" }, headers: fault(`${mode}; times=1`) }));
    expect(out.sessionId).toBe(sessionId);
    expect(out.$metadata.attempts).toBe(2);
    expect(attemptsFor(sessionId)).toBe(2);
  });

  test("throttled on every attempt: ThrottlingException after maxAttempts with the Retry-After honoured", async () => {
    const sessionId = session();
    const error = await client.send(new InvokeCommand({ runtimeArn, sessionId, payload: {}, headers: fault("throttle; retryAfter=0") })).catch((e) => e);
    expect(ThrottlingException.isInstance(error)).toBe(true);
    expect(error.$metadata.attempts).toBe(3);
    expect(attemptsFor(sessionId)).toBe(3);
  });

  test("a cold start (424) is not retried for invoke but is for stop", async () => {
    const sessionId = session();
    const error = await client.send(new InvokeCommand({ runtimeArn, sessionId, payload: {}, headers: fault("coldstart; times=1; delayMs=1") })).catch((e) => e);
    expect(RuntimeClientError.isInstance(error)).toBe(true);
    expect(attemptsFor(sessionId)).toBe(1);
    await client.send(new InvokeCommand({ runtimeArn, sessionId, payload: {} }));
    const stopped = await client.send(new StopSessionCommand({ runtimeArn, sessionId, headers: fault("coldstart; times=1; delayMs=1") }));
    expect(stopped.$metadata.attempts).toBe(2);
  });

  test("a 500 is not retried for commands (the command may have started)", async () => {
    const sessionId = session();
    const error = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "echo x", headers: fault("500; times=1") })).catch((e) => e);
    expect(error.statusCode).toBe(500);
    expect(attemptsFor(sessionId)).toBe(1);
  });

  test("a reset before any response byte is retried for invoke", async () => {
    const sessionId = session();
    const out = await client.send(new InvokeCommand({ runtimeArn, sessionId, payload: { prompt: "after reset" }, headers: fault("reset; times=1") }));
    expect(out.text).toContain("after reset");
    expect(out.$metadata.attempts).toBe(2);
  });
});

describe("broken streams surface as errors after what arrived", () => {
  test("SSE dropped mid-stream: the events before the drop, then an error; never retried", async () => {
    const sessionId = session();
    const out = await client.send(new InvokeStreamCommand({ runtimeArn, sessionId, payload: { prompt: "one two three four five" }, headers: fault("drop; afterEvents=2") }));
    const { items, error } = await drain<SseEvent>(out.stream);
    expect(items.map((e) => e.text)).toEqual(["You ", "said: "]);
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(attemptsFor(sessionId)).toBe(1);
  });

  test("SSE stalled: IdleTimeoutError after the events that arrived", async () => {
    const out = await client.send(
      new InvokeStreamCommand({ runtimeArn, sessionId: session(), payload: { prompt: "a b c" }, headers: fault("stall; afterEvents=1") }),
      { idleTimeout: 200, requestTimeout: 10_000 },
    );
    const { items, error } = await drain<SseEvent>(out.stream);
    expect(items).toHaveLength(1);
    expect(error?.name).toBe("IdleTimeoutError");
  });

  test("SSE dripped in 1–7 byte writes decodes exactly", async () => {
    const prompt = "héllo ☃ wörld 😀 with multi-byte characters";
    const out = await client.send(new InvokeCommand({ runtimeArn, sessionId: session(), payload: { prompt }, accept: "text/event-stream", headers: fault("drip; delayMs=0") }));
    expect(out.text).toBe(`You said: ${prompt}`);
  });

  test("the agent's in-band error is raised after its tokens", async () => {
    const out = await client.send(new InvokeStreamCommand({ runtimeArn, sessionId: session(), payload: { prompt: "fail" } }));
    const { items, error } = await drain<SseEvent>(out.stream);
    expect(items.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ name: "ValueError", errorType: "ValueError" });
  });

  test("a corrupted frame CRC is an EventStreamFramingError carrying the partial output (blocking)", async () => {
    const error = await client
      .send(new ExecuteCommandCommand({ runtimeArn, sessionId: session(), command: "echo first; echo second; echo third", headers: fault("corrupt-crc; afterEvents=2") }))
      .catch((e) => e);
    expect(error.name).toBe("EventStreamFramingError");
    expect(error.stdout).toBe("first\n");
  });

  test("an exception frame mid-command raises the matching class after the events", async () => {
    const out = await client.send(
      new ExecuteCommandStreamCommand({ runtimeArn, sessionId: session(), command: "echo a; echo b", headers: fault("exception; afterEvents=2; type=throttlingException; message=Rate exceeded") }),
    );
    const { items, error } = await drain<CommandEvent>(out.stream);
    expect(items).toEqual([{ contentStart: {} }, { contentDelta: { stdout: "a\n" } }]);
    expect(ThrottlingException.isInstance(error)).toBe(true);
    expect(error!.message).toBe("Rate exceeded");
  });

  test("a command stream cut before contentStop is a TruncatedStreamError or a network error, never a success", async () => {
    const error = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId: session(), command: "echo a; echo b; echo c", headers: fault("drop; afterEvents=2") })).catch((e) => e);
    expect(AgentRuntimeError.isInstance(error)).toBe(true);
    expect(error.stdout).toBe("a\n");
  });
});

describe("sessions", () => {
  test("stop ends a running stream: the reader sees an error, and the session is gone", async () => {
    const sessionId = session();
    const out = await client.send(new InvokeStreamCommand({ runtimeArn, sessionId, payload: { prompt: "w ".repeat(200), delayMs: 20 } }));
    const iterator = out.stream[Symbol.asyncIterator]();
    await iterator.next();
    await client.send(new StopSessionCommand({ runtimeArn, sessionId }));
    const rest = await (async () => {
      for (;;) {
        const r = await iterator.next();
        if (r.done) return "ended";
      }
    })().catch((e) => e);
    expect(AgentRuntimeError.isInstance(rest)).toBe(true);
    const again = await client.send(new StopSessionCommand({ runtimeArn, sessionId })).catch((e) => e);
    expect(ResourceNotFoundException.isInstance(again)).toBe(true);
  });

  test("the runtime-id + accountId form reaches the same runtime", async () => {
    const local = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken(), region: emulator.region });
    const out = await local.send(new InvokeCommand({ runtimeArn: emulator.runtimeId, accountId: emulator.accountId, payload: { prompt: "by id" }, accept: "application/json" }));
    expect(out.json).toMatchObject({ response: "You said: by id" });
    local.destroy();
  });
});
