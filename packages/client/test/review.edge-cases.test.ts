import { Readable } from "node:stream";
import util from "node:util";
import { InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { openBody } from "../src/protocol/body";
import { ARN, SESSION, startServer, TOKEN } from "./helpers/server";

/** Edge cases found in review of the lean core, each with the behaviour users rely on. */

test("an error after 'end' does not turn a body that ended into a failure", async () => {
  const stream = new Readable({ read() {}, autoDestroy: false });
  const body = openBody(stream);
  stream.push(Buffer.from("abc"));
  stream.push(null);
  expect(Buffer.from((await body.read())!).toString()).toBe("abc");
  await new Promise((r) => setImmediate(r));
  expect(stream.readableEnded).toBe(true);
  stream.destroy(new Error("late, after end"));
  await new Promise((r) => setImmediate(r));
  await expect(body.read()).resolves.toBeUndefined();
});

test("accountId '' is validated whatever the client sent before (the ARN memo keeps them apart)", async () => {
  const queries: unknown[] = [];
  const handler = {
    handle: async (request: { query: unknown }) => {
      queries.push(request.query);
      return { response: { statusCode: 200, headers: {}, body: "{}" } };
    },
  };
  const client = new RuntimeClient({ token: TOKEN, maxAttempts: 1, requestHandler: handler as never });
  await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
  const second = await client.send(new InvokeCommand({ runtimeArn: ARN, accountId: "", payload: {} })).catch((e) => e);
  expect(second.name).toBe("InvalidArnError");
  expect(queries).toEqual([{}]);
});

test("calls that alternate between runtimes each go to their own (the last target kept aside is per runtime)", async () => {
  const sent: string[] = [];
  const handler = {
    handle: async (request: { hostname: string; path: string; query: Record<string, string> }) => {
      sent.push(`${request.hostname}${request.path}${request.query.accountId ? `?accountId=${request.query.accountId}` : ""}`);
      return { response: { statusCode: 200, headers: {}, body: "{}" } };
    },
  };
  const client = new RuntimeClient({ token: TOKEN, region: "us-east-1", maxAttempts: 1, requestHandler: handler as never });
  const west = ARN.replace("us-east-1", "us-west-2").replace(/runtime\/.*/, "runtime/other_agent-abcdefghij");
  const byName = "my_agent-abcdefghij";
  for (const [runtimeArn, accountId] of [[ARN], [west], [ARN], [byName, "123456789012"], [byName, "210987654321"], [ARN], [ARN]] as [string, string?][]) {
    await client.send(new InvokeCommand({ runtimeArn, accountId, payload: {} }));
  }
  const east = `bedrock-agentcore.us-east-1.amazonaws.com/runtimes/${encodeURIComponent(ARN)}/invocations`;
  expect(sent).toEqual([
    east,
    `bedrock-agentcore.us-west-2.amazonaws.com/runtimes/${encodeURIComponent(west)}/invocations`,
    east,
    `bedrock-agentcore.us-east-1.amazonaws.com/runtimes/${byName}/invocations?accountId=123456789012`,
    `bedrock-agentcore.us-east-1.amazonaws.com/runtimes/${byName}/invocations?accountId=210987654321`,
    east,
    east,
  ]);
});

test("identifyOnResolve(true) still logs the stack on send, as @smithy/middleware-stack does", async () => {
  const server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  client.middlewareStack.identifyOnResolve(true);
  const spy = jest.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    expect(spy).toHaveBeenCalledWith(expect.arrayContaining([expect.stringMatching(/retryMiddleware/)]));
  } finally {
    spy.mockRestore();
    client.destroy();
    await server.close();
  }
});

test("a token is checked whenever it changes: a malformed per-call token after good calls is refused before sending", async () => {
  const server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  try {
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    const bad = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {}, bearerToken: "two words" })).catch((e) => e);
    expect(bad).toMatchObject({ name: "TokenProviderError", field: "bearerToken" });
    expect(JSON.stringify(bad)).not.toContain("two words");
    // the client's own token still works, and the server saw only the good calls, each with its header
    await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  } finally {
    client.destroy();
    await server.close();
  }
});

test("a middleware may wrap an output's stream in a Proxy: it iterates, errors still pass through the SDK, the call is freed", async () => {
  const server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write("data: one\n\n");
    setTimeout(() => res.end("data: two\n\n"), 20);
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const output = result.output as { stream?: object };
      if (output.stream) output.stream = new Proxy(output.stream, {});
      return result;
    },
    { step: "initialize", name: "wrapStream" },
  );
  try {
    const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    expect(util.types.isProxy(out.stream)).toBe(true);
    const texts: string[] = [];
    for await (const event of out.stream) texts.push(event.text);
    expect(texts).toEqual(["one", "two"]);
    // iterated once: a second time is the SDK's typed error, through the proxy too
    const again = async () => {
      for await (const event of out.stream) texts.push(event.text);
    };
    await expect(again()).rejects.toMatchObject({ name: "StreamAlreadyConsumedError" });
  } finally {
    client.destroy();
    await server.close();
  }
});
