/**
 * What happens to an upgrade's socket that ws never takes (from a review, each reproduced first): node:http's
 * closeAllConnections does not reach an upgrade's socket, so a refusal to a client that held its side open left a
 * half-open socket that close() waited for (and the process could not exit), and an upgrade still waiting when the
 * emulator closed (a delayed refusal) was never answered nor closed. Also: an upgrade is judged by Host and Origin
 * before its route, as the HTTP routes are.
 */
import net from "node:net";
import { startEmulator, type Emulator } from "../src";
import { FAULT, sessionId } from "./helpers";
import { refusal, until, wsBase } from "./wsHelpers";

/** A raw upgrade request for `path`; the socket keeps its side open when the server ends (allowHalfOpen). */
async function rawUpgrade(emu: Emulator, path: string, headers: Record<string, string> = {}): Promise<{ socket: net.Socket; port: number; answer: () => string; closed: () => boolean }> {
  const { port } = new URL(emu.url);
  const socket = net.connect({ port: Number(port), host: "127.0.0.1", allowHalfOpen: true });
  socket.on("error", () => undefined);
  let answer = "";
  let closed = false;
  socket.on("data", (c: Buffer) => (answer += c.toString()));
  // (the server's FIN: with allowHalfOpen the client's own side stays open, so "close" would wait for us)
  socket.on("end", () => (closed = true));
  socket.on("close", () => (closed = true));
  await new Promise((r) => socket.once("connect", r));
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${new URL(emu.url).host}`, "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  return { socket, port: socket.localPort!, answer: () => answer, closed: () => closed };
}

/** The emulator's own sockets (this process) whose peer is the client socket of local port `port`. */
function serverSide(port: number): net.Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h): h is net.Socket => h instanceof net.Socket && h.remotePort === port && !h.destroyed);
}

const wsPath = (emu: Emulator) => `/runtimes/${encodeURIComponent(emu.runtimeArn)}/ws`;

test("a refused upgrade's socket is closed once the refusal is out, though the client holds its side open", async () => {
  const emu = await startEmulator();
  try {
    const { socket, port, answer } = await rawUpgrade(emu, wsPath(emu), { [`X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`]: sessionId("half") });
    await until(() => answer().includes("\r\n\r\n"), "the refusal");
    expect(answer()).toMatch(/^HTTP\/1\.1 401 /);
    // (it stayed: half-open, the server's FIN sent, its socket kept until the client closed)
    await until(() => serverSide(port).length === 0, "the server's socket to go");
    socket.destroy();
  } finally {
    await emu.close();
  }
});

test("close() ends an upgrade still waiting for its answer (a delayed refusal)", async () => {
  const emu = await startEmulator();
  const token = await emu.issueToken();
  const { port, answer, closed } = await rawUpgrade(emu, `${wsPath(emu)}?${new URLSearchParams({ [FAULT]: "coldstart; delayMs=100000" })}`, { Authorization: `Bearer ${token}` });
  await until(() => serverSide(port).length === 1, "the connection");
  // the upgrade parsed and waiting in its fault (nothing outside shows that moment)
  await new Promise((r) => setTimeout(r, 300));
  await emu.close();
  // (it got no answer and no FIN: the client waited forever)
  await until(closed, "the server to end the connection");
  expect(answer()).toBe("");
  expect(serverSide(port)).toEqual([]);
});

test("an upgrade is judged by Host and Origin before its route, as the HTTP routes are", async () => {
  const emu = await startEmulator();
  try {
    const token = await emu.issueToken();
    const unknown = `${wsBase(emu).replace(/\/runtimes\/.*$/, "")}/runtimes/${encodeURIComponent(emu.runtimeArn)}/nothing`;
    // (both were 404 UnknownOperationException)
    const host = await refusal(unknown, { headers: { Authorization: `Bearer ${token}`, Host: "evil.example" } });
    expect([host.status, host.body.message]).toEqual([403, expect.stringContaining("Host")]);
    const origin = await refusal(unknown, { headers: { Authorization: `Bearer ${token}`, Origin: "https://evil.example" } });
    expect([origin.status, origin.body.message]).toEqual([403, expect.stringContaining("Origin")]);
    const plain = await refusal(unknown, { headers: { Authorization: `Bearer ${token}` } });
    expect([plain.status, plain.headers["x-amzn-errortype"]]).toEqual([404, expect.stringContaining("UnknownOperationException")]);
  } finally {
    await emu.close();
  }
});
