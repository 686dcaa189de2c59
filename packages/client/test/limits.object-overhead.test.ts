/**
 * Limits that count what the client holds, not only the bytes it was sent, and pieces joined as they come (from a
 * review under hostile servers, each reproduced first): a body in tiny HTTP chunks, millions of empty SSE events,
 * one-character command deltas and an event of many short data lines each held many times their size (2.5 GB of
 * memory for a 100 MiB body; 2 GB and an untyped RangeError for a body of empty events), because every chunk,
 * event, delta or line was an object of its own.
 */
import {
  ExecuteCommandCommand,
  InvokeCommand,
  ResponseLimitExceededError,
  RuntimeClient,
  SseDecoder,
  type AgentRuntimeError,
} from "@agentcore-runtime/client";
import { Parts } from "../src/protocol/body";
import { redact } from "../src/protocol/redact";
import { frame, rejectionOf } from "./helpers/resilience";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";


describe("what a blocking call keeps counts toward maxResponseBytes", () => {
  let server: TestServer;
  let body: () => Buffer[];
  let contentType = "text/event-stream";
  beforeAll(async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": contentType });
      for (const piece of body()) res.write(piece);
      res.end();
    });
  });
  afterAll(() => server.close());

  test("200,000 empty SSE events (1.2 MB) are over a 8 MiB limit: each kept event counts 64 bytes", async () => {
    contentType = "text/event-stream";
    body = () => [Buffer.from("data\n\n".repeat(200_000))];
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxResponseBytes: 8 * 1024 * 1024 });
    const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    client.destroy();
    expect(error).toBeInstanceOf(ResponseLimitExceededError);
    expect((error as ResponseLimitExceededError).limit).toBe("maxResponseBytes");
  });

  test("100,000 empty SSE events (0.6 MB, 6.4 MB counted) fit the same limit, every one delivered", async () => {
    body = () => [Buffer.from("data\n\n".repeat(100_000))];
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxResponseBytes: 8 * 1024 * 1024 });
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    client.destroy();
    expect(out.events).toHaveLength(100_000);
    expect(out.body.length).toBe(600_000);
  });

  test("200,000 one-character command deltas are collected whole and in order (joined as they come, not one string node each)", async () => {
    contentType = "application/vnd.amazon.eventstream";
    const deltas = Array.from({ length: 200_000 }, (_, i) => frame({ contentDelta: i % 7 === 6 ? { stderr: "e" } : { stdout: String(i % 10) } }));
    body = () => [frame({ contentStart: {} }), Buffer.concat(deltas), frame({ contentStop: { exitCode: 0, status: "COMPLETED" } })];
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const out = await client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "yes" }));
    client.destroy();
    const expected = Array.from({ length: 200_000 }, (_, i) => (i % 7 === 6 ? "" : String(i % 10))).join("");
    expect(out.stdout).toBe(expected);
    expect(out.stderr).toBe("e".repeat(Math.floor(200_000 / 7)));
  });

  test("a command stream cut after 5,000 deltas keeps all of them on the error", async () => {
    contentType = "application/vnd.amazon.eventstream";
    body = () => [frame({ contentStart: {} }), ...Array.from({ length: 5000 }, () => frame({ contentDelta: { stdout: "y" } }))];
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const error = await rejectionOf(client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "yes y" })));
    client.destroy();
    expect(error.name).toBe("TruncatedStreamError");
    expect((error as AgentRuntimeError & { stdout?: string }).stdout).toBe("y".repeat(5000));
  });

  test("a JSON body sent 16 bytes at a time arrives whole", async () => {
    contentType = "application/json";
    const json = JSON.stringify({ items: Array.from({ length: 20_000 }, (_, i) => i) });
    body = () => Array.from({ length: Math.ceil(json.length / 16) }, (_, i) => Buffer.from(json.slice(i * 16, i * 16 + 16)));
    const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} }));
    client.destroy();
    expect(out.text).toBe(json);
    expect((out.json as { items: number[] }).items).toHaveLength(20_000);
  });
});

describe("many small pieces are joined as they come", () => {
  test("Parts joins a million 1-byte chunks in order, a larger chunk kept in its place", () => {
    const parts = new Parts();
    for (let i = 0; i < 1_000_000; i++) parts.add(new Uint8Array([i % 251]));
    // a big chunk in between keeps its place
    parts.add(new Uint8Array(4096).fill(7));
    parts.add(new Uint8Array([1]));
    const bytes = parts.bytes();
    expect(parts.length).toBe(1_000_000 + 4096 + 1);
    expect(bytes.length).toBe(parts.length);
    for (const i of [0, 1, 255, 256, 999_999]) expect(bytes[i]).toBe(i % 251);
    expect(bytes.subarray(1_000_000, 1_004_096).every((b) => b === 7)).toBe(true);
    expect(bytes[1_004_096]).toBe(1);
  });

  test("an SSE event of 5,000 data lines keeps every line in order, also in a truncated event's partial text", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `data:${i}`);
    const [event] = new SseDecoder({ maxEventBytes: 1e9 }).push(new TextEncoder().encode(`${lines.join("\n")}\n\n`));
    expect(event.data.split("\n")).toEqual(lines.map((_, i) => String(i)));
    const cut = new SseDecoder({ maxEventBytes: 1e9 });
    cut.push(new TextEncoder().encode(`${lines.join("\n")}\n`));
    const end = cut.finish();
    expect(end.truncated).toBe(true);
    expect(end.partial.split("\n")).toEqual(lines.map((_, i) => `data: ${i}`));
  });

  test("an event of a million empty data lines is refused at maxEventBytes in well under a minute", () => {
    const decoder = new SseDecoder({ maxEventBytes: 1024 * 1024 });
    const chunk = new TextEncoder().encode("data\n".repeat(65_536));
    let pushed = 0;
    let error: unknown;
    try {
      for (;;) {
        decoder.push(chunk);
        pushed++;
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ResponseLimitExceededError);
    expect(pushed).toBe(16); // 1 MiB of lines: 16 pushes of 65,536, the 17th over
  });
});

describe("what the review of this change found", () => {
  const TOKEN_TEXT = "Bearer abcd1234efgh5678";
  test("redaction still reaches a short array's non-index fields (a RegExp match's input)", () => {
    const match = /Authorization: (.*)/.exec(`Authorization: ${TOKEN_TEXT}`)!;
    const error = Object.assign(new Error("x"), { match });
    redact(error);
    expect(match.input).toBe("Authorization: Bearer [REDACTED]");
    expect(match[0]).toBe("Authorization: Bearer [REDACTED]");
  });
  test("a long array is walked by index: its last element is redacted, a read-only one left without a throw", () => {
    const long: unknown[] = Array.from({ length: 70_000 }, (_, i) => `event ${i}`);
    long[69_999] = `leaked ${TOKEN_TEXT}`;
    Object.defineProperty(long, 5, { value: `fixed ${TOKEN_TEXT}`, writable: false });
    expect(() => redact(Object.assign(new Error("x"), { events: long }))).not.toThrow();
    expect(long[69_999]).toBe("leaked Bearer [REDACTED]");
    expect(long[5]).toBe(`fixed ${TOKEN_TEXT}`);
  });
  test("a truncated event of 200,000 data lines gives its partial text as one string per joined piece, line by line", () => {
    const cut = new SseDecoder({ maxEventBytes: 1e9 });
    cut.push(new TextEncoder().encode("data:x\n".repeat(200_000)));
    const end = cut.finish();
    expect(end.truncated).toBe(true);
    expect(end.partial).toBe(Array.from({ length: 200_000 }, () => "data: x").join("\n"));
  });
});
