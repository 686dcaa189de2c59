/**
 * The emulator's SigV4 mode, checked with signatures from implementations this project did not write
 * (botocore's SigV4Auth / SigV4QueryAuth, the official AWS SDK v3 client) and from the client's sigv4 subpath:
 * accepted when right, refused with the service's 403s when the signature, the clock, the expiry, the key or
 * the auth method is wrong. One emulator serves a JWT runtime and a SigV4 runtime side by side.
 */
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, InvokeAgentRuntimeCommandCommand } from "@aws-sdk/client-bedrock-agentcore";
import WebSocket from "ws";
import { ExecuteCommandCommand, InvokeCommand, RuntimeClient, StopSessionCommand } from "@agentcore-runtime/client";
import { getPresignedWebSocketUrl, getSignedWebSocketConnection, sigv4Auth } from "@agentcore-runtime/client/sigv4";
import { amzDate, botocoreSign } from "../../client/test/helpers/botocore";
import { startEmulator, type Emulator } from "../src";
import { sessionId } from "./helpers";

const CREDS = { accessKeyId: "AKIAEMULATORTEST0001", secretAccessKey: "emulator/secret+key0123456789abcdefghijkl" };
const TEMP = { accessKeyId: "ASIAEMULATORTEMP0001", secretAccessKey: "temporary/secret+key0123456789abcdefghij", sessionToken: "IQoJtemporary//token+value==" };

let emu: Emulator;
let sigArn: string;
beforeAll(async () => {
  process.emitWarning = () => undefined;
  emu = await startEmulator({ region: "eu-west-1", sigv4RuntimeId: "iam_agent-abcdefghij", auth: { credentials: [CREDS, TEMP] } });
  sigArn = emu.sigv4RuntimeArn!;
});
afterAll(() => emu.close());

const opUrl = (arn: string, op: string, query = "") => `${emu.url}/runtimes/${encodeURIComponent(arn)}/${op}${query}`;

/** Signs with botocore at `at` and sends with fetch (the body may differ from what was signed). */
async function botoPost(op: string, body: string, opts: { creds?: typeof CREDS & { sessionToken?: string }; at?: Date; sendBody?: string; region?: string; arn?: string } = {}) {
  const url = opUrl(opts.arn ?? sigArn, op);
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": sessionId("boto"), host: new URL(url).host };
  const [signed] = botocoreSign([{ kind: "header", method: "POST", url, headers, body, region: opts.region ?? "eu-west-1", ...(opts.creds ?? CREDS), timestamp: amzDate(opts.at ?? new Date()) }]);
  const sent = { ...signed.headers };
  delete sent.host;
  return fetch(url, { method: "POST", headers: sent, body: opts.sendBody ?? body });
}

async function errorOf(res: Response) {
  return { status: res.status, type: res.headers.get("x-amzn-errortype")?.split(":")[0], message: ((await res.json()) as { message: string }).message };
}

