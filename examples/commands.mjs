// Test automation: run commands in an agent's session and check their results, as a CI step would.
// Exits 0 when every check passes, 1 otherwise.
//
//   AGENT_ARN=… AGENTCORE_TOKEN=… node examples/commands.mjs
import { randomUUID } from "node:crypto";
import { ExecuteCommandCommand, ExecuteCommandStreamCommand, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";

const client = new RuntimeClient({ token: process.env.AGENTCORE_TOKEN });
const runtimeArn = process.env.AGENT_ARN;
const sessionId = `ci-${randomUUID()}`;
let failures = 0;

function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

try {
  // blocking: the whole output and the exit code
  const written = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "echo ready > state.txt && cat state.txt", timeout: 30 }));
  check(written.exitCode === 0 && written.stdout === "ready\n", `write a file (exit ${written.exitCode})`);

  // the session keeps its working directory between commands
  const again = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "cat state.txt", timeout: 30 }));
  check(again.stdout === "ready\n", "the file is still there in the same session");

  // a failing command is a result, not an exception
  const missing = await client.send(new ExecuteCommandCommand({ runtimeArn, sessionId, command: "ls does-not-exist", timeout: 30 }));
  check(missing.exitCode !== 0 && missing.stderr.length > 0, `a failing command reports exit ${missing.exitCode} and stderr`);

  // streaming: output as it is produced
  const { stream } = await client.send(new ExecuteCommandStreamCommand({ runtimeArn, sessionId, command: "for i in 1 2 3; do echo line $i; done", timeout: 30 }));
  let out = "";
  let exit;
  for await (const event of stream) {
    if (event.contentDelta?.stdout) out += event.contentDelta.stdout;
    if (event.contentStop) exit = event.contentStop.exitCode;
  }
  check(out === "line 1\nline 2\nline 3\n" && exit === 0, "streamed output, in order, exit 0");
} finally {
  await client.send(new StopSessionCommand({ runtimeArn, sessionId })).catch(() => undefined);
  client.destroy();
}
console.log(failures === 0 ? "all checks passed" : `${failures} check(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
