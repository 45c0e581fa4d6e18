import type {
  DescribeStackDriftDetectionStatusCommandInput,
  DescribeStackDriftDetectionStatusCommandOutput,
  DescribeStackResourceDriftsCommandInput,
  DescribeStackResourceDriftsCommandOutput,
  DetectStackDriftCommandInput,
  DetectStackDriftCommandOutput,
  DetectStackResourceDriftCommandInput,
  DetectStackResourceDriftCommandOutput,
} from "@aws-sdk/client-cloudformation";
import type { ActionHandler, CallContext, SdkOutput } from "../../../protocol/types.js";
import { detectionStatus, startDetection } from "../drift/detections.js";
import { checkResourceDrift, liveResources, stackResourceDrift } from "../drift/resource-drift.js";
import { envOf, isoNow } from "../env.js";
import { validationError } from "../errors.js";
import { paginate } from "../pagination.js";
import { allStacks, findResource, findStack } from "../stacks.js";
import { list, maxResults, optionalText, requiredText } from "./params.js";

export const driftHandlers: Record<string, ActionHandler> = {
  async DetectStackDrift(params: DetectStackDriftCommandInput, ctx: CallContext): Promise<SdkOutput<DetectStackDriftCommandOutput>> {
    const env = envOf(ctx);
    const stack = await findStack(env, optionalText(params.StackName));
    const detection = startDetection(env, stack, list(params.LogicalResourceIds));
    return { StackDriftDetectionId: detection.id };
  },

  async DescribeStackDriftDetectionStatus(
    params: DescribeStackDriftDetectionStatusCommandInput,
    ctx: CallContext,
  ): Promise<SdkOutput<DescribeStackDriftDetectionStatusCommandOutput>> {
    const id = requiredText(params.StackDriftDetectionId, "stackDriftDetectionId");
    const detection = (await allStacks(envOf(ctx)))
      .flatMap((stack) => stack.detections)
      .find((candidate) => candidate.id === id);
    if (!detection) throw validationError(`Stack drift detection with id ${id} does not exist`);
    return detectionStatus(detection);
  },

  /** Resources whose type supports drift detection and that have been checked; NOT_CHECKED ones are not listed. */
  async DescribeStackResourceDrifts(params: DescribeStackResourceDriftsCommandInput, ctx: CallContext): Promise<SdkOutput<DescribeStackResourceDriftsCommandOutput>> {
    const stack = await findStack(envOf(ctx), optionalText(params.StackName));
    const filters: string[] = list(params.StackResourceDriftStatusFilters);
    const drifts = liveResources(stack).flatMap((resource) =>
      resource.drift && resource.drift.status !== "NOT_CHECKED" && (filters.length === 0 || filters.includes(resource.drift.status))
        ? [stackResourceDrift(stack, resource, resource.drift)]
        : [],
    );
    const pageSize = maxResults(params.MaxResults, "maxResults", 100, 100);
    const { page, nextToken } = paginate(drifts, optionalText(params.NextToken), pageSize);
    return { StackResourceDrifts: page, ...(nextToken ? { NextToken: nextToken } : {}) };
  },

  /**
   * Synchronous, unlike DetectStackDrift: the resource is read and compared within the call, with
   * the caller's permissions (on-behalf.ts driftContext); a read the caller may not make fails the
   * call with the resource handler's AccessDenied and leaves the resource's last record as it was.
   * That is an assumption: no AWS source found says what DetectStackResourceDrift answers when its
   * read is denied (API_DetectStackResourceDrift.html lists no such error; searched the API and
   * User Guide pages and public issues, 2026-12-02). Its output cannot carry a failure (StackResourceDriftStatus
   * has no failed value, unlike DetectStackDrift's DETECTION_FAILED), so the call failing is the one
   * answer that does not report a resource as checked: driftguard (remediation/verify.ts, events/act.ts) gets an error, not a verdict.
   */
  async DetectStackResourceDrift(params: DetectStackResourceDriftCommandInput, ctx: CallContext): Promise<SdkOutput<DetectStackResourceDriftCommandOutput>> {
    const env = envOf(ctx);
    const stack = await findStack(env, optionalText(params.StackName));
    const resource = findResource(stack, optionalText(params.LogicalResourceId));
    const record = await checkResourceDrift(env, stack, resource, isoNow(env), "caller");
    return { StackResourceDrift: stackResourceDrift(stack, resource, record) };
  },
};
