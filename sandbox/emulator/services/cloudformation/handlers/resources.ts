import type { ActionHandler } from "../../../protocol/types.js";
import type { CfnStack, CfnStackResource } from "../../../state.js";
import { envOf } from "../env.js";
import { validationError } from "../errors.js";
import { paginate } from "../pagination.js";
import { findResource, findStack, findStackByPhysicalId } from "../stacks.js";
import { optionalText } from "./params.js";

/** DescribeStackResources answers at most this many; ListStackResources pages by it. */
const LIMIT = 100;

function driftInformation(resource: CfnStackResource): Record<string, unknown> {
  return {
    StackResourceDriftStatus: resource.drift?.status ?? "NOT_CHECKED",
    ...(resource.drift ? { LastCheckTimestamp: resource.drift.checkedAt } : {}),
  };
}

function identity(resource: CfnStackResource): Record<string, unknown> {
  return { LogicalResourceId: resource.logicalId, PhysicalResourceId: resource.physicalId, ResourceType: resource.type };
}

/** What StackResource and StackResourceDetail share; they name the last-updated time differently. */
function resourceView(stack: CfnStack, resource: CfnStackResource, timestampKey: "Timestamp" | "LastUpdatedTimestamp"): Record<string, unknown> {
  return {
    StackName: stack.stackName,
    StackId: stack.stackId,
    ...identity(resource),
    [timestampKey]: resource.lastUpdated,
    ResourceStatus: resource.status,
    DriftInformation: driftInformation(resource),
  };
}

export const resourceHandlers: Record<string, ActionHandler> = {
  DescribeStackResources(params, ctx) {
    const env = envOf(ctx);
    const stackName = optionalText(params.StackName);
    const physicalId = optionalText(params.PhysicalResourceId);
    if (stackName && physicalId) throw validationError("Cannot specify both StackName and PhysicalResourceId");
    if (!stackName && !physicalId) throw validationError("Either StackName or PhysicalResourceId must be specified");
    const stack: CfnStack = stackName ? findStack(env, stackName) : findStackByPhysicalId(env, physicalId!);
    const logicalId = optionalText(params.LogicalResourceId);
    const resources = stack.resources.filter((resource) => !logicalId || resource.logicalId === logicalId).slice(0, LIMIT);
    return {
      StackResources: resources.map((resource) => resourceView(stack, resource, "Timestamp")),
    };
  },

  DescribeStackResource(params, ctx) {
    const stack = findStack(envOf(ctx), optionalText(params.StackName));
    const resource = findResource(stack, optionalText(params.LogicalResourceId));
    return { StackResourceDetail: resourceView(stack, resource, "LastUpdatedTimestamp") };
  },

  ListStackResources(params, ctx) {
    const stack = findStack(envOf(ctx), optionalText(params.StackName));
    const { page, nextToken } = paginate(stack.resources, optionalText(params.NextToken), LIMIT);
    return {
      StackResourceSummaries: page.map((resource) => ({
        ...identity(resource),
        LastUpdatedTimestamp: resource.lastUpdated,
        ResourceStatus: resource.status,
        DriftInformation: driftInformation(resource),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  },
};
