import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import type { Emulator } from "../src";

export const SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id";

export function wsBase(emu: Emulator): string {
  return `${emu.url.replace(/^http/, "ws")}/runtimes/${encodeURIComponent(emu.runtimeArn)}`;
}

/** Polls `check` every 20 ms for up to `ms` (default 10 s); throws with `what` when it never holds. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A real ws client that records what it receives. */
export class Client {
  readonly messages: { data: Buffer; binary: boolean }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  headers: IncomingMessage["headers"] = {};

  constructor(readonly ws: WebSocket) {
    ws.on("upgrade", (res) => (this.headers = res.headers));
    ws.on("message", (data: Buffer, binary) => this.messages.push({ data, binary }));
    ws.on("error", () => undefined);
    this.closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string, options: { token?: string; headers?: Record<string, string>; protocols?: string[] } = {}): Promise<Client> {
    const headers = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const ws = new WebSocket(url, options.protocols ?? [], { headers });
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
    return client;
  }

  /** Channel-framed output (shells): the payloads of frames on `channel`, concatenated. */
  channel(channel: number): string {
    return Buffer.concat(this.messages.filter((m) => m.binary && m.data[0] === channel).map((m) => m.data.subarray(1))).toString("utf8");
  }

  statuses(): any[] {
    return this.messages.filter((m) => m.binary && m.data[0] === 0x03).map((m) => JSON.parse(m.data.subarray(1).toString("utf8")));
  }

  sendFrame(channel: number, payload: string | Buffer = Buffer.alloc(0)): void {
    this.ws.send(Buffer.concat([Buffer.from([channel]), typeof payload === "string" ? Buffer.from(payload) : payload]));
  }
}

/** An upgrade the server refuses: its HTTP status, headers and JSON body. */
export function refusal(
  url: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<{ status: number; headers: IncomingMessage["headers"]; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("error", () => undefined);
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
  });
}
