import v8 from "node:v8";
import vm from "node:vm";
import { startEmulator, type Emulator } from "../src";
import { sessionId } from "./helpers";
import { Client, SESSION_HEADER, until, wsBase } from "./wsHelpers";

// A scripted shell's stdin line is capped like a terminal's line buffer: input that never sends CR or LF must
// not grow the emulator's memory without bound (it once kept every character, ~12 bytes of heap per byte).

jest.setTimeout(30_000);

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const MiB = 2 ** 20;

const STDIN = 0x00;
const STDOUT = 0x01;
const HEARTBEAT = 0x05;

let emu: Emulator;
let token: string;
beforeAll(async () => {
  // many frames a second, so megabytes of input arrive quickly
  emu = await startEmulator({ wsMaxFramesPerSecond: 100_000 });
  token = await emu.issueToken();
});
afterAll(() => emu.close());

const open = (shellId: string) =>
  Client.open(`${wsBase(emu)}/ws/shells?shellId=${shellId}`, { token, headers: { [SESSION_HEADER]: sessionId("line-cap") } });

/** "aaab" → "a×3 b×1": a long echo compared (and shown when it differs) in a few words. */
function runs(text: string): string {
  return (text.match(/(.)\1*/gs) ?? []).map((run) => `${JSON.stringify(run[0])}×${run.length}`).join(" ");
}

/** Frames are handled in order: once a heartbeat sent after `data` is echoed, the shell has taken all of it. */
async function heartbeatAfter(client: Client, tag: string): Promise<void> {
  client.sendFrame(HEARTBEAT, tag);
  await until(() => client.messages.some((m) => m.data[0] === HEARTBEAT && m.data.subarray(1).toString() === tag), `heartbeat ${tag}`);
}

test("a line keeps its first 4096 characters; what is typed past them is dropped, editing still works", async () => {
  const client = await open("cap");
  await until(() => client.statuses().length === 1, "STATUS");
  client.sendFrame(STDIN, "a".repeat(3000));
  client.sendFrame(STDIN, "b".repeat(3000));
  client.sendFrame(STDIN, "c\x7f\x7fd\r");
  // 3000 a, 1096 b (the cap), the rest dropped; two erases take back the last two b, then d
  const expected = `${"a".repeat(3000)}${"b".repeat(1094)}d\r\n`;
  await until(() => client.channel(STDOUT).length >= expected.length, "the echoed line");
  expect(runs(client.channel(STDOUT))).toBe(runs(expected));
  client.sendFrame(STDIN, "after\n");
  await until(() => client.channel(STDOUT).endsWith("after\r\n"), "the next line");
  client.ws.close();
  await client.closed;
});

test("8 MiB of stdin without a line end leave the emulator's heap where it was", async () => {
  const client = await open("flood");
  await until(() => client.statuses().length === 1, "STATUS");
  await heartbeatAfter(client, "warm");
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const piece = "x".repeat(64 * 1024 - 1);
  for (let i = 0; i < 128; i++) client.sendFrame(STDIN, piece);
  await heartbeatAfter(client, "flooded");
  gc();
  const growth = process.memoryUsage().heapUsed - baseline;
  // every character kept was about 250 MiB here
  expect(growth).toBeLessThan(16 * MiB);
  client.sendFrame(STDIN, "\r");
  await until(() => client.channel(STDOUT).endsWith("\r\n"), "the line");
  expect(runs(client.channel(STDOUT))).toBe(runs(`${"x".repeat(4096)}\r\n`));
  client.ws.close();
  await client.closed;
});
