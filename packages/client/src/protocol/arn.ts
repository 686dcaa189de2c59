import { clientError, ClientErrorNames } from "./errors";

export type Partition = "aws" | "aws-us-gov" | "aws-cn";

export interface RuntimeRef {
  /** What goes into the path segment, before percent-encoding: the whole ARN or the bare runtime id. */
  pathId: string;
  region?: string;
  partition?: Partition;
  accountId?: string;
  runtimeId: string;
  isArn: boolean;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT = /^\d{12}$/;
const RUNTIME_ID = /^[a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}$/;
// The service validates ids itself; here only what can never be an id (blanks, controls, "/", ":") is refused.
const LOOSE_ID = /^[^\s\u0000-\u001f\u007f/:]{1,256}$/;
const PARTITIONS: readonly string[] = ["aws", "aws-us-gov", "aws-cn"];

function bad(message: string): never {
  throw clientError(ClientErrorNames.invalidArn, message);
}

export function isValidRegion(region: string): boolean {
  return REGION.test(region);
}

/**
 * Parses `arn:{partition}:bedrock-agentcore:{region}:{account}:runtime/{id}`, or a bare runtime id when
 * `accountId` is given (the service's alternative addressing; the region then comes from the client).
 */
export function parseRuntimeRef(runtimeArn: unknown, accountId?: string): RuntimeRef {
  if (typeof runtimeArn !== "string" || runtimeArn.length === 0) bad("runtimeArn is required: a runtime ARN, or a runtime id with accountId");
  if (runtimeArn.startsWith("arn:")) {
    const parts = runtimeArn.split(":");
    if (parts.length !== 6) bad(`runtimeArn must have six ':'-separated parts (arn:partition:bedrock-agentcore:region:account:runtime/id), got ${parts.length}: ${runtimeArn}`);
    const [, partition, service, region, account, resource] = parts;
    if (!PARTITIONS.includes(partition)) bad(`runtimeArn has unknown partition '${partition}' (expected aws, aws-us-gov or aws-cn)`);
    if (service !== "bedrock-agentcore") bad(`runtimeArn service must be 'bedrock-agentcore', got '${service}'`);
    if (!region) bad("runtimeArn has an empty region");
    if (!REGION.test(region)) bad(`runtimeArn region '${region}' is not a valid region name`);
    if (!account) bad("runtimeArn has an empty account id");
    if (!ACCOUNT.test(account)) bad(`runtimeArn account '${account}' must be 12 digits`);
    if (!resource.startsWith("runtime/")) bad(`runtimeArn resource must be 'runtime/{runtimeId}', got '${resource}'`);
    const runtimeId = resource.slice("runtime/".length);
    if (!runtimeId) bad("runtimeArn has an empty runtime id");
    if (!LOOSE_ID.test(runtimeId)) bad(`runtimeArn runtime id '${runtimeId}' has characters a runtime id cannot contain`);
    if (partition === "aws-cn" && !region.startsWith("cn-")) bad(`partition aws-cn needs a cn-* region, got '${region}'`);
    if (partition === "aws-us-gov" && !region.startsWith("us-gov-")) bad(`partition aws-us-gov needs a us-gov-* region, got '${region}'`);
    if (accountId !== undefined && accountId !== account) bad(`accountId '${accountId}' does not match the account in runtimeArn ('${account}')`);
    return { pathId: runtimeArn, region, partition: partition as Partition, accountId: account, runtimeId, isArn: true };
  }
  if (accountId === undefined) bad(`runtimeArn '${runtimeArn}' is not an ARN; pass a full runtime ARN, or the runtime id with accountId`);
  if (!ACCOUNT.test(accountId)) bad(`accountId '${accountId}' must be 12 digits`);
  if (!LOOSE_ID.test(runtimeArn)) bad(`'${runtimeArn}' is not a valid runtime id`);
  return { pathId: runtimeArn, accountId, runtimeId: runtimeArn, isArn: false };
}

/** Whether the id has the shape the control plane gives runtimes (`name-abcdefghij`); informative only. */
export function looksLikeRuntimeId(id: string): boolean {
  return RUNTIME_ID.test(id);
}
