/**
 * What an AWS SDK v3 user's middleware and plugins do out of habit, against a real server on 127.0.0.1. Each of
 * these failed before (an outside review compared the official client side by side):
 * - `removeByTag("RETRY")` (the usual way to turn retries off) found nothing, and retries went on;
 * - plugins placed relative to the AWS SDK's signing middleware (`awsAuthMiddleware`, `httpSigningMiddleware`,
 *   `tokenMiddleware`) failed every call with "… is not found";
 * - `context.logger.debug(…)` threw a raw TypeError when the client had no logger (the AWS SDK gives a no-op one),
 *   or a logger without that level (`{ error }` only), and `context.clientName` was missing;
 * - `send(command, callback)` ignored the callback, and a failed call became an unhandled rejection;
 * - a plain options object as `requestHandler` failed every call late, as a misleading "CORS" NetworkError;
 * - a signal without addEventListener (the deprecated @smithy/abort-controller) failed with a raw TypeError;
 * - with the retry middleware removed, a failed call said `attempts: 0` although a request went out;
 * - a 401 to a client without a token (an unset environment variable) did not say that no token was sent.
 */
import http from "node:http";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import type { Pluggable } from "@smithy/types";
import { InvalidParameterError, InvokeCommand, RuntimeClient, ThrottlingException, type InvokeCommandOutput } from "@agentcore-runtime/client";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
let status = 200;

beforeAll(async () => {
  server = await startServer((_req, res) => {
    if (status !== 200) return void res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": "ThrottlingException" }).end('{"message":"busy"}');
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  status = 200;
  server.requests.length = 0;
});

const client = (extra: Record<string, unknown> = {}) => new RuntimeClient({ endpoint: server.url, token: TOKEN, ...extra });
const invoke = () => new InvokeCommand({ runtimeArn: ARN, payload: { n: 1 } });

test('removeByTag("RETRY") turns retries off, as in the AWS SDK', async () => {
  const c = client();
  expect(c.middlewareStack.removeByTag("RETRY")).toBe(true);
  status = 429;
  const e = await c.send(invoke()).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ThrottlingException);
  expect(server.requests).toHaveLength(1);
  // and the request that went out is counted
  expect((e as ThrottlingException).$metadata.attempts).toBe(1);
  c.destroy();
});

test.each(["awsAuthMiddleware", "httpSigningMiddleware", "tokenMiddleware"])("a plugin placed before %s runs before the bearer token is set", async (name) => {
  const c = client();
  const seen: (string | undefined)[] = [];
  const plugin: Pluggable<any, any> = {
    applyToStack: (stack) =>
      stack.addRelativeTo(
        (next: any) => async (args: any) => {
          seen.push(args.request.headers.Authorization ?? args.request.headers.authorization);
          return next(args);
        },
        { relation: "before", toMiddleware: name, name: "beforeSigning" },
      ),
  };
  c.middlewareStack.use(plugin);
  expect((await c.send(invoke())).statusCode).toBe(200);
  expect(seen).toEqual([undefined]);
  expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  c.destroy();
});

test("context.logger can be called without a configured logger, and context.clientName is set", async () => {
  const c = client();
  const names: unknown[] = [];
  c.middlewareStack.add(
    (next, context) => async (args) => {
      context.logger?.debug?.("before");
      (context.logger as { info: (m: string) => void }).info("called without ?.");
      names.push((context as { clientName?: unknown }).clientName);
      return next(args);
    },
    { step: "initialize", name: "logsUnconditionally" },
  );
  expect((await c.send(invoke())).statusCode).toBe(200);
  expect(names).toEqual(["RuntimeClient"]);
  c.destroy();
});

test("context.logger has every level with a partial logger ({ error } only): info and warn go to error, debug nowhere", async () => {
  // the AWS SDK's Logger type promises all four levels to middleware; a client logger with only some of them
  // (its own Logger type allows that) left context.logger.debug undefined, and a middleware's call threw
  const lines: unknown[][] = [];
  const c = client({ logger: { error: (...args: unknown[]) => lines.push(["error", ...args]) } });
  c.middlewareStack.add(
    (next, context) => async (args) => {
      context.logger!.debug("mine: debug");
      context.logger!.info("mine: info");
      context.logger!.warn("mine: warn");
      context.logger!.error("mine: error");
      return next(args);
    },
    { step: "initialize", name: "logsEveryLevel" },
  );
  expect((await c.send(invoke())).statusCode).toBe(200);
  const mine = lines.filter((l) => String(l[1]).startsWith("mine:"));
  expect(mine).toEqual([
    ["error", "mine: info"],
    ["error", "mine: warn"],
    ["error", "mine: error"],
  ]);
  // the client's own lines (the logger middleware's response line, an info) went to error as before
  expect(lines.some((l) => /200/.test(String(l[1])) && !String(l[1]).startsWith("mine:"))).toBe(true);
  c.destroy();
});

test("a 401 to a client without a token says it sent none; not when a middleware of the application set Authorization", async () => {
  // `new RuntimeClient({ token: process.env.AGENTCORE_TOKEN })` with the variable unset sent no token at all, and
  // the service's 401 said only "unauthorized"
  const denied = await startServer((_req, res) => void res.writeHead(401, { "content-type": "application/json", "x-amzn-errortype": "UnauthorizedException" }).end('{"message":"Unauthorized"}'));
  try {
    const bare = new RuntimeClient({ endpoint: denied.url, token: undefined });
    const error = await bare.send(invoke()).then(() => new Error("resolved"), (e: Error) => e);
    expect(error.name).toBe("UnauthorizedException");
    expect(error.message).toBe("Unauthorized (this client has no `token` and sent none: an unset environment variable?)");
    expect(denied.requests[0].headers.authorization).toBeUndefined();
    const custom = new RuntimeClient({ endpoint: denied.url });
    custom.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers.authorization = "Custom scheme";
        return next(args);
      },
      { step: "build", name: "customAuth" },
    );
    const signed = await custom.send(invoke()).then(() => new Error("resolved"), (e: Error) => e);
    expect(signed.name).toBe("UnauthorizedException");
    expect(signed.message).toBe("Unauthorized");
    bare.destroy();
    custom.destroy();
  } finally {
    denied.close();
  }
});

