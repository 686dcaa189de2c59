import http from "node:http";
import net from "node:net";
import { start, type Harness } from "./helpers";

// node:http's own timers against the README's Limits: a slow upload that keeps sending is read however long it
// takes (only a body with no data for bodyIdleTimeoutSeconds is cut), and a request head that never completes is
// still dropped (headersTimeout, against slowloris). Node's defaults (requestTimeout 300 s, headersTimeout 60 s,
// checked every 30 s) are scaled down here to 1 s, checked every 100 ms; what the emulator sets itself is kept.

jest.setTimeout(30_000);

const SCALED_MS = 1000;

let h: Harness;
const lines: string[] = [];
let given: http.ServerOptions | undefined;
beforeAll(async () => {
  const createServer = http.createServer;
  const spy = jest.spyOn(http, "createServer").mockImplementation(((options: http.ServerOptions, listener: http.RequestListener) => {
    given = options;
    // the emulator's own headersTimeout (60 s) scaled down too: what it is set to is checked below
    return createServer({ requestTimeout: SCALED_MS, connectionsCheckingInterval: 100, ...options, headersTimeout: SCALED_MS }, listener);
  }) as typeof http.createServer);
  try {
    h = await start({ log: (line) => lines.push(line) });
  } finally {
    spy.mockRestore();
  }
});
afterAll(() => h.emu.close());

/** Sends `head`, then `body` one byte every `everyMs`; resolves with what came back once the server closes or answers. */
function dribble(head: string, body: string, everyMs: number): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(new URL(h.emu.url).port), "127.0.0.1");
    const started = Date.now();
    let text = "";
    let sent = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    const done = () => {
      clearInterval(timer);
      socket.destroy();
      resolve({ text, ms: Date.now() - started });
    };
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      text += d;
      // a whole response: its head and a body of its Content-Length
      const end = text.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
      if (end >= 0 && text.length - end - 4 >= length) done();
    });
    socket.on("error", () => undefined);
    socket.on("close", done);
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < body.length) socket.write(body[sent++]!);
      }, everyMs);
    });
  });
}

it("a slow upload that keeps sending is read however long it takes: Node's requestTimeout is off", async () => {
  const body = JSON.stringify({ prompt: "slow but steady" });
  const head =
    `POST /runtimes/${encodeURIComponent(h.emu.runtimeArn)}/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Authorization: Bearer ${h.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  // ~3 s of body (three times the scaled requestTimeout), never idle for more than 100 ms
  const res = await dribble(head, body, 3 * SCALED_MS / body.length);
  expect(res.text.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  expect(res.text).toContain('"response":"You said: slow but steady"');
  expect(res.ms).toBeGreaterThan(2 * SCALED_MS);
});

it("the emulator sets headersTimeout itself: with requestTimeout 0, node:http's default would be no limit at all", () => {
  expect(given?.requestTimeout).toBe(0);
  expect(given?.headersTimeout).toBe(60_000);
  // what node:http makes of requestTimeout 0 alone (the defect: heads that never complete were kept for ever)
  const bare = http.createServer({ requestTimeout: 0 });
  expect(bare.headersTimeout).toBe(0);
});

it("a request head dribbled past headersTimeout is still dropped, answered 408 in the service's shape and logged", async () => {
  const before = h.emu.requests.length;
  const head = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  // header lines that never end the head, one byte every 50 ms
  const res = await dribble(head, "X-Slow: 1\r\n".repeat(100), 50);
  expect(res.text.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
  expect(res.text).toMatch(/x-amzn-ErrorType: ValidationException:/);
  expect(res.ms).toBeLessThan(10 * SCALED_MS);
  // no request was parsed, so none is recorded; the answer is logged
  expect(h.emu.requests.length).toBe(before);
  const requestId = /x-amzn-RequestId: (\S+)/i.exec(res.text)![1];
  expect(lines.filter((line) => line.includes(`requestId=${requestId}`)).map((line) => line.split(" ")[3])).toEqual(["408"]);
});
