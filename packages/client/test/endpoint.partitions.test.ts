import { InvokeCommand, RuntimeClient, parseRuntimeRef, resolveEndpoint } from "@agentcore-runtime/client";
import type { HttpHandler, HttpRequest } from "@smithy/protocol-http";

// Every partition of the AWS SDK's partition metadata, each with a region, and the hosts the bedrock-agentcore
// endpoint rule set builds: bedrock-agentcore[-fips].{region}.{dnsSuffix | dualStackDnsSuffix}.
const CASES = [
  ["aws", "us-east-1", "amazonaws.com", "api.aws"],
  ["aws-cn", "cn-northwest-1", "amazonaws.com.cn", "api.amazonwebservices.com.cn"],
  ["aws-us-gov", "us-gov-west-1", "amazonaws.com", "api.aws"],
  ["aws-iso", "us-iso-east-1", "c2s.ic.gov", "api.aws.ic.gov"],
  ["aws-iso-b", "us-isob-east-1", "sc2s.sgov.gov", "api.aws.scloud"],
  ["aws-iso-e", "eu-isoe-west-1", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"],
  ["aws-iso-f", "us-isof-south-1", "csp.hci.ic.gov", "api.aws.hci.ic.gov"],
  ["aws-eusc", "eusc-de-east-1", "amazonaws.eu", "api.amazonwebservices.eu"],
] as const;

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

const arnOf = (partition: string, region: string) => `arn:${partition}:bedrock-agentcore:${region}:123456789012:runtime/my_agent-abcdefghij`;

describe.each(CASES)("partition %s (%s)", (partition, region, dnsSuffix, dualStackSuffix) => {
  test("its ARN parses, with region and partition", () => {
    expect(parseRuntimeRef(arnOf(partition, region))).toMatchObject({ partition, region, accountId: "123456789012", runtimeId: "my_agent-abcdefghij", isArn: true });
  });

  test.each([
    [{}, `bedrock-agentcore.${region}.${dnsSuffix}`],
    [{ useFipsEndpoint: true }, `bedrock-agentcore-fips.${region}.${dnsSuffix}`],
    [{ useDualstackEndpoint: true }, `bedrock-agentcore.${region}.${dualStackSuffix}`],
    [{ useFipsEndpoint: true, useDualstackEndpoint: true }, `bedrock-agentcore-fips.${region}.${dualStackSuffix}`],
  ])("%p → %s, from the ARN and from the region alone", async (flags, host) => {
    const { seen, handler } = recorder();
    const client = new RuntimeClient({ requestHandler: handler, token: "t", ...flags });
    await client.send(new InvokeCommand({ runtimeArn: arnOf(partition, region), payload: {} }));
    expect(`${seen[0].protocol}//${seen[0].hostname}`).toBe(`https://${host}`);
    // runtime id + accountId: the partition comes from the client's region
    expect(resolveEndpoint({ region, ...flags }).hostname).toBe(host);
  });
});

describe("ARNs whose partition and region disagree are refused", () => {
  test.each([
    arnOf("aws-iso", "us-east-1"),
    arnOf("aws-iso-b", "us-iso-east-1"),
    arnOf("aws-iso-e", "eu-west-1"),
    arnOf("aws-iso-f", "us-isob-east-1"),
    arnOf("aws-eusc", "eu-central-1"),
    arnOf("aws", "us-iso-east-1"),
    arnOf("aws", "eusc-de-east-1"),
    arnOf("aws", "cn-north-1"),
    arnOf("aws-gov", "us-gov-west-1"),
  ])("%s", (arn) => {
    expect(() => parseRuntimeRef(arn)).toThrow(expect.objectContaining({ name: "InvalidArnError", field: "runtimeArn" }));
  });
});
