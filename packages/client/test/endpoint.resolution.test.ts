import { InvokeCommand, RuntimeClient, resolveEndpoint } from "@agentcore-runtime/client";
import type { HttpHandler, HttpRequest } from "@smithy/protocol-http";

/** A handler that records the request and answers 200 without any network: the URL is the point here. */
function recorder() {
  const seen: HttpRequest[] = [];
  const handler = {
    handle: async (request: HttpRequest) => {
      seen.push(request);
      return { response: { statusCode: 200, headers: { "content-type": "application/json" }, body: "{}" } };
    },
  } as unknown as HttpHandler;
  return { seen, handler };
}

const url = (r: HttpRequest) => `${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ""}${r.path}`;

describe("endpoint from the ARN's region and partition", () => {
  test.each([
    ["arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", {}, "https://bedrock-agentcore.us-east-1.amazonaws.com"],
    ["arn:aws:bedrock-agentcore:eu-west-2:123456789012:runtime/a-1234567890", {}, "https://bedrock-agentcore.eu-west-2.amazonaws.com"],
    ["arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", { useFipsEndpoint: true }, "https://bedrock-agentcore-fips.us-east-1.amazonaws.com"],
    ["arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", { useDualstackEndpoint: true }, "https://bedrock-agentcore.us-east-1.api.aws"],
    ["arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", { useFipsEndpoint: true, useDualstackEndpoint: true }, "https://bedrock-agentcore-fips.us-east-1.api.aws"],
    ["arn:aws-us-gov:bedrock-agentcore:us-gov-west-1:123456789012:runtime/a-1234567890", {}, "https://bedrock-agentcore.us-gov-west-1.amazonaws.com"],
    ["arn:aws-cn:bedrock-agentcore:cn-north-1:123456789012:runtime/a-1234567890", {}, "https://bedrock-agentcore.cn-north-1.amazonaws.com.cn"],
    ["arn:aws-cn:bedrock-agentcore:cn-north-1:123456789012:runtime/a-1234567890", { useDualstackEndpoint: true }, "https://bedrock-agentcore.cn-north-1.api.amazonwebservices.com.cn"],
  ])("%s %p", async (arn, flags, base) => {
    const { seen, handler } = recorder();
    // the client's region must not win over the ARN's
    const client = new RuntimeClient({ region: "ap-south-1", requestHandler: handler, token: "t", ...flags });
    await client.send(new InvokeCommand({ runtimeArn: arn, payload: {} }));
    expect(url(seen[0])).toBe(`${base}/runtimes/${encodeURIComponent(arn)}/invocations`);
  });

  test("runtime id + accountId takes the client's region and sends accountId in the query", async () => {
    const { seen, handler } = recorder();
    const client = new RuntimeClient({ region: "eu-central-1", requestHandler: handler, token: "t" });
    await client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", accountId: "123456789012", qualifier: "DEFAULT", payload: {} }));
    expect(url(seen[0])).toBe("https://bedrock-agentcore.eu-central-1.amazonaws.com/runtimes/my_agent-abcdefghij/invocations");
    expect(seen[0].query).toEqual({ accountId: "123456789012", qualifier: "DEFAULT" });
  });

  test("runtime id without a client region is a clear error", async () => {
    const client = new RuntimeClient({ requestHandler: recorder().handler, token: "t" });
    await expect(client.send(new InvokeCommand({ runtimeArn: "my_agent-abcdefghij", accountId: "123456789012", payload: {} }))).rejects.toMatchObject({ name: "EndpointError" });
  });

  test("a custom endpoint is used verbatim, base path kept", async () => {
    const { seen, handler } = recorder();
    const client = new RuntimeClient({ endpoint: "https://proxy.internal:8443/agentcore/", requestHandler: handler, token: "t" });
    await client.send(new InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", payload: {} }));
    expect(url(seen[0])).toBe(`https://proxy.internal:8443/agentcore/runtimes/${encodeURIComponent("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890")}/invocations`);
  });

  test("BEDROCK_AGENTCORE_DP_ENDPOINT overrides in Node; config.endpoint wins over it", async () => {
    const { seen, handler } = recorder();
    process.env.BEDROCK_AGENTCORE_DP_ENDPOINT = "https://env.example.com";
    try {
      await new RuntimeClient({ requestHandler: handler, token: "t" }).send(new InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", payload: {} }));
      await new RuntimeClient({ requestHandler: handler, token: "t", endpoint: "https://cfg.example.com" }).send(
        new InvokeCommand({ runtimeArn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-1234567890", payload: {} }),
      );
    } finally {
      delete process.env.BEDROCK_AGENTCORE_DP_ENDPOINT;
    }
    expect(seen.map((r) => r.hostname)).toEqual(["env.example.com", "cfg.example.com"]);
  });
});

describe("configuration errors", () => {
  test("custom endpoint with FIPS or dual-stack", () => {
    expect(() => resolveEndpoint({ endpoint: "https://x.example.com", useFipsEndpoint: true })).toThrow(expect.objectContaining({ name: "EndpointError" }));
    expect(() => resolveEndpoint({ endpoint: "https://x.example.com", useDualstackEndpoint: true })).toThrow(expect.objectContaining({ name: "EndpointError" }));
  });
  test.each(["not a url", "ftp://x.example.com", "https://u:p@x.example.com", "https://x.example.com/?a=1"])("endpoint %p", (endpoint) => {
    expect(() => resolveEndpoint({ endpoint })).toThrow(expect.objectContaining({ name: "EndpointError" }));
  });
});