test("send(command, callback) and send(command, options, callback): the outcome reaches the callback, a failure is no unhandled rejection", async () => {
  const c = client({ maxAttempts: 1 });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    const ok = await new Promise<[unknown, InvokeCommandOutput | undefined]>((resolve) => {
      const returned = c.send(invoke(), (error, output) => resolve([error, output]));
      expect(returned).toBeUndefined();
    });
    expect(ok[0]).toBeNull();
    expect(ok[1]?.json).toEqual({ ok: true });
    status = 429;
    const failed = await new Promise<[unknown, unknown]>((resolve) => c.send(invoke(), { requestTimeout: 5000 }, (error, output) => resolve([error, output])));
    expect(failed[0]).toBeInstanceOf(ThrottlingException);
    expect(failed[1]).toBeUndefined();
    // a callback that throws: swallowed as the AWS SDK does, not an unhandled rejection
    c.send(invoke(), () => {
      throw new Error("callback bug");
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    c.destroy();
  }
});

test("a requestHandler that is not an HttpHandler is refused by the constructor, naming the option", () => {
  for (const requestHandler of [{ requestTimeout: 1000 }, { handle: "no" }, 42]) {
    const e = (() => {
      try {
        client({ requestHandler });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(InvalidParameterError);
    expect((e as Error).message).toMatch(/requestHandler must be an HttpHandler/);
  }
});

test("an abortSignal without addEventListener (the deprecated @smithy/abort-controller) is refused before anything is sent", async () => {
  const c = client();
  const e = await c.send(invoke(), { abortSignal: { aborted: false, onabort: null } as unknown as AbortSignal }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(InvalidParameterError);
  expect((e as Error).message).toMatch(/abortSignal must be an AbortSignal/);
  expect((e as InvalidParameterError).$metadata.attempts).toBe(0);
  expect(server.requests).toHaveLength(0);
  c.destroy();
});

test.each([
  ["the default handler", {}],
  ["FetchHttpHandler", { requestHandler: new FetchHttpHandler() }],
])("header names in lower case, as the AWS SDK writes them: a middleware reads and replaces them (%s)", async (_label, extra) => {
  const c = client(extra);
  const seen: Record<string, string | undefined>[] = [];
  c.middlewareStack.add(
    (next: any) => async (args: any) => {
      const h = args.request.headers;
      seen.push({ contentType: h["content-type"], accept: h.accept, length: h["content-length"] });
      h["content-type"] = "application/x-amz-json-1.1";
      return next(args);
    },
    { step: "build", name: "replacesContentType" },
  );
  expect((await c.send(invoke())).statusCode).toBe(200);
  expect(seen).toEqual([{ contentType: "application/json", accept: "application/json, text/event-stream", length: "7" }]);
  // one content-type on the wire, the middleware's (fetch merged two into "application/json, application/x-amz-json-1.1")
  const raw = server.requests[0].rawHeaders;
  const names = raw.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
  expect(names.filter((name) => name === "content-type")).toHaveLength(1);
  expect(server.requests[0].headers["content-type"]).toBe("application/x-amz-json-1.1");
  expect(server.requests[0].headers.accept).toBe("application/json, text/event-stream");
  c.destroy();
});

describe("a middleware's own reader around response.body", () => {
  let slow: http.Server;
  let slowUrl = "";
  const closedAfter: number[] = [];
  beforeAll(async () => {
    // an SSE stream of 25 events, one every 200 ms
    slow = http.createServer((req, res) => {
      req.resume();
      const started = Date.now();
      res.writeHead(200, { "content-type": "text/event-stream" });
      let n = 0;
      const timer = setInterval(() => (++n > 25 ? (clearInterval(timer), res.end()) : res.write(`data: "e${n}"\n\n`)), 200);
      res.on("close", () => {
        clearInterval(timer);
        closedAfter.push(Date.now() - started);
      });
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    slowUrl = `http://127.0.0.1:${(slow.address() as import("node:net").AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => (slow.closeAllConnections(), slow.close(() => r()))));

  test("{ read, cancel } wrapping the client's reader (counting bytes) is read as it is", async () => {
    const c = client();
    let bytes = 0;
    c.middlewareStack.add(
      (next: any) => async (args: any) => {
        const result = await next(args);
        const inner = result.response.body;
        result.response.body = {
          read: async () => {
            const chunk = await inner.read();
            bytes += chunk?.length ?? 0;
            return chunk;
          },
          cancel: (reason?: unknown) => inner.cancel(reason),
        };
        return result;
      },
      { step: "deserialize", priority: "low", name: "countsBytes" },
    );
    expect((await c.send(invoke())).json).toEqual({ ok: true });
    expect(bytes).toBe('{"ok":true}'.length);
    c.destroy();
  });

  test("a reader of the middleware's own obeys the call's deadline: cancelled, DeadlineExceededError", async () => {
    const c = client();
    let cancelled = 0;
    c.middlewareStack.add(
      (next: any) => async (args: any) => {
        const result = await next(args);
        await result.response.body.cancel();
        // a replayed stream that stalls: read() never settles
        result.response.body = { read: () => new Promise(() => undefined), cancel: () => void cancelled++ };
        return result;
      },
      { step: "deserialize", priority: "low", name: "stalls" },
    );
    const started = Date.now();
    const e = await c.send(invoke(), { deadline: 500 }).catch((x: unknown) => x);
    expect((e as Error).name).toBe("DeadlineExceededError");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(cancelled).toBe(1);
    c.destroy();
  });

  test("a call that fails does not abort context.signal: a middleware's own work on it goes on", async () => {
    const c = client({ maxAttempts: 1 });
    const aborted: unknown[] = [];
    c.middlewareStack.add(
      (next, context) => (args) => {
        context.signal.addEventListener("abort", () => aborted.push(context.signal.reason));
        return next(args);
      },
      { step: "initialize", name: "watchesSignal" },
    );
    status = 429;
    await expect(c.send(invoke())).rejects.toBeInstanceOf(ThrottlingException);
    await new Promise((r) => setTimeout(r, 50));
    expect(aborted).toEqual([]);
    c.destroy();
  });

  test("a body the deserializer cannot read fails the call at once, and the transport's body is closed, not left streaming", async () => {
    const c = new RuntimeClient({ endpoint: slowUrl, token: TOKEN, maxAttempts: 1 });
    c.middlewareStack.add(
      (next: any) => async (args: any) => {
        const result = await next(args);
        result.response.body = 42;
        return result;
      },
      { step: "deserialize", priority: "low", name: "breaksBody" },
    );
    const started = Date.now();
    const { InvokeStreamCommand, InvalidResponseError } = await import("@agentcore-runtime/client");
    const e = await c.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidResponseError);
    expect(Date.now() - started).toBeLessThan(2000);
    // the server's stream (5 s long) ends when the client closes the connection
    const end = Date.now() + 3000;
    while (closedAfter.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(closedAfter).toHaveLength(1);
    expect(closedAfter[0]).toBeLessThan(2500);
    c.destroy();
  });
});

describe("a middleware that sets the capitalised names the client wrote before (Content-Type)", () => {
  const legacy = (c: RuntimeClient) =>
    c.middlewareStack.add(
      (next: any) => (args: any) => {
        args.request.headers["Content-Type"] = "text/plain";
        return next(args);
      },
      { step: "build", name: "legacyContentType" },
    );

  test.each([
    ["the default handler", {}],
    ["FetchHttpHandler", { requestHandler: new FetchHttpHandler() }],
  ])("replaces the serializer's value: one content-type on the wire (%s)", async (_label, extra) => {
    const c = client(extra);
    legacy(c);
    expect((await c.send(invoke())).statusCode).toBe(200);
    const names = server.requests[0].rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    expect(names.filter((name) => name === "content-type")).toHaveLength(1);
    expect(server.requests[0].headers["content-type"]).toBe("text/plain");
    c.destroy();
  });

  test.each([
    ["the default handler", {}],
    ["FetchHttpHandler", { requestHandler: new FetchHttpHandler() }],
  ])("with SigV4, what is signed is what is sent: the emulator accepts the signature (%s)", async (_label, extra) => {
    const { startEmulator } = await import("@agentcore-runtime/emulator");
    const { sigv4Auth } = await import("@agentcore-runtime/client/sigv4");
    const emu = await startEmulator({ port: 0, auth: { mode: "sigv4" } });
    const c = new RuntimeClient({ endpoint: emu.url, maxAttempts: 1, ...extra });
    c.middlewareStack.use(sigv4Auth({ credentials: emu.credentials! }));
    legacy(c);
    try {
      const out = await c.send(new InvokeCommand({ runtimeArn: emu.runtimeArn, payload: "plain words" }));
      expect(out.statusCode).toBe(200);
    } finally {
      c.destroy();
      await emu.close();
    }
  });
});
