import type { DescribeRegionsCommandInput, DescribeRegionsCommandOutput } from "@aws-sdk/client-ec2";
import type { SdkOutput } from "../../protocol/types.js";

/**
 * EC2 DescribeRegions, which tells an account which regions it may use. Regions introduced before
 * 20 March 2019 are enabled by default; later ones are "opt-in" and disabled until an account
 * enables them (AWS General Reference, "Managing AWS Regions"; EC2 API Reference,
 * DescribeRegions: without AllRegions only enabled regions are returned, OptInStatus is
 * opt-in-not-required | opted-in | not-opted-in). The sandbox's accounts never opt in.
 */
const DEFAULT_ENABLED: ReadonlySet<string> = new Set([
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
  "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1",
]);
/** Opt-in regions of the commercial partition (same source). */
const OPT_IN = [
  "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
  "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
];

export function describeRegions(params: DescribeRegionsCommandInput): SdkOutput<DescribeRegionsCommandOutput> {
  const all = params.AllRegions === true;
  const wanted = params.RegionNames && params.RegionNames.length > 0 ? new Set(params.RegionNames) : undefined;
  const regions = [...DEFAULT_ENABLED, ...(all ? OPT_IN : [])]
    .filter((r) => wanted === undefined || wanted.has(r));
  return {
    Regions: regions.map((r) => ({ RegionName: r, Endpoint: `ec2.${r}.amazonaws.com`, OptInStatus: DEFAULT_ENABLED.has(r) ? "opt-in-not-required" : "not-opted-in" })),
  };
}
