import type { DescribeStackDriftDetectionStatusCommandOutput } from "@aws-sdk/client-cloudformation";
import type { SdkOutput } from "../../../protocol/types.js";
import type { CfnDriftDetection, CfnStack } from "../../../state.js";
import type { CfnEnv } from "../env.js";
import { isoNow } from "../env.js";
import { validationError } from "../errors.js";
import { uuid } from "../../shared/ids.js";
import { checkResourceDrift, liveResources } from "./resource-drift.js";

/** Stack statuses CloudFormation runs drift detection on. */
/**
 * Imported stacks are among them: "After the import is complete and before performing subsequent
 * stack operations, we recommend running drift detection on imported resources" (AWS
 * CloudFormation User Guide, "Import AWS resources into a CloudFormation stack automatically",
 * import-resources-automatically.html; also resource-import.html).
 */
const DETECTABLE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"]);

export function runningDetection(stack: CfnStack): CfnDriftDetection | undefined {
  return stack.detections.find((detection) => detection.result === undefined);
}

/**
 * DetectStackDrift: records a detection that completes after a uniformly random time in
 * `latency.detectionMs`. One detection per stack at a time, as in CloudFormation.
 */
export function startDetection(env: CfnEnv, stack: CfnStack, logicalResourceIds?: string[]): CfnDriftDetection {
  if (!DETECTABLE.has(stack.status)) {
    throw validationError(`Drift detection is not supported for stack ${stack.stackId} in status ${stack.status}`);
  }
  if (runningDetection(stack)) throw validationError(`Drift detection is already in progress for stack ${stack.stackId}`);
  const unknown = (logicalResourceIds ?? []).filter((id) => !liveResources(stack).some((resource) => resource.logicalId === id));
  if (unknown.length > 0) throw validationError(`Resource ${unknown[0]} does not exist for stack ${stack.stackName}`);

  const [shortest, longest] = env.sandbox.latency.detectionMs;
  const detection: CfnDriftDetection = {
    id: uuid(env.sandbox.random),
    stackId: stack.stackId,
    startedAt: isoNow(env),
    completesAt: env.sandbox.now() + shortest + env.sandbox.random() * (longest - shortest),
    ...(logicalResourceIds?.length ? { logicalResourceIds: [...logicalResourceIds] } : {}),
    ...(env.caller ? { caller: env.caller } : {}),
  };
  stack.detections.push(detection);
  return detection;
}

/** A detection being completed: reads are authorized asynchronously, so concurrent observers wait for the one completion. */
const settling = new WeakMap<CfnDriftDetection, Promise<void>>();

/**
 * Completes the stack's due detections. Results are computed from the live state when the
 * detection is first observed after its completion time and stamped with that time; the reads are
 * made as the principal that started the detection (DetectStackDrift's caller, on-behalf.ts
 * driftContext). A resource whose check throws — a read its caller may not make, or one the
 * service throttles — makes the detection DETECTION_FAILED with the other results kept ("Results
 * will be available for resources on which CloudFormation successfully completed drift
 * detection", using-cfn-stack-drift.md) and leaves that resource's last drift record as it was:
 * DescribeStackResourceDrifts lists "one StackResourceDrift for each stack resource that has been
 * checked for drift" (API_DescribeStackResourceDrifts.html), so a resource never checked is absent.
 */
export async function settleDetections(env: CfnEnv, stack: CfnStack): Promise<void> {
  for (const detection of stack.detections) {
    if (detection.result !== undefined || detection.completesAt > env.sandbox.now()) continue;
    let done = settling.get(detection);
    if (!done) {
      done = complete({ ...env, caller: detection.caller ?? env.caller }, stack, detection).finally(() => settling.delete(detection));
      settling.set(detection, done);
    }
    await done;
  }
}

/** One resource whose check failed, as DetectionStatusReason's `Failures` lists it. */
export interface DetectionFailure {
  Resource: string;
  FailureReason: string;
}

/**
 * DetectionStatusReason of a DETECTION_FAILED detection: a JSON document with a Summary naming the
 * resources (logical ids, comma-separated) and one Failures entry per resource with its reason. A
 * real one (aws-cloudformation/cloudformation-coverage-roadmap#801, 2021-03-03, the reads throttled):
 * `{"Summary":"Failed to detect drift on resources [NodeInstanceRoleArn,NodeDrainerPermission,…]",
 * "Failures":[{"Resource":"NodeInstanceRoleArn","FailureReason":"Rate exceeded"},…]}`.
 */
export function detectionFailedReason(failures: readonly DetectionFailure[]): string {
  return JSON.stringify({
    Summary: `Failed to detect drift on resources [${failures.map((f) => f.Resource).join(",")}]`,
    Failures: failures.map(({ Resource, FailureReason }) => ({ Resource, FailureReason })),
  });
}

async function complete(env: CfnEnv, stack: CfnStack, detection: CfnDriftDetection): Promise<void> {
  const checkedAt = new Date(detection.completesAt).toISOString();
  const resources = liveResources(stack).filter((resource) => !detection.logicalResourceIds || detection.logicalResourceIds.includes(resource.logicalId));
  const failures: DetectionFailure[] = [];
  let drifted = 0;
  for (const resource of resources) {
    try {
      const { status } = await checkResourceDrift(env, stack, resource, checkedAt, "caller");
      if (status === "MODIFIED" || status === "DELETED") drifted++;
    } catch (error) {
      failures.push({ Resource: resource.logicalId, FailureReason: error instanceof Error ? error.message : String(error) });
    }
  }
  const stackDriftStatus = drifted > 0 ? "DRIFTED" : "IN_SYNC";
  detection.result = {
    detectionStatus: failures.length > 0 ? "DETECTION_FAILED" : "DETECTION_COMPLETE",
    stackDriftStatus,
    driftedCount: drifted,
    ...(failures.length > 0 ? { reason: detectionFailedReason(failures) } : {}),
  };
  stack.lastDrift = { status: stackDriftStatus, at: checkedAt };
}

/** DescribeStackDriftDetectionStatus's output for one detection. */
export function detectionStatus(detection: CfnDriftDetection): SdkOutput<DescribeStackDriftDetectionStatusCommandOutput> {
  const { result } = detection;
  if (!result) {
    return {
      StackId: detection.stackId,
      StackDriftDetectionId: detection.id,
      DetectionStatus: "DETECTION_IN_PROGRESS",
      DetectionStatusReason: "User Initiated",
      Timestamp: new Date(detection.startedAt),
    };
  }
  return {
    StackId: detection.stackId,
    StackDriftDetectionId: detection.id,
    StackDriftStatus: result.stackDriftStatus,
    DetectionStatus: result.detectionStatus,
    ...(result.reason !== undefined ? { DetectionStatusReason: result.reason } : {}),
    DriftedStackResourceCount: result.driftedCount,
    // AWS documents this as the time the detection was initiated, finished or not.
    Timestamp: new Date(detection.startedAt),
  };
}
