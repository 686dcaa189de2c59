/**
 * Every AWS partition in one table: ARN partition names, region patterns and DNS suffixes.
 *
 * Source: the AWS SDK for JavaScript v3 partition metadata (`util-endpoints/src/lib/aws/partitions.json`, as
 * shipped in @aws-sdk/core 3.981.1: `regionRegex`, `outputs.dnsSuffix`, `outputs.dualStackDnsSuffix`; every
 * partition there has `supportsFIPS` and `supportsDualStack` true), and the bedrock-agentcore endpoint rule set
 * (@aws-sdk/client-bedrock-agentcore 3.1141.0): `https://bedrock-agentcore[-fips].{Region}.{dnsSuffix}`, or
 * `{dualStackDnsSuffix}` with dual-stack.
 */
export const PARTITIONS = {
  aws: { region: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/, dnsSuffix: "amazonaws.com", dualStackDnsSuffix: "api.aws" },
  "aws-cn": { region: /^cn-\w+-\d+$/, dnsSuffix: "amazonaws.com.cn", dualStackDnsSuffix: "api.amazonwebservices.com.cn" },
  "aws-us-gov": { region: /^us-gov-\w+-\d+$/, dnsSuffix: "amazonaws.com", dualStackDnsSuffix: "api.aws" },
  "aws-iso": { region: /^us-iso-\w+-\d+$/, dnsSuffix: "c2s.ic.gov", dualStackDnsSuffix: "api.aws.ic.gov" },
  "aws-iso-b": { region: /^us-isob-\w+-\d+$/, dnsSuffix: "sc2s.sgov.gov", dualStackDnsSuffix: "api.aws.scloud" },
  "aws-iso-e": { region: /^eu-isoe-\w+-\d+$/, dnsSuffix: "cloud.adc-e.uk", dualStackDnsSuffix: "api.cloud-aws.adc-e.uk" },
  "aws-iso-f": { region: /^us-isof-\w+-\d+$/, dnsSuffix: "csp.hci.ic.gov", dualStackDnsSuffix: "api.aws.hci.ic.gov" },
  "aws-eusc": { region: /^eusc-(de)-\w+-\d+$/, dnsSuffix: "amazonaws.eu", dualStackDnsSuffix: "api.amazonwebservices.eu" },
} as const;

/** An AWS partition the client knows the endpoints of: `aws`, `aws-cn`, `aws-us-gov` and the isolated ones. */
export type Partition = keyof typeof PARTITIONS;

export const PARTITION_NAMES = /* @__PURE__ */ Object.keys(PARTITIONS) as Partition[];

export function isPartition(name: string): name is Partition {
  return Object.prototype.hasOwnProperty.call(PARTITIONS, name);
}

/**
 * The partition whose region pattern matches; a region no pattern matches (a new geography) is taken as `aws`,
 * as the AWS SDK does.
 */
export function partitionOfRegion(region: string): Partition {
  for (const name of PARTITION_NAMES) if (name !== "aws" && PARTITIONS[name].region.test(region)) return name;
  return "aws";
}

/** The partition a region's pattern names, or undefined when only the generic shape fits. */
export function matchedPartition(region: string): Partition | undefined {
  for (const name of PARTITION_NAMES) if (PARTITIONS[name].region.test(region)) return name;
  return undefined;
}
