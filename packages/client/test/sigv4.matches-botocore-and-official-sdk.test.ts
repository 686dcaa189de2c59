/**
 * SigV4 signatures checked against two implementations this project did not write: botocore's SigV4Auth (a
 * Python process the test spawns, its clock fixed) and the official AWS SDK v3 client, which signs the very
 * same request (our headers handed to it right before its own signing middleware). Same clock, same
 * credentials: the Authorization headers must be byte-identical, for every command.
 */
import { BedrockAgentCoreClient, InvokeAgentRuntimeCommand, InvokeAgentRuntimeCommandCommand, StopRuntimeSessionCommand } from "@aws-sdk/client-bedrock-agentcore";
import {
  ExecuteCommandCommand,
  ExecuteCommandStreamCommand,
  InvokeCommand,
  InvokeStreamCommand,
  RuntimeClient,
  StopSessionCommand,
} from "@agentcore-runtime/client";
import { sigv4Auth } from "@agentcore-runtime/client/sigv4";
import { amzDate, botocoreSign } from "./helpers/botocore";
import { startServer, type Recorded, type TestServer } from "./helpers/server";

const FIXED = new Date("2025-03-14T15:09:26Z");
const SESSION = "sigv4-session-0123456789-0123456789-abc";
const STATIC = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const TEMPORARY = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+session/token==",
};
/** Headers the transport adds after signing, or that only say which attempt this is: not handed over. */
const NOT_COPIED = new Set(["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "connection"]);

let server: TestServer;
beforeAll(async () => {
  process.emitWarning = () => undefined; // the official SDK warns about Node 20 support; not our concern here
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
afterAll(() => server.close());

function rawHeaders(r: Recorded): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) out.push([r.rawHeaders[i], r.rawHeaders[i + 1]]);
  return out;
}
function header(r: Recorded, name: string): string | undefined {
  return r.headers[name] as string | undefined;
}

interface Case {
  name: string;
  region: string;
  ours: (arn: string) => { send(client: RuntimeClient): Promise<unknown> };
  official: () => object;
}

/** Sends through our client at the fixed clock; returns the recorded request. */
async function sendOurs(credentials: typeof STATIC | typeof TEMPORARY, clientRegion: string | undefined, send: (c: RuntimeClient) => Promise<unknown>): Promise<Recorded> {
  const client = new RuntimeClient({ endpoint: server.url, region: clientRegion, token: "never-sent-bearer", maxAttempts: 1 });
  client.middlewareStack.use(sigv4Auth({ credentials }));
  const before = server.requests.length;
  const now = jest.spyOn(Date, "now").mockReturnValue(FIXED.getTime());
  try {
    await send(client).catch(() => undefined); // the canned reply may not suit every output; the request is what counts
  } finally {
    now.mockRestore();
    client.destroy();
  }
  expect(server.requests.length).toBe(before + 1);
  return server.requests[before];
}

/** The official client signs `command` with our request's headers swapped in just before its signer runs. */
async function sendOfficial(credentials: typeof STATIC | typeof TEMPORARY, region: string, ours: Recorded, command: any): Promise<Recorded> {
  const official = new BedrockAgentCoreClient({ region, endpoint: server.url, credentials, maxAttempts: 1 });
  const headers: Record<string, string> = {};
  for (const [name, value] of rawHeaders(ours)) if (!NOT_COPIED.has(name.toLowerCase())) headers[name] = value;
  official.middlewareStack.addRelativeTo(
    (next: any) => async (args: any) => {
      args.request.headers = { ...headers };
      return next(args);
    },
    { relation: "before", toMiddleware: "httpSigningMiddleware", name: "useOurHeaders" },
  );
  const before = server.requests.length;
  const now = jest.spyOn(Date, "now").mockReturnValue(FIXED.getTime());
  try {
    await official.send(command).catch(() => undefined);
  } finally {
    now.mockRestore();
    official.destroy();
  }
  expect(server.requests.length).toBe(before + 1);
  return server.requests[before];
}

function botocoreAuthorization(r: Recorded, region: string, credentials: typeof STATIC | typeof TEMPORARY): string {
  const headers: Record<string, string> = {};
  for (const [name, value] of rawHeaders(r)) if (!["authorization", "x-amz-date", "x-amz-security-token", "connection"].includes(name.toLowerCase())) headers[name] = value;
  const [signed] = botocoreSign([{ kind: "header", method: r.method, url: `${server.url}${r.url}`, headers, body: r.body, region, ...credentials, timestamp: amzDate(FIXED) }]);
  return signed.headers.Authorization;
}

const ARN_EU = "arn:aws:bedrock-agentcore:eu-west-2:123456789012:runtime/my_agent-abc1234567";
const ARN_CN = "arn:aws-cn:bedrock-agentcore:cn-north-1:123456789012:runtime/cn_agent-abcdefghij";
const PAYLOAD = '{"prompt":"héllo wörld ✓","n":[1,2,3]}';
const CUSTOM = { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Thing": "a   spaced  value", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Empty-ish": "~!*'()" };

const cases: {
  name: string;
  arn: string;
  accountId?: string;
  clientRegion?: string;
  region: string;
  ours: (c: RuntimeClient) => Promise<unknown>;
  official: () => object;
}[] = [
  {
    name: "InvokeCommand (ARN, qualifier with a space, custom and trace headers)",
    arn: ARN_EU,
    region: "eu-west-2",
    ours: (c) =>
      c.send(
        new InvokeCommand({
          runtimeArn: ARN_EU,
          qualifier: "prod v2",
          sessionId: SESSION,
          payload: PAYLOAD,
          userId: "user 1",
          traceId: "Root=1-abc",
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
          headers: CUSTOM,
        }),
      ),
    official: () => new InvokeAgentRuntimeCommand({ agentRuntimeArn: ARN_EU, qualifier: "prod v2", runtimeSessionId: SESSION, payload: new TextEncoder().encode(PAYLOAD) }),
  },
  {
    name: "InvokeStreamCommand (empty payload)",
    arn: ARN_EU,
    region: "eu-west-2",
    ours: (c) => c.send(new InvokeStreamCommand({ runtimeArn: ARN_EU, sessionId: SESSION, payload: "" })),
    official: () => new InvokeAgentRuntimeCommand({ agentRuntimeArn: ARN_EU, runtimeSessionId: SESSION, payload: new Uint8Array(0) }),
  },
  {
    name: "InvokeCommand by runtime id + accountId (client region)",
    arn: "my_agent-abc1234567",
    accountId: "123456789012",
    clientRegion: "ap-southeast-2",
    region: "ap-southeast-2",
    ours: (c) => c.send(new InvokeCommand({ runtimeArn: "my_agent-abc1234567", accountId: "123456789012", sessionId: SESSION, payload: { a: 1 } })),
    official: () => new InvokeAgentRuntimeCommand({ agentRuntimeArn: "my_agent-abc1234567", accountId: "123456789012", runtimeSessionId: SESSION, payload: new TextEncoder().encode('{"a":1}') }),
  },
  {
    name: "ExecuteCommandCommand (China partition ARN)",
    arn: ARN_CN,
    region: "cn-north-1",
    ours: (c) => c.send(new ExecuteCommandCommand({ runtimeArn: ARN_CN, sessionId: SESSION, command: 'echo "hi" && ls ~/ | wc -l', timeout: 30 })),
    official: () => new InvokeAgentRuntimeCommandCommand({ agentRuntimeArn: ARN_CN, runtimeSessionId: SESSION, body: { command: 'echo "hi" && ls ~/ | wc -l', timeout: 30 } }),
  },
  {
    name: "ExecuteCommandStreamCommand (qualifier)",
    arn: ARN_EU,
    region: "eu-west-2",
    ours: (c) => c.send(new ExecuteCommandStreamCommand({ runtimeArn: ARN_EU, qualifier: "DEFAULT", sessionId: SESSION, command: "uname -a" })),
    official: () => new InvokeAgentRuntimeCommandCommand({ agentRuntimeArn: ARN_EU, qualifier: "DEFAULT", runtimeSessionId: SESSION, body: { command: "uname -a" } }),
  },
  {
    name: "StopSessionCommand (clientToken)",
    arn: ARN_EU,
    region: "eu-west-2",
    ours: (c) => c.send(new StopSessionCommand({ runtimeArn: ARN_EU, sessionId: SESSION, clientToken: "client-token-0123456789-0123456789-x" })),
    official: () => new StopRuntimeSessionCommand({ agentRuntimeArn: ARN_EU, runtimeSessionId: SESSION, clientToken: "client-token-0123456789-0123456789-x" }),
  },
];

describe.each([
  ["long-term credentials", STATIC],
  ["temporary credentials (session token)", TEMPORARY],
])("%s", (_label, credentials) => {
  test.each(cases)("$name", async (c) => {
    const ours = await sendOurs(credentials, c.clientRegion, c.ours);
    const auth = header(ours, "authorization")!;
    expect(auth).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20250314/${c.region}/bedrock-agentcore/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`));
    expect(header(ours, "x-amz-date")).toBe("20250314T150926Z");
    expect(header(ours, "x-amz-security-token")).toBe((credentials as { sessionToken?: string }).sessionToken);
    // the payload is signed: its SHA-256 travels as x-amz-content-sha256, as the official SDK sends it
    const { createHash } = await import("node:crypto");
    expect(header(ours, "x-amz-content-sha256")).toBe(createHash("sha256").update(ours.body).digest("hex"));
    expect(auth).toContain("x-amz-content-sha256");
    expect(auth).toContain("x-amzn-bedrock-agentcore-runtime-session-id");
    expect(JSON.stringify(ours.headers)).not.toContain("Bearer");

    // botocore signs the recorded request alike
    expect(botocoreAuthorization(ours, c.region, credentials)).toBe(auth);

    // the official SDK serialises the same path, query and body, and signs our headers alike
    const official = await sendOfficial(credentials, c.region, ours, c.official());
    expect(official.url).toBe(ours.url);
    expect(official.body.equals(ours.body)).toBe(true);
    expect(header(official, "x-amz-content-sha256")).toBe(header(ours, "x-amz-content-sha256"));
    expect(header(official, "x-amz-security-token")).toBe(header(ours, "x-amz-security-token"));
    expect(header(official, "authorization")).toBe(auth);
  });
});

test("a tampered request no longer matches botocore's signature (the comparison is not vacuous)", async () => {
  const ours = await sendOurs(STATIC, undefined, (c) => c.send(new InvokeCommand({ runtimeArn: ARN_EU, sessionId: SESSION, payload: PAYLOAD })));
  const tampered = { ...ours, body: Buffer.from(PAYLOAD.replace("1", "2")) };
  tampered.headers = { ...ours.headers };
  const rh = [...ours.rawHeaders];
  const i = rh.findIndex((h) => h.toLowerCase() === "x-amz-content-sha256");
  const { createHash } = await import("node:crypto");
  rh[i + 1] = createHash("sha256").update(tampered.body).digest("hex");
  expect(botocoreAuthorization({ ...tampered, rawHeaders: rh }, "eu-west-2", STATIC)).not.toBe(header(ours, "authorization"));
});
