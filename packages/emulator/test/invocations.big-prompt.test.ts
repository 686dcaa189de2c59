import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";

// The default agent answers a large prompt (the payload limit is 100 MB) in a few times its size: it once split
// the whole reply into word tokens at once and joined them again, about 30 times the payload in memory. The
// emulator runs as its own process here with a small heap, so holding every token at once makes it fail.

jest.setTimeout(60_000);

const BIN = join(__dirname, "../dist/bin.js");
const MiB = 2 ** 20;
/** 8 million one-letter words: 16 MB of prompt. */
const WORDS = 8_000_000;
/** The emulator's heap: room for a few copies of the prompt, far from room for its words one by one. */
const HEAP_MB = 160;

interface Running {
  child: ChildProcessWithoutNullStreams;
  info: { url: string; runtimeArn: string; token: string };
  stderr: () => string;
}

function run(): Promise<Running> {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, BIN, "--port", "0"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const end = out.indexOf("\n");
      if (end >= 0) resolve({ child, info: JSON.parse(out.slice(0, end)), stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`bin exited (${code}) before printing: ${err}`)));
  });
}

/** POSTs `body`; resolves with the status and the response's length and ends, or the error that cut it. */
function invoke(bin: Running, body: Buffer, accept: string, stopAfter = Infinity): Promise<{ status?: number; bytes: number; head: string; tail: string; error?: string }> {
  const url = `${bin.info.url}/runtimes/${encodeURIComponent(bin.info.runtimeArn)}/invocations`;
  return new Promise((resolve) => {
    let bytes = 0;
    let head = "";
    let tail = "";
    const req = http.request(
      url,
      { method: "POST", agent: false, headers: { Authorization: `Bearer ${bin.info.token}`, Accept: accept, "Content-Type": "application/json" } },
      (res) => {
        res.on("data", (c: Buffer) => {
          bytes += c.byteLength;
          if (head.length < 64) head = (head + c.toString("latin1")).slice(0, 64);
          tail = (tail + c.toString("latin1")).slice(-64);
          if (bytes >= stopAfter) {
            req.destroy();
            resolve({ status: res.statusCode, bytes, head, tail });
          }
        });
        res.on("end", () => resolve({ status: res.statusCode, bytes, head, tail }));
        res.on("error", (e) => resolve({ status: res.statusCode, bytes, head, tail, error: String(e) }));
      },
    );
    req.on("error", (e) => resolve({ bytes, head, tail, error: String(e) }));
    req.end(body);
  });
}

const prompt = "a ".repeat(WORDS);
const body = Buffer.from(JSON.stringify({ prompt }));

describe(`the default agent, a ${Math.round(body.byteLength / MiB)} MiB prompt, an emulator heap of ${HEAP_MB} MB`, () => {
  // one emulator per case, so each shows its own outcome
  let bin: Running;
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error("packages/emulator/dist/bin.js is missing: run `npx tsup` first");
  });
  beforeEach(async () => {
    bin = await run();
  });
  afterEach(() => {
    bin.child.kill("SIGKILL");
  });

  it("JSON: the whole reply, the emulator still running", async () => {
    const res = await invoke(bin, body, "application/json");
    expect({ status: res.status, error: res.error, crashed: bin.child.exitCode !== null || bin.child.signalCode !== null }).toEqual({
      status: 200,
      error: undefined,
      crashed: false,
    });
    const expected = JSON.stringify({ response: `You said: ${prompt}`, sessionId: "x".repeat(36) });
    expect(res.head).toBe(expected.slice(0, 64));
    expect(res.tail).toMatch(/a a ","sessionId":"[0-9a-f-]{36}"\}$/);
    expect(res.bytes).toBe(expected.length);
  });

  it("SSE: the first word tokens arrive without the emulator splitting the whole prompt first", async () => {
    const res = await invoke(bin, body, "text/event-stream", 64 * 1024);
    expect({ status: res.status, error: res.error, crashed: bin.child.exitCode !== null || bin.child.signalCode !== null }).toEqual({
      status: 200,
      error: undefined,
      crashed: false,
    });
    expect(res.head).toBe(`data: "You "\n\ndata: "said: "\n\n${'data: "a "\n\n'.repeat(4)}`.slice(0, 64));
    // the emulator is still there to answer
    expect((await fetch(`${bin.info.url}/ping`)).status).toBe(200);
  });
});
