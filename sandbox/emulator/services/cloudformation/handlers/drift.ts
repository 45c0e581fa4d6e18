import type { ActionHandler } from "../../../protocol/types.js";
import { detectionStatus, startDetection } from "../drift/detections.js";
import { checkResourceDrift, liveResources, stackResourceDrift } from "../drift/resource-drift.js";
import { envOf, isoNow } from "../env.js";
import { validationError } from "../errors.js";
import { paginate } from "../pagination.js";
import { allStacks, findResource, findStack } from "../stacks.js";
import { list, maxResults, optionalText, requiredText } from "./params.js";

export const driftHandlers: Record<string, ActionHandler> = {
  DetectStackDrift(params, ctx) {
    const env = envOf(ctx);
    const stack = findStack(env, optionalText(params.StackName));
    const detection = startDetection(env, stack, list(params.LogicalResourceIds));
    return { StackDriftDetectionId: detection.id };
  },

  DescribeStackDriftDetectionStatus(params, ctx) {
    const id = requiredText(params.StackDriftDetectionId, "stackDriftDetectionId");
    const detection = allStacks(envOf(ctx))
      .flatMap((stack) => stack.detections)
      .find((candidate) => candidate.id === id);
    if (!detection) throw validationError(`Stack drift detection with id ${id} does not exist`);
    return detectionStatus(detection);
  },

  /** Resources whose type supports drift detection and that have been checked; NOT_CHECKED ones are not listed. */
  DescribeStackResourceDrifts(params, ctx) {
    const stack = findStack(envOf(ctx), optionalText(params.StackName));
    const filters = list(params.StackResourceDriftStatusFilters);
    const drifts = liveResources(stack).flatMap((resource) =>
      resource.drift && resource.drift.status !== "NOT_CHECKED" && (filters.length === 0 || filters.includes(resource.drift.status))
        ? [stackResourceDrift(stack, resource, resource.drift)]
        : [],
    );
    const pageSize = maxResults(params.MaxResults, "maxResults", 100, 100);
    const { page, nextToken } = paginate(drifts, optionalText(params.NextToken), pageSize);
    return { StackResourceDrifts: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  },

  /** Synchronous, unlike DetectStackDrift: the resource is read and compared within the call. */
  DetectStackResourceDrift(params, ctx) {
    const env = envOf(ctx);
    const stack = findStack(env, optionalText(params.StackName));
    const resource = findResource(stack, optionalText(params.LogicalResourceId));
    const record = checkResourceDrift(env, stack, resource, isoNow(env));
    return { StackResourceDrift: stackResourceDrift(stack, resource, record) };
  },
};
