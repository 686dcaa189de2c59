import { formatLogLine } from "../src/log";
import type { RecordedRequest } from "../src/types";

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
