import { inspect } from "node:util";
import { AgentRuntimeError, InvokeCommand, InvokeStreamCommand, RuntimeClient } from "@agentcore-runtime/client";
import { ARN, startServer, TOKEN, until, type TestServer } from "./helpers/server";

let server: TestServer;
let mode: "throttle" | "stall";
beforeAll(async () => {
  server = await startServer((_req, res) => {
    if (mode === "throttle") {
      res.writeHead(429, { "x-amzn-errortype": "ThrottlingException", "retry-after-ms": "500" });
      res.end('{"message":"slow down"}');
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: "first"\n\n');
  });
});
afterAll(() => server.close());

test("the token is not visible when a client or a command is inspected or serialised", () => {
  const client = new RuntimeClient({ token: TOKEN, region: "us-east-1" });
  const command = new InvokeCommand({ runtimeArn: ARN, payload: {}, bearerToken: TOKEN });
  // held outside every property, hidden ones included (the requests in the other suites show it is still sent)
  expect(Reflect.ownKeys(client.config)).not.toContain("token");
  expect(Reflect.ownKeys(command.input)).not.toContain("bearerToken");
  for (const text of [
    inspect(client, { depth: 5 }),
    inspect(client, { depth: 12, showHidden: true }),
    JSON.stringify(client.config),
    inspect(command, { depth: 12, showHidden: true }),
    JSON.stringify(command.input),
  ]) {
    expect(text).not.toContain(TOKEN);
  }
});

test("destroy() during a retry backoff aborts the call: no further request is sent", async () => {
  mode = "throttle";
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const before = server.requests.length;
  const call = client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })).catch((e) => e);
  await until(() => server.requests.length === before + 1);
  client.destroy();
  const error = (await call) as AgentRuntimeError;
  expect(error.name).toBe("AbortError");
  await new Promise((r) => setTimeout(r, 700));
  expect(server.requests.length).toBe(before + 1);
});

test("destroy() ends an open stream with AbortError and frees its socket", async () => {
  mode = "stall";
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const closedBefore = server.closedSockets();
  const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }));
  const iterator = out.stream[Symbol.asyncIterator]();
  expect((await iterator.next()).value.text).toBe("first");
  const pending = iterator.next().catch((e) => e);
  client.destroy();
  expect(await pending).toMatchObject({ name: "AbortError" });
  await until(() => server.closedSockets() > closedBefore);
  await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }))).rejects.toThrow(/destroyed/);
});

test("destroy() aborts every call still open, whichever earlier ones finished first", async () => {
  mode = "stall";
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  const outs = await Promise.all(Array.from({ length: 6 }, () => client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: {} }))));
  // the first, a middle and the last stream opened end before destroy(): each leaves the list of open calls
  // (its head, middle and tail)
  for (const i of [0, 3, 5]) await outs[i].stream.cancel();
  const open = [1, 2, 4].map((i) => outs[i].stream[Symbol.asyncIterator]());
  for (const iterator of open) expect((await iterator.next()).value.text).toBe("first");
  const pending = open.map((iterator) => iterator.next().then(() => "read", (e: Error) => e.name));
  client.destroy();
  expect(await Promise.all(pending)).toEqual(["AbortError", "AbortError", "AbortError"]);
  client.destroy(); // twice is harmless
  await expect(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }))).rejects.toThrow(/destroyed/);
});
