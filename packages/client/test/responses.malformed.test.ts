/**
 * Responses that break the contract get a clear error, never silently lost output (from a review under hostile
 * servers, each reproduced first): an event-stream message of an unknown :message-type and a contentDelta whose
 * stdout is not text were skipped (the call succeeded without that output); output or a second outcome after
 * contentStop was taken (the exit code changed); an error body over 1 MiB was dropped, not cut (the message lost
 * the server's words).
 */
import { ExecuteCommandCommand, ExecuteCommandStreamCommand, InvokeCommand, RuntimeClient, type AgentRuntimeError } from "@agentcore-runtime/client";
import { frame, rejectionOf } from "./helpers/resilience";
import { ARN, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
let respond: (res: import("node:http").ServerResponse) => void;
let client: RuntimeClient;
beforeAll(async () => {
  server = await startServer((_req, res) => respond(res));
  client = new RuntimeClient({ endpoint: server.url, token: TOKEN, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});


const START = frame({ contentStart: {} });
const STOP = (exitCode = 0) => frame({ contentStop: { exitCode, status: "COMPLETED" } });
const commandStream = (...frames: Buffer[]) => (res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
  res.end(Buffer.concat(frames));
};

describe("event-stream messages the client cannot take as they are", () => {
  test.each([
    ["a message of an unknown :message-type carrying output", [START, frame({ contentDelta: { stdout: "LOST" } }, { ":message-type": "weird", ":event-type": "chunk", ":content-type": "application/json" }), STOP()], /unknown :message-type "weird"/],
    ["a contentDelta whose stdout is a number", [START, frame({ contentDelta: { stdout: 123 } }), STOP()], /stdout is not a string/],
    ["output after contentStop", [START, frame({ contentDelta: { stdout: "a" } }), STOP(), frame({ contentDelta: { stdout: "late" } })], /after contentStop/],
    ["a second contentStop", [START, STOP(0), STOP(7)], /after contentStop/],
    ["an event of an unknown :event-type after contentStop", [START, STOP(0), frame({ x: 1 }, { ":message-type": "event", ":event-type": "newKind", ":content-type": "application/json" })], /after contentStop/],
  ])("%s is an InvalidResponseError, the output before it kept", async (_label, frames, message) => {
    respond = commandStream(...(frames as Buffer[]));
    const error = await rejectionOf(client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "x" })));
    expect(error.name).toBe("InvalidResponseError");
    expect(error.message).toMatch(message as RegExp);
    expect(typeof error.stdout).toBe("string");
  });

  test("the streaming command raises it in the stream, after the events before it", async () => {
    respond = commandStream(START, frame({ contentDelta: { stdout: "a" } }), STOP(), frame({ contentDelta: { stdout: "late" } }));
    const { stream } = await client.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN, command: "x" }));
    const seen: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const event of stream) seen.push(event);
      } catch (e) {
        return e as AgentRuntimeError;
      }
      throw new Error("expected the stream to fail");
    })();
    expect(error.name).toBe("InvalidResponseError");
    expect(seen).toHaveLength(3);
  });

  test("an event of an unknown :event-type is still skipped (PROTOCOL: for new event types)", async () => {
    respond = commandStream(START, frame({ something: 1 }, { ":message-type": "event", ":event-type": "newKind", ":content-type": "application/json" }), frame({ contentDelta: { stdout: "ok" } }), STOP());
    const out = await client.send(new ExecuteCommandCommand({ runtimeArn: ARN, command: "x" }));
    expect(out).toMatchObject({ stdout: "ok", exitCode: 0 });
  });
});

describe("an error body over 1 MiB", () => {
  test("is cut, not dropped: the message has the server's words", async () => {
    respond = (res) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(`Bad request: field X is wrong. ${"x".repeat(2 * 1024 * 1024)}`);
    };
    const error = await rejectionOf(client.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(/Bad request: field X is wrong/);
  });
});

describe("a body the HTTP parser rejects", () => {
  test("a malformed chunk size is reported as such (it was a bare 'aborted' ECONNRESET)", async () => {
    const net = await import("node:net");
    const raw = net.createServer((socket) => {
      socket.on("error", () => undefined);
      socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n"));
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    const c = new RuntimeClient({ endpoint: `http://127.0.0.1:${(raw.address() as import("node:net").AddressInfo).port}`, token: TOKEN });
    try {
      const error = await rejectionOf(c.send(new InvokeCommand({ runtimeArn: ARN, payload: {} })));
      expect(error.name).toBe("NetworkError");
      expect((error as AgentRuntimeError & { code?: string }).code).toBe("HPE_INVALID_CHUNK_SIZE");
      expect(error.message).toMatch(/chunk size/i);
    } finally {
      c.destroy();
      await new Promise((r) => raw.close(r));
    }
  });
});
