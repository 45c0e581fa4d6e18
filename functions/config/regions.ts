/**
 * Commercial, GovCloud and China partition region names that CloudFormation drift detection
 * supports. Kept as a literal list (not fetched) so validation works offline and in the Lambda.
 */
export const KNOWN_REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
  "ca-central-1", "ca-west-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "mx-central-1",
  "sa-east-1",
  "us-gov-east-1", "us-gov-west-1",
  "cn-north-1", "cn-northwest-1",
] as const;

export type Region = (typeof KNOWN_REGIONS)[number];

const known: ReadonlySet<string> = new Set(KNOWN_REGIONS);
export const isKnownRegion = (name: string): name is Region => known.has(name);

export type Partition = "aws" | "aws-us-gov" | "aws-cn";

/** The ARN partition a region belongs to; roles and event buses cannot be shared across partitions. */
export function partitionOf(region: string): Partition {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

const GLOBAL_SERVICE_REGION: Record<Partition, Region> = {
  aws: "us-east-1",
  "aws-us-gov": "us-gov-west-1",
  "aws-cn": "cn-north-1",
};

/**
 * IAM is a global service: CloudTrail delivers its events to EventBridge only in the partition's
 * global-service region (us-east-1 for the commercial partition).
 */
export function globalEventsRegion(partition: Partition): Region {
  return GLOBAL_SERVICE_REGION[partition];
}
