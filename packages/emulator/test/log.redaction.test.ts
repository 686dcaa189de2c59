import { getPresignedWebSocketUrl } from "@agentcore-runtime/client/sigv4";
import { startEmulator } from "../src";
import { formatLogLine } from "../src/log";
import type { RecordedRequest } from "../src/types";
import { sessionId, start } from "./helpers";
import { Client, until } from "./wsHelpers";

const SECRET = "sk_live_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";

function line(authorization?: string): string {
  const record: RecordedRequest = {
    method: "POST",
    path: "/runtimes/x/invocations",
    query: {},
    op: "invocations",
    headers: authorization === undefined ? {} : { authorization },
    status: 401,
    requestId: "r",
  };
  return formatLogLine(record, 1);
}

const auth = (authorization?: string) => /auth="([^"]*)"/.exec(line(authorization))![1];

describe("log lines name the auth scheme, never a credential", () => {
  it.each([
    [`Bearer ${SECRET}`, "Bearer [redacted]"],
    [`bearer ${SECRET}`, "Bearer [redacted]"],
    ["Basic dXNlcjpwYXNz", "Basic [redacted]"],
    ["AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/bedrock-agentcore/aws4_request", "AWS4-HMAC-SHA256 [redacted]"],
    ['Digest username="u", response="abc"', "Digest [redacted]"],
    [undefined, "none"],
    ["   ", "none"],
  ])("%j → %s", (header, expected) => {
    expect(auth(header)).toBe(expected);
  });

  it.each([SECRET, `Bearer:${SECRET}`, `${SECRET} trailing`, `Token ${SECRET}`, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"])(
    "an unknown scheme is 'unknown' with no character of the header: %j",
    (header) => {
      const text = line(header);
      expect(auth(header)).toBe("unknown [redacted]");
      // Not even a short prefix of the credential: its first 4 characters are absent too.
      expect(text).not.toContain(header.slice(0, 4));
    },
  );
});

describe("log lines show only the query parameters the emulator reads; every other value is redacted", () => {
  const queryOf = (query: Record<string, string>, headers: Record<string, string> = {}) => {
    const record: RecordedRequest = { method: "GET", path: "/runtimes/x/ws", query, op: "ws", headers, status: 101, requestId: "r" };
    return formatLogLine(record, 1);
  };

  it("keeps qualifier, accountId, shellId, the session id and the fault; redacts tokens and custom values, keeping their names", () => {
    const text = queryOf({
      qualifier: "DEFAULT",
      accountId: "123456789012",
      shellId: "sh-1",
      "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "s".repeat(40),
      "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault": "throttle; times=1",
      access_token: SECRET,
      "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Api-Key": SECRET,
    });
    const path = text.split(" ")[2];
    expect(path).toBe(
      `/runtimes/x/ws?qualifier=DEFAULT&accountId=123456789012&shellId=sh-1&X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${"s".repeat(40)}` +
        "&X-Amzn-Bedrock-AgentCore-Runtime-Custom-Emulator-Fault=throttle%3B%20times%3D1&access_token=[redacted]&X-Amzn-Bedrock-AgentCore-Runtime-Custom-Api-Key=[redacted]",
    );
    expect(text).not.toContain(SECRET.slice(0, 8));
  });

  it("a presigned query: credential, security token and signature redacted, auth named as presigned SigV4", () => {
    const text = queryOf({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "ASIAEMULATORTEMP0001/20250101/us-east-1/bedrock-agentcore/aws4_request",
      "X-Amz-Date": "20250101T000000Z",
      "X-Amz-Expires": "300",
      "X-Amz-Security-Token": "IQoJSECRETSESSIONTOKEN",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": "ab".repeat(32),
    });
    expect(text).toContain("X-Amz-Credential=[redacted]&X-Amz-Date=20250101T000000Z&X-Amz-Expires=300&X-Amz-Security-Token=[redacted]");
    expect(text).toContain("X-Amz-Signature=[redacted]");
    for (const secret of ["ASIAEMULATOR", "IQoJSECRET", "abab"]) expect(text).not.toContain(secret);
    expect(/auth="([^"]*)"/.exec(text)![1]).toBe("AWS4-HMAC-SHA256 (presigned)");
  });
});

describe("a running emulator's log lines carry no credential from the query", () => {
  const TEMP = { accessKeyId: "ASIAEMULATORTEMP0001", secretAccessKey: "temporary/secret+key0123456789abcdefghij", sessionToken: "IQoJSECRETSESSIONTOKEN//value==" };

  it("a /ws upgrade with a presigned URL: no signature, session token or access key in the line", async () => {
    const lines: string[] = [];
    const emu = await startEmulator({ auth: { mode: "sigv4", credentials: [TEMP] }, log: (line) => lines.push(line) });
    try {
      const presigned = await getPresignedWebSocketUrl({ runtimeArn: emu.runtimeArn, sessionId: sessionId("presigned") }, { credentials: TEMP, endpoint: emu.url, expiresIn: 300 });
      const signature = new URL(presigned.url).searchParams.get("X-Amz-Signature")!;
      const client = await Client.open(presigned.url);
      client.ws.close();
      await client.closed;
      await until(() => lines.length === 1, "the log line");
      const [line] = lines;
      expect(line).toContain(" 101 ");
      expect(line).toContain('auth="AWS4-HMAC-SHA256 (presigned)"');
      for (const secret of [signature, TEMP.sessionToken, encodeURIComponent(TEMP.sessionToken), TEMP.accessKeyId]) expect(line).not.toContain(secret);
    } finally {
      await emu.close();
    }
  });

  it("a /ws upgrade with the token as a subprotocol (the browser form) is logged as such, without the token", async () => {
    const lines: string[] = [];
    const emu = await startEmulator({ port: 0, log: (line) => lines.push(line) });
    try {
      const token = await emu.issueToken();
      const client = await Client.open(`${emu.url.replace(/^http/, "ws")}/runtimes/${encodeURIComponent(emu.runtimeArn)}/ws?X-Amzn-Bedrock-AgentCore-Runtime-Session-Id=${sessionId("subprotocol")}`, {
        protocols: [`base64UrlBearerAuthorization.${Buffer.from(token).toString("base64url")}`, "base64UrlBearerAuthorization"],
      });
      client.ws.close();
      await client.closed;
      await until(() => lines.length === 1, "the log line");
      expect(lines[0]).toContain(" 101 ");
      expect(lines[0]).toContain('auth="Bearer (subprotocol) [redacted]"');
      expect(lines[0]).not.toContain(Buffer.from(token).toString("base64url").slice(0, 12));
    } finally {
      await emu.close();
    }
  });

  it("an invocation with ?access_token=… logs the name, not the token", async () => {
    const lines: string[] = [];
    const h = await start({ log: (line) => lines.push(line) });
    try {
      await (await h.post("invocations", { body: { prompt: "hi" }, query: `access_token=${SECRET}` })).text();
      await until(() => lines.length === 1, "the log line");
      expect(lines[0]).toContain("?access_token=[redacted] ");
      expect(lines[0]).not.toContain(SECRET.slice(0, 8));
    } finally {
      await h.emu.close();
    }
  });
});