test("a wrong qualifier on the SigV4 runtime is its endpoint not found, not the runtime (the message named the runtime)", async () => {
  for (const arn of [emu.runtimeArn, emu.sigv4RuntimeArn!]) {
    const res = await fetch(opUrl(arn, "invocations", "?qualifier=prod"), { method: "POST", headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": sessionId("qualifier") }, body: "{}" });
    expect(await errorOf(res)).toEqual({ status: 404, type: "ResourceNotFoundException", message: "Runtime endpoint not found: prod" });
  }
});

describe("requests signed by botocore", () => {
  test("an invocation and a command signed by botocore are accepted (long-term and temporary credentials)", async () => {
    const res = await botoPost("invocations", '{"prompt":"hi"}');
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const cmd = await botoPost("commands", '{"command":"echo hi"}', { creds: TEMP });
    expect(cmd.status).toBe(200);
    await cmd.arrayBuffer();
  });

  test("a body changed after signing: 403 InvalidSignatureException", async () => {
    const res = await botoPost("invocations", '{"prompt":"hi"}', { sendBody: '{"prompt":"ho"}' });
    expect(await errorOf(res)).toMatchObject({ status: 403, type: "InvalidSignatureException", message: expect.stringMatching(/signature we calculated does not match/) });
  });

  test("a wrong secret key: 403 InvalidSignatureException; an unknown key id or a missing session token: 403 UnrecognizedClientException", async () => {
    expect(await errorOf(await botoPost("invocations", "{}", { creds: { ...CREDS, secretAccessKey: "wrong/secret" } }))).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    expect(await errorOf(await botoPost("invocations", "{}", { creds: { ...CREDS, accessKeyId: "AKIAUNKNOWN000000000" } }))).toMatchObject({ status: 403, type: "UnrecognizedClientException" });
    expect(await errorOf(await botoPost("invocations", "{}", { creds: { accessKeyId: TEMP.accessKeyId, secretAccessKey: TEMP.secretAccessKey } }))).toMatchObject({ status: 403, type: "UnrecognizedClientException" });
  });

  test("clock skew over 5 minutes either way: 403 InvalidSignatureException; 4 minutes is fine", async () => {
    const past = await errorOf(await botoPost("invocations", "{}", { at: new Date(Date.now() - 6 * 60_000) }));
    expect(past).toMatchObject({ status: 403, type: "InvalidSignatureException", message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than/) });
    const future = await errorOf(await botoPost("invocations", "{}", { at: new Date(Date.now() + 6 * 60_000) }));
    expect(future).toMatchObject({ status: 403, type: "InvalidSignatureException", message: expect.stringMatching(/^Signature not yet current/) });
    const ok = await botoPost("invocations", "{}", { at: new Date(Date.now() - 4 * 60_000) });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  test("a signature for another region: 403 InvalidSignatureException", async () => {
    expect(await errorOf(await botoPost("invocations", "{}", { region: "us-east-1" }))).toMatchObject({ status: 403, type: "InvalidSignatureException", message: expect.stringMatching(/region/) });
  });

  test("a botocore presigned URL opens /ws; an expired one gets 403 before the upgrade", async () => {
    const base = `${emu.url.replace(/^http/, "ws")}/runtimes/${encodeURIComponent(sigArn)}/ws?X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${sessionId("ps")}`;
    const [fresh, stale] = botocoreSign([
      { kind: "query", method: "GET", url: base.replace(/^ws/, "http"), headers: {}, region: "eu-west-1", ...CREDS, timestamp: amzDate(new Date()), expires: 300 },
      { kind: "query", method: "GET", url: base.replace(/^ws/, "http"), headers: {}, region: "eu-west-1", ...CREDS, timestamp: amzDate(new Date(Date.now() - 120_000)), expires: 60 },
    ]);
    expect(await echo(fresh.url.replace(/^http/, "ws"), {})).toEqual({ echo: "ping" });
    expect(await refusal(stale.url.replace(/^http/, "ws"), {})).toMatchObject({ status: 403, type: "AccessDeniedException", message: expect.stringMatching(/expired/) });
  });
});

describe("requests signed by the official AWS SDK v3 client", () => {
  const official = (creds: object) => new BedrockAgentCoreClient({ region: "eu-west-1", endpoint: emu.url, credentials: creds as typeof CREDS, maxAttempts: 1 });

  test("InvokeAgentRuntime and InvokeAgentRuntimeCommand are accepted", async () => {
    const client = official(TEMP);
    const out = await client.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: sigArn, runtimeSessionId: sessionId("sdk"), payload: new TextEncoder().encode('{"prompt":"x"}') }));
    expect(out.statusCode).toBe(200);
    await out.response?.transformToByteArray();
    const cmd = await client.send(new InvokeAgentRuntimeCommandCommand({ agentRuntimeArn: sigArn, runtimeSessionId: sessionId("sdk"), body: { command: "echo sdk" } }));
    for await (const _ of cmd.stream ?? []);
    client.destroy();
  });

  test("a wrong secret: the SDK surfaces 403 InvalidSignatureException", async () => {
    const client = official({ ...CREDS, secretAccessKey: "not-the-secret" });
    const error = await client.send(new InvokeAgentRuntimeCommand({ agentRuntimeArn: sigArn, runtimeSessionId: sessionId("sdk"), payload: new Uint8Array(0) })).catch((e) => e);
    expect(error.name).toBe("InvalidSignatureException");
    expect(error.$metadata.httpStatusCode).toBe(403);
    client.destroy();
  });
});

