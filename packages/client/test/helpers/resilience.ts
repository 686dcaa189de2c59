import http from "node:http";
import net from "node:net";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import {
  ExecuteCommandCommand,
  InvokeCommand,
  standardRetryStrategy,
  StopSessionCommand,
  type RetryOptions,
  type RuntimeCommand,
} from "@agentcore-runtime/client";
import { ARN, SESSION } from "./server";

export type Op = "invoke" | "commands" | "stop";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
export function frame(payload: unknown, headers: Record<string, string> = { ":message-type": "event", ":event-type": "chunk", ":content-type": "application/json" }): Buffer {
  const h: Record<string, { type: "string"; value: string }> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { type: "string", value: v };
  return Buffer.from(codec.encode({ headers: h, body: fromUtf8(payload === undefined ? "" : JSON.stringify(payload)) }));
}

/** A complete successful response for each operation. */
export function succeed(op: Op, res: http.ServerResponse): void {
  if (op === "invoke") {
    res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "rid-ok" });
    res.end(JSON.stringify({ ok: true }));
  } else if (op === "commands") {
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-ok" });
    res.end(Buffer.concat([frame({ contentStart: {} }), frame({ contentDelta: { stdout: "hi\n" } }), frame({ contentStop: { exitCode: 0, status: "COMPLETED" } })]));
  } else {
    res.writeHead(200, { "x-amzn-requestid": "rid-ok", "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": SESSION });
    res.end();
  }
}

export function commandFor(op: Op, extra: Record<string, unknown> = {}): RuntimeCommand<any, any> {
  if (op === "invoke") return new InvokeCommand({ runtimeArn: ARN, payload: { prompt: "hi" }, ...extra });
  if (op === "commands") return new ExecuteCommandCommand({ runtimeArn: ARN, command: "echo hi", ...extra });
  return new StopSessionCommand({ runtimeArn: ARN, sessionId: SESSION, ...extra });
}

/** The standard strategy without waiting: full jitter drawn at 0, or the recorded sleeps when a recorder is given. */
export function fastRetries(options: { retry?: RetryOptions; maxAttempts?: number; sleeps?: number[]; random?: () => number; maxDelay?: number; now?: () => number } = {}) {
  const { sleeps, ...rest } = options;
  return standardRetryStrategy({
    random: () => 0,
    ...rest,
    sleep: async (ms) => {
      sleeps?.push(ms);
    },
  });
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Settles to the rejection value, failing the test when the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

/** Sorted active resource names, for before/after comparisons. */
export function activeResources(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").sort();
}
