import type { GetResourcesCommandInput, GetResourcesCommandOutput } from "@aws-sdk/client-resource-groups-tagging-api";
import type { Tags } from "../../state.js";
import { regionOf } from "../../state.js";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { list, optionalNumber } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { toTagList } from "../shared/tags.js";

/**
 * Resource Groups Tagging API GetResources over the caller's account-region: security groups,
 * VPCs, instances, buckets of that region, stacks, and (in us-east-1, where IAM's global resources
 * are reported) roles. Like the real API it lists tagged resources only. The handler takes the
 * SDK's GetResourcesCommandInput and returns its output shape (@aws-sdk/client-resource-groups-tagging-api).
 */

interface Tagged {
  arn: string;
  tags: Tags;
}

function resourcesOf(ctx: CallContext): Tagged[] {
  const account = ctx.world.accounts.get(ctx.accountId);
  if (!account) return [];
  const region = regionOf(account, ctx.region);
  const ec2 = (type: string, id: string) => `arn:aws:ec2:${ctx.region}:${ctx.accountId}:${type}/${id}`;
  return [
    ...[...region.securityGroups.values()].map((g) => ({ arn: ec2("security-group", g.groupId), tags: g.tags })),
    ...[...region.vpcs.values()].map((v) => ({ arn: ec2("vpc", v.vpcId), tags: v.tags })),
    ...[...region.instances.values()].map((i) => ({ arn: ec2("instance", i.instanceId), tags: i.tags })),
    ...[...ctx.world.buckets.values()]
      .filter((b) => b.accountId === ctx.accountId && b.region === ctx.region)
      .map((b) => ({ arn: `arn:aws:s3:::${b.name}`, tags: b.tags })),
    ...region.stacks.filter((s) => s.status !== "DELETE_COMPLETE").map((s) => ({ arn: s.stackId, tags: s.tags })),
    ...(ctx.region === "us-east-1" ? [...account.roles.values()].map((r) => ({ arn: r.arn, tags: r.tags })) : []),
  ];
}

/** "ec2:security-group" for arn:aws:ec2:…:security-group/sg-…; "s3:bucket" for bucket ARNs. */
function typeOf(arn: string): string {
  const [, , service, , , resource = ""] = arn.split(":");
  const type = service === "s3" ? "bucket" : resource.split("/")[0];
  return `${service}:${type}`;
}

function getResources(params: GetResourcesCommandInput, ctx: CallContext): SdkOutput<GetResourcesCommandOutput> {
  const arns = list(params.ResourceARNList);
  if (arns.length > 0 && (list(params.TagFilters).length > 0 || list(params.ResourceTypeFilters).length > 0)) {
    throw new AwsError("InvalidParameterException", "ResourceARNList cannot be combined with TagFilters or ResourceTypeFilters.");
  }
  const perPage = optionalNumber(params.ResourcesPerPage) ?? 50;
  if (perPage < 1 || perPage > 100) throw new AwsError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100.");
  const types = list(params.ResourceTypeFilters);
  const matching = resourcesOf(ctx).filter(
    (r) =>
      Object.keys(r.tags).length > 0 &&
      (arns.length === 0 || arns.includes(r.arn)) &&
      (types.length === 0 || types.some((t) => typeOf(r.arn) === t || typeOf(r.arn).startsWith(`${t}:`))) &&
      list(params.TagFilters).every((f) => f.Key !== undefined && f.Key in r.tags && (list(f.Values).length === 0 || list(f.Values).includes(r.tags[f.Key]!))),
  );
  const page = paginate(matching, params.PaginationToken, perPage, () => new AwsError("PaginationTokenExpiredException", "The pagination token is not valid."));
  return {
    ResourceTagMappingList: page.items.map((r) => ({ ResourceARN: r.arn, Tags: toTagList(r.tags) })),
    // The real API signals the last page with an empty token, not an absent one.
    PaginationToken: page.next ?? "",
  };
}

export const taggingService: ServiceDefinition = {
  name: "tagging",
  protocol: "json",
  throttling: { code: "ThrottledException", status: 400 },
  actions: { GetResources: getResources },
};
