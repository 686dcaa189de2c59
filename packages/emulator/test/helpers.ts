import { readFileSync } from "node:fs";
import { EventStreamCodec, type Message } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { startEmulator, type Emulator, type EmulatorOptions } from "../src";

export const SESSION = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id";
export const FAULT = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault";

/** A valid session id (33–256 chars) unique per call. */
let counter = 0;
export function sessionId(label = "s"): string {
  return `${label}-${process.pid}-${Date.now()}-${++counter}`.padEnd(40, "0");
}

export interface Harness {
  emu: Emulator;
  token: string;
  opUrl(op: string, query?: string): string;
  post(op: string, init?: { body?: BodyInit | object; headers?: Record<string, string>; token?: string | null; query?: string; signal?: AbortSignal }): Promise<Response>;
}

export async function start(options: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator(options);
  const token = await emu.issueToken();
  const opUrl = (op: string, query?: string) =>
    `${emu.url}/runtimes/${encodeURIComponent(emu.runtimeArn)}/${op}${query ? `?${query}` : ""}`;
  return {
    emu,
    token,
    opUrl,
    post(op, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const bearer = init.token === undefined ? token : init.token;
      if (bearer !== null) headers.Authorization = `Bearer ${bearer}`;
      let body = init.body;
      if (body !== undefined && typeof body === "object" && !(body instanceof Uint8Array) && !(typeof body === "string")) {
        body = JSON.stringify(body);
        headers["Content-Type"] ??= "application/json";
      }
      return fetch(opUrl(op, init.query), { method: "POST", headers, body: body as BodyInit | undefined, signal: init.signal });
    },
  };
}

let codec: EventStreamCodec | undefined;
const getCodec = () => (codec ??= new EventStreamCodec(toUtf8, fromUtf8));

/** Splits a whole event-stream body into decoded messages (each CRC checked by the codec). */
export function decodeFrames(body: Uint8Array): Message[] {
  const out: Message[] = [];
  let offset = 0;
  while (offset < body.byteLength) {
    const total = new DataView(body.buffer, body.byteOffset + offset).getUint32(0);
    out.push(getCodec().decode(body.subarray(offset, offset + total)));
    offset += total;
  }
  return out;
}

export function headerValues(message: Message): Record<string, unknown> {
  return Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, v.value]));
}

export function payloadOf(message: Message): any {
  return JSON.parse(toUtf8(message.body));
}

export interface CommandOutcome {
  events: any[];
  stdout: string;
  stderr: string;
  stop?: { exitCode: number; status: string };
  frames: Message[];
}

export function commandOutcome(body: Uint8Array): CommandOutcome {
  const frames = decodeFrames(body);
  const events = frames.filter((f) => f.headers[":message-type"]?.value === "event").map(payloadOf);
  let stdout = "";
  let stderr = "";
  let stop: CommandOutcome["stop"];
  for (const e of events) {
    if (e.contentDelta?.stdout) stdout += e.contentDelta.stdout;
    if (e.contentDelta?.stderr) stderr += e.contentDelta.stderr;
    if (e.contentStop) stop = e.contentStop;
  }
  return { events, stdout, stderr, stop, frames };
}

export async function runCommand(h: Harness, body: object, headers: Record<string, string> = {}): Promise<CommandOutcome & { res: Response }> {
  const res = await h.post("commands", { body, headers });
  if (res.status !== 200) throw new Error(`commands answered ${res.status}: ${await res.text()}`);
  return { ...commandOutcome(new Uint8Array(await res.arrayBuffer())), res };
}

/** The `data:` values of a complete SSE body. */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) =>
      block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n"),
    );
}

/** Reads a body stream until it ends or fails; returns what arrived and how it ended. */
export async function drain(res: Response): Promise<{ bytes: Uint8Array; text: string; error?: unknown }> {
  const chunks: Uint8Array[] = [];
  let error: unknown;
  try {
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch (err) {
    error = err;
  }
  const bytes = Buffer.concat(chunks);
  return { bytes, text: bytes.toString("utf8"), error };
}

export function errorName(res: Response): string | undefined {
  return res.headers.get("x-amzn-errortype")?.split(":")[0];
}

/** Gone, or a zombie waiting for a reaper (PID 1 in a container may never reap it). */
export function isDead(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

/** Polls until the predicate holds; rejects after timeoutMs. */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls for up to 10 s (a loaded machine may take a while to deliver the kill and reap). */
export async function waitDead(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const started = Date.now();
  while (!isDead(pid) && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 20));
  return isDead(pid);
}

/** Reads a body until it ends; rejects if the connection is cut. */
export async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    chunks.push(value);
  }
}
