import { paginateListStackResources, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { UncheckedResource } from "../core/types.js";

/**
 * The resources drift detection did not check, for the report's coverage section. A stack's
 * detection only returns drift for resource types that support it; ListStackResources tells the
 * rest by their DriftInformation: NOT_CHECKED ("the resource type doesn't support drift
 * detection, or it has not been checked"), UNKNOWN and UNSUPPORTED (CloudFormation API
 * Reference, StackResourceDriftInformationSummary). Nested stacks are listed as their own stacks.
 */
const UNCHECKED: ReadonlySet<string> = new Set(["NOT_CHECKED", "UNKNOWN", "UNSUPPORTED"]);

export async function listUncheckedResources(cfn: CloudFormationClient, stackId: string): Promise<UncheckedResource[]> {
  const out: UncheckedResource[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      const status = r.DriftInformation?.StackResourceDriftStatus ?? "NOT_CHECKED";
      // A nested stack's own resources are reported with that stack, not as its parent's blind spot.
      if (!UNCHECKED.has(status) || r.ResourceType === "AWS::CloudFormation::Stack") continue;
      out.push({ logicalResourceId: r.LogicalResourceId ?? "", resourceType: r.ResourceType ?? "", status: status as UncheckedResource["status"] });
    }
  }
  return out;
}
