import { GetResourcesCommand, type ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { tagMap, type TagMap } from "../core/tags.js";

/**
 * Tags of resources whose type has no remediator, read through the Resource Groups Tagging API
 * so the exemption check works for every type. Needs the resource's ARN, which CloudFormation
 * does not report: aws/resource-types.ts derives it from the physical id.
 */

/** Actions this module calls; the spoke role must grant them. */
export const RESOURCE_TAG_ACTIONS = ["tag:GetResources"] as const;

/** The resource's tags, or undefined when its ARN cannot be derived or no tagging client is set. */
export async function tagsByArn(
  tagging: ResourceGroupsTaggingAPIClient | undefined,
  arn: string | undefined,
): Promise<TagMap | undefined> {
  if (tagging === undefined || arn === undefined) return undefined;
  const out = await tagging.send(new GetResourcesCommand({ ResourceARNList: [arn] }));
  // Untagged resources are simply absent from the answer.
  return tagMap(out.ResourceTagMappingList?.[0]?.Tags);
}
