import net from "node:net";
import { start, type Harness } from "./helpers";

// What node:http's parser refuses is answered by the emulator in the service's error shape: each such answer is
// also one log line with the status sent, like every other request (a 431 was missing, a bad chunked body was
// logged with status 0).

jest.setTimeout(30_000);

let h: Harness;
const lines: string[] = [];
beforeAll(async () => {
  h = await start({ log: (line) => lines.push(line) });
});
afterAll(() => h.emu.close());

/** Writes `data` on a fresh socket; resolves with the response once the server closes the connection. */
function exchange(data: string): Promise<{ status: number; requestId?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(new URL(h.emu.url).port), "127.0.0.1", () => socket.write(data));
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (text += d));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), requestId: /x-amzn-RequestId: (\S+)/i.exec(text)?.[1] }));
  });
}

async function lineFor(requestId: string): Promise<string[]> {
  for (let i = 0; i < 100 && !lines.some((l) => l.includes(`requestId=${requestId}`)); i++) await new Promise((r) => setTimeout(r, 20));
  return lines.filter((l) => l.includes(`requestId=${requestId}`));
}

it("headers past the limit: 431, and one log line with 431", async () => {
  const res = await exchange(`GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`);
  expect(res.status).toBe(431);
  const logged = await lineFor(res.requestId!);
  expect(logged).toHaveLength(1);
  expect(logged[0]!.split(" ")[3]).toBe("431");
});

it("a malformed chunked body: 400, and the invocation's one log line says 400, not 0", async () => {
  const before = h.emu.requests.length;
  const res = await exchange(
    `POST /runtimes/${encodeURIComponent(h.emu.runtimeArn)}/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${h.token}\r\n` +
      "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
  );
  expect(res.status).toBe(400);
  const logged = await lineFor(res.requestId!);
  expect(logged).toHaveLength(1);
  expect(logged[0]!.split(" ")[3]).toBe("400");
  expect(logged[0]).toContain("op=invocations");
  expect(h.emu.requests.slice(before).map((r) => [r.op, r.status, r.requestId])).toEqual([["invocations", 400, res.requestId]]);
});
