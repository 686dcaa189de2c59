/**
 * Output shapes as API.md states them, from a purpose-built server on 127.0.0.1, where the code used to differ:
 * `contentType` is always a string (it was missing when a response named none), `$metadata` always carries
 * `httpStatusCode`, `attempts` and `totalRetryDelay` (typed optional, and missing without the retry middleware),
 * and `maxResponseBytes` bounds the UTF-8 bytes of a command's collected output (it counted UTF-16 units, so
 * non-ASCII output could hold up to three times the limit in bytes).
 */
import {
  ExecuteCommandCommand,
  InvokeCommand,
  InvokeStreamCommand,
  ResponseLimitExceededError,
  RuntimeClient,
  StopSessionCommand,
  type OutputMetadata,
} from "@agentcore-runtime/client";
import { frame } from "./helpers/resilience";
import { ARN, SESSION, startServer, TOKEN, type TestServer } from "./helpers/server";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

/** Responses with no Content-Type header at all (Node's http server adds none unless told). */
async function bare(): Promise<RuntimeClient> {
  server = await startServer((req, res) => {
    res.writeHead(200, { "x-amzn-requestid": "rid-bare" });
    res.end(req.url!.includes("stopruntimesession") ? "" : "plain bytes");
  });
  return new RuntimeClient({ endpoint: server.url, token: TOKEN });
}

test("(was a defect) a response that names no Content-Type gives contentType application/octet-stream, not undefined", async () => {
  const client = await bare();
  try {
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: { q: 1 } }));
    expect(out.contentType).toBe("application/octet-stream");
    expect(out.text).toBe("plain bytes");
    expect(out.json).toBeUndefined();
    // compiles only while contentType is a string (strictNullChecks)
    const isJson: boolean = out.contentType.includes("json");
    expect(isJson).toBe(false);
    const stream = await client.send(new InvokeStreamCommand({ runtimeArn: ARN, sessionId: SESSION, payload: { q: 1 } }));
    expect(stream.contentType).toBe("application/octet-stream");
    for await (const _ of stream.stream) void _;
  } finally {
    client.destroy();
  }
});

test("a Content-Type the server names is given as it is", async () => {
  server = await startServer((_, res) => {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end('{"ok":true}');
  });
  const client = new RuntimeClient({ endpoint: server.url, token: TOKEN });
  try {
    const out = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    expect(out.contentType).toBe("application/json; charset=utf-8");
    expect(out.json).toEqual({ ok: true });
  } finally {
    client.destroy();
  }
});

test("(was a defect) $metadata has httpStatusCode, attempts and totalRetryDelay on every output, even with the retry middleware removed", async () => {
  const client = await bare();
  try {
    const withRetries = await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} }));
    expect(withRetries.$metadata).toEqual({ httpStatusCode: 200, requestId: "rid-bare", attempts: 1, totalRetryDelay: 0 });
    client.middlewareStack.remove("retryMiddleware");
    for (const out of [
      await client.send(new InvokeCommand({ runtimeArn: ARN, sessionId: SESSION, payload: {} })),
      await client.send(new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION })),
    ]) {
      expect(out.$metadata).toEqual({ httpStatusCode: 200, requestId: "rid-bare", attempts: 1, totalRetryDelay: 0 });
      // compiles only while these fields are not optional on outputs
      const metadata: OutputMetadata = out.$metadata;
      const total: number = metadata.attempts + metadata.totalRetryDelay + metadata.httpStatusCode;
      expect(total).toBe(201);
    }
  } finally {
    client.destroy();
  }
});

describe("(was a defect) maxResponseBytes bounds the UTF-8 bytes of a command's collected output", () => {
  /** A command stream of `deltas` stdout deltas of `text` each, then a successful contentStop. */
  async function commandServer(text: string, deltas: number): Promise<RuntimeClient> {
    server = await startServer((_, res) => {
      res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
      res.write(frame({ contentStart: {} }));
      for (let i = 0; i < deltas; i++) res.write(frame({ contentDelta: { stdout: text } }));
      res.end(frame({ contentStop: { exitCode: 0, status: "COMPLETED" } }));
    });
    return new RuntimeClient({ endpoint: server.url, token: TOKEN });
  }

  test("600,000 characters of é (1.2 MB in UTF-8) are over a 1 MB limit (before: counted as 600,000 and let through)", async () => {
    const client = await commandServer("é".repeat(10_000), 60);
    try {
      const call = client.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "cat big" }), { maxResponseBytes: 1_000_000 });
      await expect(call).rejects.toBeInstanceOf(ResponseLimitExceededError);
      await expect(call).rejects.toMatchObject({ limit: "maxResponseBytes", limitBytes: 1_000_000 });
    } finally {
      client.destroy();
    }
  });

  test("ASCII output up to the limit passes; characters outside the BMP count 4 bytes per pair", async () => {
    const ascii = await commandServer("a".repeat(10_000), 100);
    try {
      const out = await ascii.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "cat" }), { maxResponseBytes: 1_000_000 });
      expect(out.stdout.length).toBe(1_000_000);
    } finally {
      ascii.destroy();
      await server.close();
    }
    // 250,000 pairs = 1,000,000 bytes: at the limit, passes; one more pair is over it
    const emoji = await commandServer("😀".repeat(2_500), 100);
    try {
      const out = await emoji.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "cat" }), { maxResponseBytes: 1_000_000 });
      expect(Buffer.byteLength(out.stdout)).toBe(1_000_000);
      await expect(emoji.send(new ExecuteCommandCommand({ runtimeArn: ARN, sessionId: SESSION, command: "cat" }), { maxResponseBytes: 999_999 })).rejects.toBeInstanceOf(
        ResponseLimitExceededError,
      );
    } finally {
      emoji.destroy();
    }
  });
});
