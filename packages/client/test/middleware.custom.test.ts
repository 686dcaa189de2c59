import { InvokeCommand, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";
import type { HttpRequest } from "@smithy/protocol-http";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
beforeAll(async () => {
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "rid-9" });
    res.end('{"ok":true}');
  });
});
afterAll(() => server.close());

test("custom middleware runs in its step, sees the request and the output, in AWS SDK v3 order", async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const order: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      order.push(`initialize:${context.commandName}`);
      return next(args);
    },
    { step: "initialize", name: "first" },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as HttpRequest;
      request.headers["x-custom"] = "yes";
      order.push("build");
      const result = await next(args);
      order.push(`after:${(result.output as { $metadata: { requestId: string } }).$metadata.requestId}`);
      return result;
    },
    { step: "build", name: "addHeader" },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      order.push(`finalize:${(args.request as HttpRequest).headers.Authorization ? "signed" : "unsigned"}`);
      return next(args);
    },
    { step: "finalizeRequest", name: "seeAuth", priority: "low" },
  );
  const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  expect(out.json).toEqual({ ok: true });
  expect(server.requests.at(-1)!.headers["x-custom"]).toBe("yes");
  // finalizeRequest/low sits after bearer auth, so it sees the signed request
  expect(order).toEqual(["initialize:InvokeCommand", "build", "finalize:signed", "after:rid-9"]);

  // names are unique; `override` replaces
  expect(() => client.middlewareStack.add((next) => next, { step: "build", name: "addHeader" })).toThrow();
  client.middlewareStack.add((next) => next, { step: "build", name: "addHeader", override: true });
  client.middlewareStack.remove("first");
  order.length = 0;
  await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  expect(order).toEqual(["finalize:signed"]);
  client.destroy();
});

test("a command's own middleware stack applies to that command only, and sending it twice is fine", async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const command = new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION });
  let calls = 0;
  command.middlewareStack.add(
    (next) => async (args) => {
      calls++;
      return next(args);
    },
    { step: "serialize", name: "count", priority: "low" },
  );
  await client.send(command);
  await client.send(command);
  await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION }));
  expect(calls).toBe(2);
  client.destroy();
});

test("the built-in middleware is listed by name", () => {
  const client = new RuntimeClient({ token: TOKEN });
  const names = client.middlewareStack.identify().join(" ");
  expect(names).toContain("retryMiddleware");
  expect(names).toContain("bearerAuthMiddleware");
});

test("the stack is made on first use and is then the same object; the logger middleware only with a logger", () => {
  const client = new RuntimeClient({ token: TOKEN });
  const stack = client.middlewareStack;
  expect(client.middlewareStack).toBe(stack);
  expect(stack.identify().join(" ")).not.toContain("loggerMiddleware");
  const logged = new RuntimeClient({ token: TOKEN, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  expect(logged.middlewareStack.identify().join(" ")).toContain("loggerMiddleware");
});

test("middleware added to a stack read before the first send runs on that send, and a send before any read gets the built-ins", async () => {
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const seen: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      seen.push((args.request as HttpRequest).path);
      return next(args);
    },
    { step: "build", name: "probe" },
  );
  let before = server.requests.length;
  await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION }));
  expect(seen).toEqual([`/runtimes/${encodeURIComponent(ARN)}/stopruntimesession`]);
  // and the built-ins ran too: the request went out with the token
  expect(server.requests[before].headers.authorization).toBe(`Bearer ${TOKEN}`);
  client.destroy();

  const fresh = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  before = server.requests.length;
  await fresh.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION }));
  expect(server.requests[before].headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(fresh.middlewareStack.identify().join(" ")).toContain("retryMiddleware");
  fresh.destroy();
});
