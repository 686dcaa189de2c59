// The SDK end to end against the local emulator: every operation, printed as it happens.
// Run with `npm run demo` (it builds first). Exits non-zero if anything does not behave as shown.
import { randomUUID } from "node:crypto";
import {
  RuntimeClient,
  InvokeCommand,
  InvokeStreamCommand,
  ExecuteCommandCommand,
  ExecuteCommandStreamCommand,
  StopSessionCommand,
  ResourceNotFoundException,
} from "@agentcore-runtime/client";
import { startEmulator } from "@agentcore-runtime/emulator";

function check(condition, what) {
  if (!condition) throw new Error(`demo check failed: ${what}`);
}

const emulator = await startEmulator({ port: 0, exec: true });
const token = await emulator.issueToken();
const client = new RuntimeClient({ endpoint: emulator.url, token });
const runtimeArn = emulator.runtimeArn;
const sessionId = `demo-${randomUUID()}`;
console.log(`emulator at ${emulator.url}\nruntime   ${runtimeArn}\nsession   ${sessionId}\n`);

try {
  console.log("1. blocking invoke (JSON)");
  const reply = await client.send(new InvokeCommand({ runtimeArn, sessionId, payload: { prompt: "Hello, agent" }, accept: "application/json" }));
  console.log(`   ${reply.statusCode} ${reply.contentType} → ${JSON.stringify(reply.json)}`);
  check(reply.text.includes("Hello, agent"), "the blocking reply echoes the prompt");

  console.log("2. streamed invoke (SSE), token by token");
  process.stdout.write("   ");
  const { stream } = await client.send(new InvokeStreamCommand({ runtimeArn, sessionId, payload: { prompt: "stream me a few words please" } }));
  let tokens = 0;
  for await (const event of stream) {
    process.stdout.write(`[${event.text}]`);
    tokens++;
  }
  console.log(`\n   ${tokens} events`);
  check(tokens > 3, "the reply streamed as several events");

  console.log("3. a command with stdout, stderr and a non-zero exit code");
  const run = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "echo to stdout; echo to stderr >&2; exit 3", timeout: 10 }));
  console.log(`   exitCode=${run.exitCode} status=${run.status} stdout=${JSON.stringify(run.stdout)} stderr=${JSON.stringify(run.stderr)}`);
  check(run.exitCode === 3 && run.status === "COMPLETED" && run.stdout === "to stdout\n" && run.stderr === "to stderr\n", "command outcome");

  console.log("4. files persist within the session; output streamed as it is produced");
  const streamed = await client.send(
    new ExecuteCommandStreamCommand({ runtimeArn, sessionId, command: "echo kept > note.txt; for i in 1 2 3; do echo line $i; sleep 0.1; done; cat note.txt" }),
  );
  for await (const event of streamed.stream) {
    if ("contentDelta" in event) process.stdout.write(`   ${JSON.stringify(event.contentDelta)}\n`);
    if ("contentStop" in event) console.log(`   stop: ${JSON.stringify(event.contentStop)}`);
  }

  console.log("5. a command that times out");
  const slow = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "sleep 30", timeout: 1 }));
  console.log(`   exitCode=${slow.exitCode} status=${slow.status}`);
  check(slow.status === "TIMED_OUT", "the slow command timed out");

  console.log("6. stop the session");
  const stopped = await client.send(new StopSessionCommand({ runtimeArn, sessionId }));
  console.log(`   ${stopped.statusCode}, session ${stopped.sessionId} stopped`);
  const again = await client.send(new StopSessionCommand({ runtimeArn, sessionId })).catch((e) => e);
  console.log(`   stopping it again: ${again.name} (${again.statusCode}) "${again.message}"`);
  check(ResourceNotFoundException.isInstance(again), "a stopped session is gone");

  console.log("\nall operations behaved as expected");
} finally {
  client.destroy();
  await emulator.close();
}
