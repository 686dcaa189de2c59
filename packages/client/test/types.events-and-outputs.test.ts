/**
 * Types that work the way TypeScript users expect: `CommandEvent` members name the other keys as `?: never`,
 * `SseEvent.json` is the data parsed lazily (once, not enumerable), and an output's `sessionId` is always a string.
 */
import {
  InvokeCommand,
  InvokeStreamCommand,
  RuntimeClient,
  SseDecoder,
  StopSessionCommand,
  type CommandEvent,
  type SseEvent,
} from "@agentcore-runtime/client";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

const utf8 = (s: string) => new TextEncoder().encode(s);

function decode(text: string): SseEvent[] {
  const decoder = new SseDecoder();
  const events = decoder.push(utf8(text));
  decoder.finish();
  return events;
}

describe("CommandEvent", () => {
  test("each member can be read with optional chaining and narrowed by its value (compile-time)", () => {
    const events: CommandEvent[] = [
      { contentStart: {} },
      { contentDelta: { stdout: "out" } },
      { contentDelta: { stderr: "err" } },
      { contentStop: { exitCode: 3, status: "COMPLETED" } },
    ];
    // `e.contentDelta?.stdout` compiles on the union: every member declares contentDelta (as never where absent)
    const stdout = events.map((e) => e.contentDelta?.stdout ?? "").join("");
    const stderr = events.map((e) => e.contentDelta?.stderr ?? "").join("");
    let exitCode: number | undefined;
    for (const e of events) if (e.contentStop) exitCode = e.contentStop.exitCode;
    expect([stdout, stderr, exitCode]).toEqual(["out", "err", 3]);
    // @ts-expect-error: a member cannot carry two keys
    const both: CommandEvent = { contentStart: {}, contentStop: { exitCode: 0, status: "COMPLETED" } };
    expect(Object.keys(both)).toHaveLength(2);
  });
});

describe("SseEvent.json", () => {
  test("the data parsed as JSON; undefined when it is not JSON", () => {
    const [obj, str, num, bad, empty] = decode('data: {"a":1}\n\ndata: "Hel"\n\ndata: 42\n\ndata: {oops\n\ndata\n\n');
    expect(obj.json).toEqual({ a: 1 });
    expect(str.json).toBe("Hel");
    expect(num.json).toBe(42);
    expect(bad.json).toBeUndefined();
    expect(empty.json).toBeUndefined();
  });

  test("not an own enumerable property: JSON.stringify, spread and toEqual see data/event/id/text only", () => {
    const [event] = decode('event: x\nid: 7\ndata: {"a":1}\n\n');
    expect(Object.keys(event)).toEqual(["data", "text", "event", "id"]);
    expect(JSON.parse(JSON.stringify(event))).toEqual({ data: '{"a":1}', text: '{"a":1}', event: "x", id: "7" });
    expect(event).toEqual({ data: '{"a":1}', text: '{"a":1}', event: "x", id: "7" });
    void event.json; // after access too
    expect(Object.keys(event)).toEqual(["data", "text", "event", "id"]);
    expect({ ...event }).toEqual({ data: '{"a":1}', text: '{"a":1}', event: "x", id: "7" });
    expect("json" in { ...event }).toBe(false);
  });

  test("parsed lazily, on first access, and once", () => {
    const parse = jest.spyOn(JSON, "parse");
    try {
      const events = decode('data: {"a":1}\n\ndata: {"b":2}\n\n');
      expect(parse).not.toHaveBeenCalled(); // decoding parses nothing
      const first = events[0].json;
      expect(parse).toHaveBeenCalledTimes(1);
      expect(events[0].json).toBe(first); // the same value, not parsed again
      expect(parse).toHaveBeenCalledTimes(1);
      expect(events[1].json).toEqual({ b: 2 });
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
  });
});

describe("outputs name their session", () => {
  let server: TestServer;
  let echo = true;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      const session = req.headers["x-amzn-bedrock-agentcore-runtime-session-id"] as string;
      const headers: Record<string, string> = { "content-type": req.url!.includes("stop") ? "application/json" : "text/plain" };
      if (echo) headers["x-amzn-bedrock-agentcore-runtime-session-id"] = `echoed-${session}`;
      res.writeHead(200, headers);
      res.end(req.url!.includes("stop") ? "{}" : '{"x":1}');
    });
  });
  afterAll(() => server.close());

  test("a response without the session header gives the session id the request sent (given or generated)", async () => {
    echo = false;
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const given = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    const sessionId: string = given.sessionId;
    expect(sessionId).toBe(SESSION);
    const generated = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    expect(generated.sessionId).toBe(server.requests.at(-1)!.headers["x-amzn-bedrock-agentcore-runtime-session-id"]);
    expect(generated.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const stream = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    for await (const event of stream.stream) expect(event.json).toEqual({ x: 1 }); // a non-SSE body is one event, with json
    expect(stream.sessionId).toBe(SESSION);
    const stopped = await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION }));
    const stoppedId: string = stopped.sessionId;
    expect(stoppedId).toBe(SESSION);
    client.destroy();
  });

  test("the response's session header wins when present", async () => {
    echo = true;
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    client.destroy();
    expect(out.sessionId).toBe(`echoed-${SESSION}`);
  });
});