describe("both kinds of runtime on one emulator", () => {
  test("a bearer token to the SigV4 runtime, and SigV4 to the JWT runtime: 403 Authorization method mismatch", async () => {
    const token = await emu.issueToken();
    const bearer = await fetch(opUrl(sigArn, "invocations"), { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: "{}" });
    expect(await errorOf(bearer)).toEqual({ status: 403, type: "AccessDeniedException", message: "Authorization method mismatch" });
    const sig = await botoPost("invocations", "{}", { arn: emu.runtimeArn });
    expect(await errorOf(sig)).toEqual({ status: 403, type: "AccessDeniedException", message: "Authorization method mismatch" });
    // and each runtime still takes its own kind
    const ok = await fetch(opUrl(emu.runtimeArn, "invocations"), { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: "{}" });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  test("no Authorization at all on the SigV4 runtime: 403 MissingAuthenticationTokenException", async () => {
    const res = await fetch(opUrl(sigArn, "invocations"), { method: "POST", body: "{}" });
    expect(await errorOf(res)).toMatchObject({ status: 403, type: "MissingAuthenticationTokenException" });
  });
});

describe("the client's sigv4 subpath against the emulator", () => {
  const client = () => {
    const c = new RuntimeClient({ endpoint: emu.url, maxAttempts: 1 });
    c.middlewareStack.use(sigv4Auth({ credentials: async () => TEMP }));
    return c;
  };

  test("every command, end to end", async () => {
    const c = client();
    const sid = sessionId("ours");
    const out = await c.send(new InvokeCommand({ runtimeArn: sigArn, sessionId: sid, payload: { prompt: "hello" } }));
    expect(out.statusCode).toBe(200);
    const cmd = await c.send(new ExecuteCommandCommand({ runtimeArn: sigArn, sessionId: sid, command: "echo signed" }));
    expect(cmd.exitCode).toBe(0);
    const stop = await c.send(new StopSessionCommand({ runtimeArn: sigArn, sessionId: sid }));
    expect(stop.statusCode).toBe(200);
    c.destroy();
  });

  test("a skewed clock is refused with 403, then corrected from the emulator's Date and signed again, as the AWS SDK does", async () => {
    const c = new RuntimeClient({ endpoint: emu.url, maxAttempts: 1 });
    c.middlewareStack.use(sigv4Auth({ credentials: CREDS, systemClockOffset: -10 * 60_000 }));
    const before = emu.requests.length;
    const out = await c.send(new InvokeCommand({ runtimeArn: sigArn, payload: {} }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(emu.requests.slice(before).map((r) => r.status)).toEqual([403, 200]);
    // the correction is kept: the next call is signed right the first time
    await c.send(new InvokeCommand({ runtimeArn: sigArn, payload: {} }));
    expect(emu.requests.slice(before).map((r) => r.status)).toEqual([403, 200, 200]);
    c.destroy();
  });

  test("signed WebSocket headers and presigned URLs open /ws and /ws/shells; bad ones are refused before the upgrade", async () => {
    const signed = await getSignedWebSocketConnection({ runtimeArn: sigArn, sessionId: sessionId("ws") }, { credentials: TEMP, endpoint: emu.url });
    expect(await echo(signed.url, signed.headers)).toEqual({ echo: "ping" });
    const presigned = await getPresignedWebSocketUrl({ runtimeArn: sigArn, sessionId: sessionId("ws"), headers: { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Who": "me" } }, { credentials: CREDS, endpoint: emu.url, expiresIn: 30 });
    expect(await echo(presigned.url, {})).toEqual({ echo: "ping" });
    const shell = await getPresignedWebSocketUrl({ runtimeArn: sigArn, sessionId: sessionId("sh"), shellId: "sig-shell" }, { credentials: CREDS, endpoint: emu.url });
    const status = await firstBinary(shell.url, {});
    expect(status[0]).toBe(0x03);
    expect(JSON.parse(Buffer.from(status.subarray(1)).toString())).toMatchObject({ kind: "Status", status: "Success", metadata: { shellId: "sig-shell" } });
    const expired = await getPresignedWebSocketUrl({ runtimeArn: sigArn }, { credentials: CREDS, endpoint: emu.url, expiresIn: 10, systemClockOffset: -60_000 });
    expect(await refusal(expired.url, {})).toMatchObject({ status: 403, type: "AccessDeniedException" });
    const tampered = presigned.url.replace(/(X-Amz-Signature=)(.)/, (_m, p, c) => `${p}${c === "0" ? "1" : "0"}`);
    expect(await refusal(tampered, {})).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    const wrongSession = { ...signed.headers, "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": sessionId("other") };
    expect(await refusal(signed.url, wrongSession)).toMatchObject({ status: 403, type: "InvalidSignatureException" });
    // the bearer subprotocol on the SigV4 runtime
    const token = await emu.issueToken();
    const url = `${emu.url.replace(/^http/, "ws")}/runtimes/${encodeURIComponent(sigArn)}/ws`;
    expect(await refusal(url, {}, [`base64UrlBearerAuthorization.${Buffer.from(token).toString("base64url")}`, "base64UrlBearerAuthorization"])).toMatchObject({
      status: 403,
      message: "Authorization method mismatch",
    });
  });
});

function open(url: string, headers: Record<string, string>, protocols?: string[]): WebSocket {
  return new WebSocket(url, protocols ?? [], { headers });
}

function echo(url: string, headers: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = open(url, headers);
    ws.on("open", () => ws.send("ping"));
    ws.on("message", (data) => {
      resolve(JSON.parse(String(data)));
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode} ${res.headers["x-amzn-errortype"]}`)));
    ws.on("error", reject);
  });
}

function firstBinary(url: string, headers: Record<string, string>): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const ws = open(url, headers);
    ws.on("message", (data, binary) => {
      if (!binary) return;
      resolve(new Uint8Array(data as Buffer));
      ws.send(Buffer.from([0xff]));
      ws.close();
    });
    ws.on("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on("error", reject);
  });
}

function refusal(url: string, headers: Record<string, string>, protocols?: string[]): Promise<{ status: number; type: string; message: string }> {
  return new Promise((resolve, reject) => {
    const ws = open(url, headers, protocols);
    ws.on("open", () => reject(new Error("the upgrade was accepted")));
    ws.on("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["x-amzn-errortype"]).split(":")[0], message: JSON.parse(Buffer.concat(chunks).toString()).message }));
    });
    ws.on("error", () => undefined);
  });
}
