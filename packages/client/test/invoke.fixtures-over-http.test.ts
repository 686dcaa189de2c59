import { AgentRuntimeError, InvokeCommand, InvokeStreamCommand, RuntimeClient, type SseEvent, type TruncatedStreamError } from "@agentcore-runtime/client";
import { drip } from "./helpers/drip";
import { sseCases } from "./helpers/fixtures";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
let client: RuntimeClient;
let current: Uint8Array;

beforeAll(async () => {
  server = await startServer(async (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    await drip(res, current);
    res.end();
  });
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

describe.each(sseCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
  beforeEach(() => {
    current = new TextEncoder().encode(c.body);
  });

  test("InvokeStreamCommand yields the events, then raises an in-band error", async () => {
    const out = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, payload: { prompt: "x" } }));
    const events: SseEvent[] = [];
    let error: AgentRuntimeError | undefined;
    try {
      for await (const event of out.stream) events.push(event);
    } catch (e) {
      error = e as AgentRuntimeError;
    }
    expect(events.map(({ text: _t, ...rest }) => rest)).toEqual(c.events);
    expect(events.map((e) => e.text)).toEqual(c.texts);
    if (c.error) {
      expect(AgentRuntimeError.isInstance(error)).toBe(true);
      expect(error!.errorType).toBe(c.error.errorType);
      expect(error!.name).toBe(c.error.errorType);
      expect(error!.message).toBe(c.error.message);
    } else if (c.truncated) {
      expect(error!.name).toBe("TruncatedStreamError");
      expect((error as TruncatedStreamError).partial).toBe(c.truncated.partial);
    } else expect(error).toBeUndefined();
  });

  test("InvokeCommand returns text and events (or raises with the partial events)", async () => {
    const run = client.send(new InvokeCommand({ runtimeArn: ARN, payload: { prompt: "x" } }));
    if (c.error) {
      const error = (await run.catch((e) => e)) as AgentRuntimeError;
      expect(error.message).toBe(c.error.message);
      expect((error.events as SseEvent[]).map((e) => e.text)).toEqual(c.texts);
      return;
    }
    if (c.truncated) {
      const error = (await run.catch((e) => e)) as AgentRuntimeError;
      expect(error.name).toBe("TruncatedStreamError");
      expect((error as TruncatedStreamError).partial).toBe(c.truncated.partial);
      expect((error.events as SseEvent[]).map((e) => e.text)).toEqual(c.texts);
      expect(error.text).toBe(c.text);
      return;
    }
    const out = await run;
    expect(out.text).toBe(c.text);
    expect(out.events!.map((e) => e.text)).toEqual(c.texts);
    expect(Buffer.from(out.body).equals(Buffer.from(c.body, "utf8"))).toBe(true);
  });
});
