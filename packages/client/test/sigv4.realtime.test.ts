import { inspect } from "node:util";
import { startEmulator, type Emulator } from "@agentcore-runtime/emulator";
import { connectWebSocket, openShell, RuntimeClient } from "@agentcore-runtime/client";
import { getPresignedWebSocketUrl, getSignedWebSocketConnection } from "@agentcore-runtime/client/sigv4";

/** IAM runtimes over WebSocket: a SigV4-signed (or presigned) connection handed to connectWebSocket and openShell. */
const CREDS = { accessKeyId: "AKIAEMULATORTEST0001", secretAccessKey: "emulator/secret+key0123456789abcdefghijkl", };
const TEMP = { accessKeyId: "ASIAEMULATORTEMP0001", secretAccessKey: "temporary/secret+key0123456789abcdefghij", sessionToken: "IQoJtemporary//token+value==" };

let emu: Emulator;
let arn: string;
let client: RuntimeClient;
beforeAll(async () => {
  emu = await startEmulator({ region: "eu-west-1", sigv4RuntimeId: "iam_agent-abcdefghij", auth: { credentials: [CREDS, TEMP] } });
  arn = emu.sigv4RuntimeArn!;
  // no token: an IAM runtime is reached only through the signed connection
  client = new RuntimeClient({ endpoint: emu.url });
});
afterAll(async () => {
  client.destroy();
  await emu.close();
});

const SESSION = "sigv4-realtime-session-0123456789-abcdef";

test("connectWebSocket with SigV4-signed upgrade headers echoes messages", async () => {
  const conn = await connectWebSocket(client, { runtimeArn: arn }, { connection: (t) => getSignedWebSocketConnection({ runtimeArn: arn, sessionId: t.sessionId ?? SESSION }, { credentials: TEMP, endpoint: emu.url }) });
  conn.send("hello");
  const first = await conn[Symbol.asyncIterator]().next();
  expect(first.value).toBe(JSON.stringify({ echo: "hello" }));
  conn.close();
});

test("connectWebSocket with a presigned URL (no headers at all)", async () => {
  const conn = await connectWebSocket(client, { runtimeArn: arn }, { connection: () => getPresignedWebSocketUrl({ runtimeArn: arn, sessionId: SESSION }, { credentials: CREDS, endpoint: emu.url, expiresIn: 60 }) });
  expect(conn.sessionId).toBe(SESSION);
  conn.send(new Uint8Array([1, 2, 3]));
  const first = await conn[Symbol.asyncIterator]().next();
  expect([...(first.value as Uint8Array)]).toEqual([1, 2, 3]);
  conn.close();
});

test("a wrong signature is refused with the service's 403, and no credential reaches the error", async () => {
  const error = await connectWebSocket(client, { runtimeArn: arn }, {
    connection: () => getSignedWebSocketConnection({ runtimeArn: arn, sessionId: SESSION }, { credentials: { ...TEMP, secretAccessKey: "wrong/secret+key0123456789abcdefghijklm" }, endpoint: emu.url }),
  }).catch((e) => e);
  expect(error).toMatchObject({ statusCode: 403 });
  const rendered = `${String(error)} ${error.stack} ${JSON.stringify(error)} ${inspect(error, { showHidden: true, depth: 12 })}`;
  for (const secret of [TEMP.sessionToken, "wrong/secret+key0123456789abcdefghijklm"]) expect(rendered).not.toContain(secret);
});

test("openShell asks the connection function for every connect, with its session and shell ids", async () => {
  const targets: { sessionId?: string; shellId?: string }[] = [];
  const shell = await openShell(client, { runtimeArn: arn, sessionId: SESSION, shellId: "iam-shell-1" }, {
    connection: (t) => {
      targets.push(t);
      return getSignedWebSocketConnection({ runtimeArn: arn, sessionId: t.sessionId!, shellId: t.shellId }, { credentials: CREDS, endpoint: emu.url });
    },
  });
  expect(targets).toEqual([{ sessionId: SESSION, shellId: "iam-shell-1" }]);
  shell.write("exit 4\n");
  await expect(shell.exit).resolves.toMatchObject({ exitCode: 4 });
});
