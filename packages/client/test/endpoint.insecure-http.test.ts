import { InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import type { HttpHandler, HttpRequest } from "@smithy/protocol-http";

// Plain http to a host other than loopback (an emulator in another docker-compose container) is refused unless
// the client opts out with allowInsecureHttp; the opt-out warns once per client through its logger.

const ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-abcdefghij";

/** Records requests instead of sending them: a non-loopback host cannot be reached from a test. */
function recorder() {
  const seen: HttpRequest[] = [];
  const handler = {
    handle: async (request: HttpRequest) => {
      seen.push(request);
      return { response: { statusCode: 200, headers: { "content-type": "application/json" }, body: "{}" } };
    },
  } as unknown as HttpHandler;
  return { seen, handler };
}

function logger() {
  const lines: Record<"debug" | "info" | "warn" | "error", string[]> = { debug: [], info: [], warn: [], error: [] };
  return {
    lines,
    logger: {
      debug: (...a: unknown[]) => lines.debug.push(a.map(String).join(" ")),
      info: (...a: unknown[]) => lines.info.push(a.map(String).join(" ")),
      warn: (...a: unknown[]) => lines.warn.push(a.map(String).join(" ")),
      error: (...a: unknown[]) => lines.error.push(a.map(String).join(" ")),
    },
  };
}

test("by default a bearer token is never sent over http to a non-loopback host", async () => {
  const { seen, handler } = recorder();
  const client = new RuntimeClient({ endpoint: "http://emulator:8080", requestHandler: handler, token: "secret-token" });
  const error = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e);
  expect(error).toMatchObject({ name: "InsecureEndpointError" });
  expect(error.message).toContain("allowInsecureHttp");
  expect(seen).toHaveLength(0);
  // refused before its first attempt: nothing went out
  expect(error.$metadata).toMatchObject({ attempts: 0, totalRetryDelay: 0 });
});

test("the check follows the host each request goes to, call after call (a middleware may change it)", async () => {
  const { seen, handler } = recorder();
  const client = new RuntimeClient({ endpoint: "http://127.0.0.1:8080", requestHandler: handler, token: "secret-token" });
  let host = "127.0.0.1";
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as HttpRequest).hostname = host;
      return next(args);
    },
    { step: "build" },
  );
  const send = () => client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).then(() => "sent", (e) => e.name);
  const results = [await send()];
  host = "emulator";
  results.push(await send(), await send());
  host = "localhost";
  results.push(await send());
  host = "emulator";
  results.push(await send());
  expect(results).toEqual(["sent", "InsecureEndpointError", "InsecureEndpointError", "sent", "InsecureEndpointError"]);
  expect(seen.map((r) => r.hostname)).toEqual(["127.0.0.1", "localhost"]);
});

test("allowInsecureHttp: true sends it, and warns once per client through the logger, never the console", async () => {
  const { seen, handler } = recorder();
  const { lines, logger: log } = logger();
  const consoleWarn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  const consoleLog = jest.spyOn(console, "log").mockImplementation(() => undefined);
  const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    const client = new RuntimeClient({ endpoint: "http://emulator:8080/base", requestHandler: handler, token: "secret-token", allowInsecureHttp: true, logger: log });
    for (let i = 0; i < 3; i++) await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatchObject({ protocol: "http:", hostname: "emulator", port: 8080 });
    expect(seen[0].path.startsWith("/base/runtimes/")).toBe(true);
    expect(seen[0].headers.Authorization).toBe("Bearer secret-token");
    expect(lines.warn).toHaveLength(1);
    expect(lines.warn[0]).toMatch(/allowInsecureHttp.*plain http.*emulator/);
    expect(lines.warn[0]).not.toContain("secret-token");

    // a second client warns once more: the warning is per client
    const other = new RuntimeClient({ endpoint: "http://emulator:8080", requestHandler: handler, token: "t", allowInsecureHttp: true, logger: log });
    await other.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    await other.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    expect(lines.warn).toHaveLength(2);

    // no logger: no output anywhere
    const quiet = new RuntimeClient({ endpoint: "http://emulator:8080", requestHandler: handler, token: "t", allowInsecureHttp: true });
    await quiet.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    expect(consoleWarn).not.toHaveBeenCalled();
    expect(consoleLog).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
  } finally {
    consoleWarn.mockRestore();
    consoleLog.mockRestore();
    consoleError.mockRestore();
  }
});

test("only `true` opts out; https and loopback never warn", async () => {
  const { seen, handler } = recorder();
  const { lines, logger: log } = logger();
  // a truthy non-boolean is no opt-out: refused when the client is made (it used to fail at send as insecure)
  expect(() => new RuntimeClient({ endpoint: "http://10.0.0.5", requestHandler: handler, token: "t", allowInsecureHttp: "yes" as unknown as boolean, logger: log })).toThrow(
    expect.objectContaining({ name: "InvalidParameterError", field: "allowInsecureHttp" }),
  );
  const unset = new RuntimeClient({ endpoint: "http://10.0.0.5", requestHandler: handler, token: "t", logger: log });
  await expect(unset.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }))).rejects.toMatchObject({ name: "InsecureEndpointError" });
  for (const endpoint of ["https://emulator:8443", "http://127.0.0.1:9", "http://localhost:9"]) {
    await new RuntimeClient({ endpoint, requestHandler: handler, token: "t", allowInsecureHttp: true, logger: log }).send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  }
  expect(seen).toHaveLength(3);
  expect(lines.warn).toEqual([]);
});

describe("against the emulator over real http", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  test("the flag changes nothing for a loopback endpoint: the stream arrives, no warning", async () => {
    const { lines, logger: log } = logger();
    const client = new RuntimeClient({ endpoint: emulator.url, token: await emulator.issueToken(), allowInsecureHttp: true, logger: log });
    const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn: emulator.runtimeArn, payload: { prompt: "over http" } }));
    let text = "";
    for await (const event of stream) text += event.text;
    expect(text).toBe("You said: over http");
    expect(lines.warn).toEqual([]);
    client.destroy();
  });
});
