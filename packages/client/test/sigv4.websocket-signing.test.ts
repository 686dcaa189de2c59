/**
 * SigV4 for WebSockets checked against implementations this project did not write: botocore's SigV4Auth
 * (signed upgrade headers) and SigV4QueryAuth (presigned URLs) at the same fixed clock, and the official AWS
 * SDK v3 client signing the same GET. Both paths (`/ws`, `/ws/shells`), ARNs that need percent-encoding,
 * custom parameters, long-term and temporary credentials.
 */
import { inspect } from "node:util";
import { BedrockAgentCoreClient, StopRuntimeSessionCommand } from "@aws-sdk/client-bedrock-agentcore";
import { getPresignedWebSocketUrl, getSignedWebSocketConnection } from "@agentcore-runtime/client/sigv4";
import { amzDate, botocoreSign } from "./helpers/botocore";
import { startServer, type TestServer } from "./helpers/server";

const FIXED = new Date("2025-03-14T15:09:26Z");
const SESSION = "ws-sigv4-session-0123456789-0123456789-x";
const STATIC = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const TEMPORARY = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEa+session/token==" };
const ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/ws_agent-abc1234567";
const CUSTOM = { "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant": "acme corp/~x(1)" };

let server: TestServer;
beforeAll(async () => {
  process.emitWarning = () => undefined;
  server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
afterAll(() => server.close());

function frozen<T>(fn: () => Promise<T>): Promise<T> {
  const now = jest.spyOn(Date, "now").mockReturnValue(FIXED.getTime());
  return fn().finally(() => now.mockRestore());
}

const variants = [
  { name: "/ws, standard host, long-term credentials", creds: STATIC, input: { runtimeArn: ARN, sessionId: SESSION }, options: {} },
  { name: "/ws, qualifier and custom parameters, temporary credentials", creds: TEMPORARY, input: { runtimeArn: ARN, sessionId: SESSION, qualifier: "prod v2", headers: CUSTOM }, options: {} },
  { name: "/ws/shells, FIPS host, temporary credentials", creds: TEMPORARY, input: { runtimeArn: ARN, sessionId: SESSION, shellId: "shell_1-a" }, options: { useFipsEndpoint: true } },
  { name: "/ws/shells by runtime id + accountId, China region", creds: STATIC, input: { runtimeArn: "ws_agent-abc1234567", accountId: "123456789012", sessionId: SESSION, shellId: "s1" }, options: { region: "cn-northwest-1" } },
];

describe.each(variants)("$name", ({ creds, input, options }) => {
  test("signed upgrade headers: byte-identical to botocore's SigV4Auth", async () => {
    const info = await frozen(() => getSignedWebSocketConnection(input, { credentials: creds, ...options }));
    const url = new URL(info.url);
    expect(url.protocol).toBe("wss:");
    expect(url.pathname).toMatch(input.shellId ? /\/ws\/shells$/ : /\/ws$/);
    if (input.shellId) expect(url.searchParams.get("shellId")).toBe(input.shellId);
    expect(info.sessionId).toBe(SESSION);
    expect(info.protocols).toEqual([]);
    const auth = info.headers.Authorization;
    const region = (options as { region?: string }).region ?? "us-west-2";
    expect(auth).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/20250314/${region}/bedrock-agentcore/aws4_request, `));
    // the session header is signed, as the TypeScript SDK and CLI sign it; and the empty payload's hash
    expect(auth).toMatch(/SignedHeaders=[^,]*host;[^,]*x-amz-content-sha256;x-amz-date;/);
    expect(auth).toContain("x-amzn-bedrock-agentcore-runtime-session-id");
    expect(info.headers["x-amz-content-sha256"]).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const headers: Record<string, string> = { host: url.host };
    for (const [k, v] of Object.entries(info.headers)) if (!/^(authorization|x-amz-date|x-amz-security-token)$/i.test(k)) headers[k] = v;
    const [boto] = botocoreSign([{ kind: "header", method: "GET", url: info.url.replace(/^wss:/, "https:"), headers, region, ...creds, timestamp: amzDate(FIXED) }]);
    expect(boto.headers.Authorization).toBe(auth);
    expect(boto.headers["X-Amz-Security-Token"]).toBe((creds as { sessionToken?: string }).sessionToken);
  });

  test("presigned URL: byte-identical to botocore's SigV4QueryAuth (expiresIn 300)", async () => {
    const presigned = await frozen(() => getPresignedWebSocketUrl(input, { credentials: creds, ...options }));
    const url = new URL(presigned.url);
    expect(presigned.headers).toEqual({});
    expect(presigned.expiresAt.toISOString()).toBe("2025-03-14T15:14:26.000Z");
    expect(url.searchParams.get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")).toBe(SESSION);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("300");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host");
    const region = (options as { region?: string }).region ?? "us-west-2";
    // botocore gets the unsigned URL (operation parameters only) and must produce the very same URL
    const unsigned = presigned.url.replace(/&X-Amz-Algorithm=.*$/, "").replace(/^wss:/, "https:");
    const [boto] = botocoreSign([{ kind: "query", method: "GET", url: unsigned, headers: {}, region, ...creds, timestamp: amzDate(FIXED), expires: 300 }]);
    expect(boto.url).toBe(presigned.url.replace(/^wss:/, "https:"));
  });
});

test("the official AWS SDK v3 client signs the same WebSocket GET alike (both paths)", async () => {
  for (const input of [
    { runtimeArn: ARN, sessionId: SESSION, qualifier: "DEFAULT", headers: CUSTOM },
    { runtimeArn: ARN, sessionId: SESSION, shellId: "shell-2" },
  ]) {
    for (const creds of [STATIC, TEMPORARY]) {
      const info = await frozen(() => getSignedWebSocketConnection(input, { credentials: creds, endpoint: server.url }));
      const url = new URL(info.url);
      const official = new BedrockAgentCoreClient({ region: "us-west-2", endpoint: server.url, credentials: creds, maxAttempts: 1 });
      const copied: Record<string, string> = {};
      for (const [k, v] of Object.entries(info.headers)) if (!/^(authorization|x-amz-date|x-amz-security-token|x-amz-content-sha256)$/i.test(k)) copied[k] = v;
      // the official client's own signing middleware signs our WebSocket GET: path, query and headers swapped in before it
      official.middlewareStack.addRelativeTo(
        (next: any) => async (args: any) => {
          const query: Record<string, string> = {};
          for (const [k, v] of url.searchParams) query[k] = v;
          args.request.method = "GET";
          args.request.path = decodeURIComponent(url.pathname).replace(/^\/runtimes\/(.*)\/(ws(?:\/shells)?)$/, (_m, arn, p) => `/runtimes/${encodeURIComponent(arn)}/${p}`);
          args.request.query = query;
          args.request.body = undefined;
          args.request.headers = { ...copied, host: url.host };
          return next(args);
        },
        { relation: "before", toMiddleware: "httpSigningMiddleware", name: "asWebSocketGet" },
      );
      const before = server.requests.length;
      await frozen(() => official.send(new StopRuntimeSessionCommand({ agentRuntimeArn: ARN, runtimeSessionId: SESSION })).catch(() => undefined));
      official.destroy();
      const sent = server.requests[before];
      expect(sent.method).toBe("GET");
      // the same path and parameters (its HTTP handler writes the query sorted; the signature covers the sorted form)
      const got = new URL(`${server.url.replace(/^http/, "ws")}${sent.url}`);
      expect(got.pathname).toBe(url.pathname);
      expect([...got.searchParams].sort()).toEqual([...url.searchParams].sort());
      expect(sent.headers["x-amz-content-sha256"]).toBe(info.headers["x-amz-content-sha256"]);
      expect(sent.headers.authorization).toBe(info.headers.Authorization);
    }
  }
});

test("inspecting a signed connection or a presigned URL shows no signature, token or secret", async () => {
  const info = await getSignedWebSocketConnection({ runtimeArn: ARN, sessionId: SESSION }, { credentials: TEMPORARY });
  const presigned = await getPresignedWebSocketUrl({ runtimeArn: ARN, sessionId: SESSION }, { credentials: TEMPORARY, expiresIn: 60 });
  const signature = /Signature=(\w+)/.exec(info.headers.Authorization)![1];
  const presignedSignature = new URL(presigned.url).searchParams.get("X-Amz-Signature")!;
  const shown = `${inspect(info, { depth: 5 })}\n${inspect(presigned, { depth: 5 })}`;
  expect(shown).toContain("[REDACTED]");
  for (const s of [signature, presignedSignature, TEMPORARY.sessionToken, encodeURIComponent(TEMPORARY.sessionToken), TEMPORARY.secretAccessKey]) expect([s, shown.includes(s)]).toEqual([s, false]);
  expect(new URL(presigned.url).searchParams.get("X-Amz-Expires")).toBe("60");
});

test("bad input fails before signing", async () => {
  await expect(getPresignedWebSocketUrl({ runtimeArn: ARN }, { credentials: STATIC, expiresIn: 301 })).rejects.toMatchObject({ name: "InvalidParameterError", field: "expiresIn" });
  await expect(getSignedWebSocketConnection({ runtimeArn: ARN, shellId: "-bad" }, { credentials: STATIC })).rejects.toMatchObject({ name: "InvalidParameterError", field: "shellId" });
  await expect(getSignedWebSocketConnection({ runtimeArn: ARN, sessionId: "short" }, { credentials: STATIC })).rejects.toMatchObject({ name: "InvalidParameterError" });
  await expect(getSignedWebSocketConnection({ runtimeArn: ARN }, { credentials: STATIC, endpoint: "http://agentcore.example.invalid" })).rejects.toMatchObject({ name: "InsecureEndpointError" });
  await expect(getSignedWebSocketConnection({ runtimeArn: "not an arn" }, { credentials: STATIC })).rejects.toMatchObject({ name: "InvalidArnError" });
});
