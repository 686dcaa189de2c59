import { clientError, ClientErrorNames } from "./errors";
import { isPartition, matchedPartition, partitionOfRegion, PARTITION_NAMES, PARTITIONS, type Partition } from "./partitions";
import { quoteForMessage as q } from "./validate";

export type { Partition } from "./partitions";

/** A parsed runtime ARN, or a bare runtime id. */
export interface RuntimeRef {
  /** What goes into the path segment, before percent-encoding: the whole ARN or the bare runtime id. */
  pathId: string;
  /** The ARN's region. */
  region?: string | undefined;
  /** The ARN's partition (`aws`, `aws-cn`, `aws-us-gov`, …). */
  partition?: Partition | undefined;
  /** The ARN's 12-digit account id, or the `accountId` given beside a bare runtime id. */
  accountId?: string | undefined;
  /** The runtime id, e.g. `my_agent-abcdefghij`. */
  runtimeId: string;
  /** Whether the input was a full ARN. */
  isArn: boolean;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCOUNT = /^\d{12}$/;
/**
 * The service's runtime id pattern (`name-abcdefghij`). Enforced: an id outside it can only be refused by the
 * service, and it keeps the path segment free of dot segments, separators, controls and surrogates.
 */
const RUNTIME_ID = /^[a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}$/;

function bad(field: "runtimeArn" | "accountId", message: string): never {
  throw clientError(ClientErrorNames.invalidArn, message, { fields: { field } });
}

/** The generic shape, or a partition's own pattern (`eusc-de-east-1` starts with four letters). */
export function isValidRegion(region: string): boolean {
  return REGION.test(region) || (/^[a-z]+(-[a-z]+)+-\d+$/.test(region) && matchedPartition(region) !== undefined);
}

const ID_SHAPE = "letters, digits and '_' (starting with a letter, at most 100), '-', then 10 letters or digits";

/**
 * Parses `arn:{partition}:bedrock-agentcore:{region}:{account}:runtime/{id}`, or a bare runtime id when
 * `accountId` is given (the service's alternative addressing; the region then comes from the client).
 * Every failure is an InvalidArnError whose `field` is `runtimeArn` or `accountId`.
 */
export function parseRuntimeRef(runtimeArn: unknown, accountId?: unknown): RuntimeRef {
  if (typeof runtimeArn !== "string" || runtimeArn.length === 0) bad("runtimeArn", "runtimeArn is required: a runtime ARN, or a runtime id with accountId");
  if (accountId !== undefined && typeof accountId !== "string") bad("accountId", `accountId must be a string of 12 digits, got ${accountId === null ? "null" : typeof accountId}`);
  if (runtimeArn.startsWith("arn:")) {
    const parts = runtimeArn.split(":");
    if (parts.length !== 6) bad("runtimeArn", `runtimeArn must have six ':'-separated parts (arn:partition:bedrock-agentcore:region:account:runtime/id), got ${parts.length}: ${q(runtimeArn, 200)}`);
    const [, partition, service, region, account, resource] = parts;
    if (!isPartition(partition)) bad("runtimeArn", `runtimeArn has unknown partition ${q(partition)} (expected one of ${PARTITION_NAMES.join(", ")})`);
    if (service !== "bedrock-agentcore") bad("runtimeArn", `runtimeArn service must be 'bedrock-agentcore', got ${q(service)}`);
    if (!region) bad("runtimeArn", "runtimeArn has an empty region");
    if (!isValidRegion(region)) bad("runtimeArn", `runtimeArn region ${q(region)} is not a valid region name`);
    if (!account) bad("runtimeArn", "runtimeArn has an empty account id");
    if (!ACCOUNT.test(account)) bad("runtimeArn", `runtimeArn account ${q(account)} must be 12 digits`);
    if (!resource.startsWith("runtime/")) bad("runtimeArn", `runtimeArn resource must be 'runtime/{runtimeId}', got ${q(resource)}`);
    const runtimeId = resource.slice("runtime/".length);
    if (!runtimeId) bad("runtimeArn", "runtimeArn has an empty runtime id");
    if (!RUNTIME_ID.test(runtimeId)) bad("runtimeArn", `runtimeArn runtime id ${q(runtimeId)} is not a valid runtime id (${ID_SHAPE})`);
    // the region decides the host's DNS suffix: a partition that contradicts it would send the call elsewhere
    if (partition !== "aws" && !PARTITIONS[partition].region.test(region)) bad("runtimeArn", `partition ${partition} needs a region matching ${PARTITIONS[partition].region.source}, got ${q(region)}`);
    if (partition === "aws" && partitionOfRegion(region) !== "aws") bad("runtimeArn", `region ${q(region)} belongs to partition ${partitionOfRegion(region)}, not aws`);
    if (accountId !== undefined && accountId !== account) bad("accountId", `accountId ${q(accountId)} does not match the account in runtimeArn ('${account}')`);
    return { pathId: runtimeArn, region, partition, accountId: account, runtimeId, isArn: true };
  }
  if (!RUNTIME_ID.test(runtimeArn)) bad("runtimeArn", `runtimeArn ${q(runtimeArn)} is neither a runtime ARN nor a valid runtime id (${ID_SHAPE})`);
  if (accountId === undefined) bad("accountId", `runtimeArn ${q(runtimeArn)} is a runtime id, not an ARN; pass accountId with it, or pass the full runtime ARN`);
  if (!ACCOUNT.test(accountId)) bad("accountId", `accountId ${q(accountId)} must be 12 digits`);
  return { pathId: runtimeArn, accountId, runtimeId: runtimeArn, isArn: false };
}

/** Whether the id has the shape the control plane gives runtimes (`name-abcdefghij`); informative only. */
export function looksLikeRuntimeId(id: string): boolean {
  return RUNTIME_ID.test(id);
}
