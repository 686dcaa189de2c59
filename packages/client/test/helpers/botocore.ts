import { spawnSync } from "node:child_process";
import path from "node:path";

export interface BotocoreJob {
  kind: "header" | "query";
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  region: string;
  service?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** `YYYYMMDDTHHMMSSZ` */
  timestamp: string;
  expires?: number;
}

/** Signs each job with botocore's SigV4Auth / SigV4QueryAuth at the job's fixed time (one Python process for all). */
export function botocoreSign(jobs: BotocoreJob[]): { headers: Record<string, string>; url: string }[] {
  const input = jobs.map((j) => ({ ...j, service: j.service ?? "bedrock-agentcore", body: Buffer.from(j.body ?? "").toString("base64") }));
  const child = spawnSync("python3", [path.join(__dirname, "botocore_sigv4.py")], { input: JSON.stringify(input), encoding: "utf8", timeout: 60_000 });
  if (child.status !== 0) throw new Error(`botocore signer failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout);
}

/** `Date` → SigV4's `YYYYMMDDTHHMMSSZ`. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
