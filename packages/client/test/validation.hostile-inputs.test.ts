/**
 * Inputs a review found mishandled before anything is sent. Each "(was a defect)" test failed before its fix:
 * payloads that went out as `{}` (a forgotten await, buffers and collections from another realm), non-ASCII ids
 * and header values sent as Latin-1 bytes (while a WebSocket query carries them as UTF-8), a tab inside a header
 * value refused, garbled messages for header names such as `constructor`, a `__proto__` header dropped without a
 * word, FIPS switched on by the string "false", empty Content-Type/Accept sent, command length counted in UTF-16
 * units, and untyped errors from inputs whose getters throw. A purpose-built server on 127.0.0.1 records what
 * arrives.
 */
import vm from "node:vm";
import { ExecuteCommandCommand, InvalidParameterError, InvokeCommand, RuntimeClient } from "@agentcore-runtime/client";
import { frame } from "./helpers/resilience";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
let client: RuntimeClient;
beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url!.includes("/commands")) {
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
      res.write(frame({ contentStart: {} }));
      res.end(frame({ contentStop: { exitCode: 0, status: "COMPLETED" } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

const invoke = (input: Partial<ConstructorParameters<typeof InvokeCommand>[0]>) => client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, ...input }));

/** Expects the call to fail with InvalidParameterError (matching `message`) before anything reached the server. */
async function refused(call: () => Promise<unknown>, message: RegExp): Promise<InvalidParameterError> {
  const before = server.requests.length;
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidParameterError);
  expect((error as Error).message).toMatch(message);
  expect(server.requests.length).toBe(before);
  return error as InvalidParameterError;
}

describe("(was a defect) payloads that went out as {}", () => {
  test("a Promise (a forgotten await) is refused", async () => {
    await refused(() => invoke({ payload: Promise.resolve({ q: 1 }) }), /Promise.*await it/);
  });

  test("an ArrayBuffer and a SharedArrayBuffer from another realm are sent as their bytes", async () => {
    for (const payload of [vm.runInNewContext("new Uint8Array([1, 2, 3]).buffer"), (() => {
      const shared = new SharedArrayBuffer(3);
      new Uint8Array(shared).set([1, 2, 3]);
      return shared;
    })()]) {
      await invoke({ payload, contentType: "application/octet-stream" });
      expect([...server.requests[server.requests.length - 1]!.body]).toEqual([1, 2, 3]);
    }
  });

  test("a Map from another realm, URLSearchParams and FormData are refused", async () => {
    await refused(() => invoke({ payload: vm.runInNewContext("new Map([['a', 1]])") }), /Map cannot be sent/);
    await refused(() => invoke({ payload: new URLSearchParams("a=1") }), /URLSearchParams cannot be sent/);
    await refused(() => invoke({ payload: new FormData() }), /FormData cannot be sent/);
  });
});

describe("(was a defect) header values beyond ASCII, and a tab inside one", () => {
  test("a session id, user id or custom header with non-ASCII characters is refused (it went out as Latin-1 bytes)", async () => {
    await refused(() => invoke({ sessionId: "é".repeat(36) }), /sessionId contains characters outside ASCII/);
    await refused(() => invoke({ userId: "josé" }), /userId contains characters outside ASCII/);
    await refused(() => invoke({ headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-City": "Zürich" } }), /outside ASCII/);
  });

  test("a tab inside a value is sent (W3C tracestate allows it); CR/LF still are not", async () => {
    await invoke({ tracestate: "a=1,\tb=2" });
    expect(server.requests[server.requests.length - 1]!.headers.tracestate).toBe("a=1,\tb=2");
    await refused(() => invoke({ tracestate: "a=1\r\nX-Injected: 1" }), /control character/);
  });
});

describe("(was a defect) header names", () => {
  test("`constructor` and `toString` are ordinary header names (the check read inherited properties and garbled its message)", async () => {
    await invoke({ headers: { constructor: "c", toString: "t" } });
    const sent = server.requests[server.requests.length - 1]!.headers;
    expect([sent.constructor, sent.tostring]).toEqual(["c", "t"]);
  });

  test("a `__proto__` header (from JSON.parse) is refused rather than dropped without a word", async () => {
    await refused(() => invoke({ headers: JSON.parse('{"__proto__": "x"}') }), /__proto__.*not a valid HTTP header name/);
  });

  test("a typed header named on a command that has no such input says whose input it is", async () => {
    const error = await refused(
      () => client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "ls", headers: { "Content-Type": "text/plain" } })),
      /Content-Type/,
    );
    expect(error.message).toMatch(/input of InvokeCommand/);
    await refused(() => invoke({ headers: { accept: "x" } }), /use the 'accept' input instead/);
  });
});

test("(was a defect) useFipsEndpoint, useDualstackEndpoint and allowInsecureHttp must be booleans (\"false\" turned FIPS on)", () => {
  for (const field of ["useFipsEndpoint", "useDualstackEndpoint", "allowInsecureHttp"]) {
    expect(() => new RuntimeClient({ token: TOKEN, [field]: "false" })).toThrow(InvalidParameterError);
    expect(() => new RuntimeClient({ token: TOKEN, [field]: "false" })).toThrow(new RegExp(`${field} must be true or false`));
  }
  expect(() => new RuntimeClient({ token: TOKEN, useFipsEndpoint: false, useDualstackEndpoint: true }).destroy()).not.toThrow();
});

test("(was a defect) an empty contentType or accept is refused (empty headers were sent)", async () => {
  await refused(() => invoke({ contentType: "" }), /contentType must be 1–8192 characters/);
  await refused(() => invoke({ accept: "" }), /accept must be 1–8192 characters/);
});

describe("(was a defect) command length in characters, and lone surrogates", () => {
  test("40,000 emoji are 40,000 characters, within the 65,536 limit (counted as 80,000 before)", async () => {
    const command = "echo " + "😀".repeat(40_000);
    await client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command }));
    expect(JSON.parse(server.requests[server.requests.length - 1]!.body.toString()).command).toBe(command);
    await refused(() => client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "😀".repeat(65_537) })), /got 65537/);
  });

  test("a lone surrogate in a command is refused (it went out as a \\ud800 escape)", async () => {
    await refused(() => client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "echo \ud800" })), /unpaired UTF-16 surrogate/);
  });
});

test("(was a defect) an input whose getter or proxy throws gives a typed InvalidParameterError (a bare Error escaped)", async () => {
  const hostile = new Proxy(
    {},
    {
      has() {
        throw new Error("trap");
      },
      get(_, key) {
        if (key === "then" || key === "getReader") throw new Error("trap");
        return undefined;
      },
    },
  );
  const error = await refused(() => invoke({ payload: hostile }), /The input could not be read: trap/);
  expect(error.$fault).toBe("client");
});
