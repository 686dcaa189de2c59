/**
 * A response made by a middleware, not by the transport: the way AWS SDK users mock, cache or replay calls is a
 * deserialize-step middleware below the deserializer (priority "low") that returns `new HttpResponse({ body })`
 * with a Node stream, a ReadableStream, bytes or a string as the body. The deserializers took such a body for the
 * client's own reader: with a Node Readable (whose `take()` returns a stream) a JSON invoke and a stop spun at
 * 100% CPU for ever, blocking the event loop, and every other command failed with a raw TypeError.
 *
 * Each command's real response is recorded from the emulator (a recording middleware at the same place), then
 * replayed with no server in reach in each body form, and the outputs compared with the real ones. The replay runs
 * in a child process that is killed after a while, since the failure mode was a process that never yields.
 */
import { runNodeScript } from "./helpers/child";

const SCRIPT = String.raw`
const { Readable } = require("node:stream");
const { HttpResponse } = require("@smithy/protocol-http");
const { startEmulator } = require("./packages/emulator/dist/index.js");
const c = require("./packages/client/dist/index.js");

// (a string only for text bodies)
const bodyForms = {
  bytes: (b) => b,
  string: (b) => Buffer.from(b).toString("utf8"),
  "node stream in 7-byte pieces": (b) => Readable.from(Array.from({ length: Math.ceil(b.length / 7) }, (_, i) => Buffer.from(b.subarray(i * 7, i * 7 + 7)))),
  "web ReadableStream": (b) => new Blob([b]).stream(),
  // its reader: read() gives { done, value } (taken for a chunk, it spun the CPU for ever)
  "web ReadableStream reader": (b) => new Blob([b]).stream().getReader(),
  // a middleware's own reader, in 5-byte chunks, with a cancel() that returns nothing
  "own { read, cancel }": (b) => {
    let at = 0;
    return { read: async () => (at < b.length ? b.subarray(at, (at += 5)) : undefined), cancel() {} };
  },
};

// what a command's output is, comparable across runs
async function outcome(out) {
  const { $metadata, stream, sessionId, ...rest } = out;
  const events = [];
  if (stream) for await (const e of stream) events.push(e);
  return JSON.stringify({ ...rest, body: rest.body ? Buffer.from(rest.body).toString("utf8") : undefined, events });
}

(async () => {
  const emulator = await startEmulator({ port: 0, exec: true });
  const token = await emulator.issueToken();
  const runtimeArn = emulator.runtimeArn;
  const runtimeSessionId = "replay-session-0123456789-0123456789-01";
  const commands = {
    "InvokeCommand (JSON)": () => new c.InvokeCommand({ runtimeArn, sessionId: runtimeSessionId, payload: { prompt: "replayed json" }, accept: "application/json" }),
    "InvokeCommand (SSE)": () => new c.InvokeCommand({ runtimeArn, sessionId: runtimeSessionId, payload: { prompt: "replayed sse" }, accept: "text/event-stream" }),
    InvokeStreamCommand: () => new c.InvokeStreamCommand({ runtimeArn, sessionId: runtimeSessionId, payload: { prompt: "replayed stream" }, accept: "text/event-stream" }),
    ExecuteCommandCommand: () => new c.ExecuteCommandCommand({ runtimeArn, sessionId: runtimeSessionId, command: "printf 'out-%s' 1; printf err >&2; exit 3" }),
    ExecuteCommandStreamCommand: () => new c.ExecuteCommandStreamCommand({ runtimeArn, sessionId: runtimeSessionId, command: "printf streamed" }),
    StopSessionCommand: () => new c.StopSessionCommand({ runtimeArn, sessionId: runtimeSessionId }),
  };
  const results = {};
  const live = new c.RuntimeClient({ endpoint: emulator.url, token });
  for (const [name, make] of Object.entries(commands)) {
    let recorded;
    // the recorder sits where a mock would, reads the transport's body whole and hands on bytes (a replay itself)
    const recorder = (next) => async (args) => {
      const { response } = await next(args);
      const chunks = [];
      for (let chunk; (chunk = await response.body.read()) !== undefined; ) chunks.push(chunk);
      recorded = { statusCode: response.statusCode, headers: { ...response.headers }, body: Buffer.concat(chunks) };
      return { response: new HttpResponse({ ...recorded, body: recorded.body }) };
    };
    const command = make();
    command.middlewareStack.add(recorder, { step: "deserialize", priority: "low", name: "recorder" });
    const real = await outcome(await live.send(command));
    results[name] = { real, replays: {} };
    for (const [form, toBody] of Object.entries(bodyForms)) {
      // (an event stream is binary: as a UTF-8 string it would be other bytes)
      if (form === "string" && name.startsWith("Execute")) continue;
      // nothing listens there: only the replay can answer
      const offline = new c.RuntimeClient({ endpoint: "http://127.0.0.1:9", token, maxAttempts: 1 });
      const replayed = make();
      replayed.middlewareStack.add(() => async () => ({ response: new HttpResponse({ ...recorded, body: toBody(recorded.body) }) }), { step: "deserialize", priority: "low", name: "replay" });
      try {
        results[name].replays[form] = await outcome(await offline.send(replayed));
      } catch (e) {
        results[name].replays[form] = "threw " + e?.name + ": " + e?.message;
      }
      offline.destroy();
    }
  }
  live.destroy();
  await emulator.close();
  process.stdout.write(JSON.stringify(results));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

test("each command's real response, replayed by a middleware as bytes, a string, a Node stream, a ReadableStream, its reader or a reader of its own, gives the real output", async () => {
  const r = await runNodeScript(SCRIPT, { timeoutMs: 60_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const results: Record<string, { real: string; replays: Record<string, string> }> = JSON.parse(r.stdout);
  expect(Object.keys(results)).toHaveLength(6);
  // the recordings are real answers
  expect(results["InvokeCommand (JSON)"].real).toContain("replayed json");
  expect(results["InvokeCommand (SSE)"].real).toContain("replayed");
  expect(results.InvokeStreamCommand.real).toContain("stream");
  expect(results.ExecuteCommandCommand.real).toContain('"exitCode":3');
  expect(results.ExecuteCommandStreamCommand.real).toContain("streamed");
  expect(results.StopSessionCommand.real).toContain('"statusCode":200');
  for (const [name, { real, replays }] of Object.entries(results)) {
    expect(Object.keys(replays)).toHaveLength(name.startsWith("Execute") ? 5 : 6);
    for (const [form, got] of Object.entries(replays)) expect([name, form, got]).toEqual([name, form, real]);
  }
}, 90_000);
