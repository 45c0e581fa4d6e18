import type {
  DescribeStackResourceCommandInput,
  DescribeStackResourceCommandOutput,
  DescribeStackResourcesCommandInput,
  DescribeStackResourcesCommandOutput,
  ListStackResourcesCommandInput,
  ListStackResourcesCommandOutput,
  StackResource,
  StackResourceDriftInformation,
  StackResourceDetail,
} from "@aws-sdk/client-cloudformation";
import type { ActionHandler, CallContext, SdkOutput } from "../../../protocol/types.js";
import type { CfnStack, CfnStackResource } from "../../../state.js";
import { envOf } from "../env.js";
import { validationError } from "../errors.js";
import { paginate } from "../pagination.js";
import { findResource, findStack, findStackByPhysicalId } from "../stacks.js";
import { optionalText } from "./params.js";

/** DescribeStackResources answers at most this many; ListStackResources pages by it. */
const LIMIT = 100;

function driftInformation(resource: CfnStackResource): StackResourceDriftInformation {
  return {
    StackResourceDriftStatus: resource.drift?.status ?? "NOT_CHECKED",
    ...(resource.drift ? { LastCheckTimestamp: new Date(resource.drift.checkedAt) } : {}),
  };
}

function identity(resource: CfnStackResource): Pick<StackResource, "LogicalResourceId" | "PhysicalResourceId" | "ResourceType"> {
  return { LogicalResourceId: resource.logicalId, PhysicalResourceId: resource.physicalId, ResourceType: resource.type };
}

/** What StackResource and StackResourceDetail share; they name the last-updated time differently. */
function resourceView(stack: CfnStack, resource: CfnStackResource) {
  return {
    StackName: stack.stackName,
    StackId: stack.stackId,
    ...identity(resource),
    ResourceStatus: resource.status,
    ...(resource.statusReason !== undefined ? { ResourceStatusReason: resource.statusReason } : {}),
    DriftInformation: driftInformation(resource),
  };
}

export const resourceHandlers: Record<string, ActionHandler> = {
  async DescribeStackResources(params: DescribeStackResourcesCommandInput, ctx: CallContext): Promise<SdkOutput<DescribeStackResourcesCommandOutput>> {
    const env = envOf(ctx);
    const stackName = optionalText(params.StackName);
    const physicalId = optionalText(params.PhysicalResourceId);
    if (stackName && physicalId) throw validationError("Cannot specify both StackName and PhysicalResourceId");
    if (!stackName && !physicalId) throw validationError("Either StackName or PhysicalResourceId must be specified");
    const stack: CfnStack = stackName ? await findStack(env, stackName) : await findStackByPhysicalId(env, physicalId!);
    const logicalId = optionalText(params.LogicalResourceId);
    const resources = stack.resources.filter((resource) => !logicalId || resource.logicalId === logicalId).slice(0, LIMIT);
    return {
      StackResources: resources.map((resource): StackResource => ({ ...resourceView(stack, resource), Timestamp: new Date(resource.lastUpdated) })),
    };
  },

  async DescribeStackResource(params: DescribeStackResourceCommandInput, ctx: CallContext): Promise<SdkOutput<DescribeStackResourceCommandOutput>> {
    const stack = await findStack(envOf(ctx), optionalText(params.StackName));
    const resource = findResource(stack, optionalText(params.LogicalResourceId));
    const detail: StackResourceDetail = { ...resourceView(stack, resource), LastUpdatedTimestamp: new Date(resource.lastUpdated) };
    return { StackResourceDetail: detail };
  },

  async ListStackResources(params: ListStackResourcesCommandInput, ctx: CallContext): Promise<SdkOutput<ListStackResourcesCommandOutput>> {
    const stack = await findStack(envOf(ctx), optionalText(params.StackName));
    const { page, nextToken } = paginate(stack.resources, optionalText(params.NextToken), LIMIT);
    return {
      StackResourceSummaries: page.map((resource) => ({
        ...identity(resource),
        LastUpdatedTimestamp: new Date(resource.lastUpdated),
        ResourceStatus: resource.status,
        DriftInformation: driftInformation(resource),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  },
};
