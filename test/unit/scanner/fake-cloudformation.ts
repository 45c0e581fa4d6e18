import type {
  CloudFormationClient} from "@aws-sdk/client-cloudformation";
import {
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  type StackResourceDrift,
  type StackResourceSummary,
  type StackSummary,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";

/** One stack as the fake CloudFormation of one account-region knows it. */
export interface FakeStack {
  summary: StackSummary;
  drifts?: StackResourceDrift[];
  tags?: Record<string, string>;
  /** DETECTION_FAILED with this reason (the drifts found so far are still listed). */
  failReason?: string;
  /** Status polls answered DETECTION_IN_PROGRESS before the detection completes. */
  pollsUntilDone?: number;
  /** ListStackResources beyond the drifted ones (e.g. NOT_CHECKED types), for coverage. */
  resources?: StackResourceSummary[];
}

export interface FakeRegion {
  stacks: FakeStack[];
  /** ListStacks fails with this error (e.g. an SCP denying the region). */
  listError?: Error;
}

export interface CfnObserver {
  /** Detections started but not finished, across every fake; the max is what concurrency allowed. */
  inFlight: number;
  maxInFlight: number;
  calls: string[];
}

export function newObserver(): CfnObserver {
  return { inFlight: 0, maxInFlight: 0, calls: [] };
}

/** Answers the drift APIs for one client instance with the shapes real CloudFormation returns. */
export function fakeCloudFormation(client: CloudFormationClient, region: FakeRegion, observer: CfnObserver, label: string): void {
  const mock = mockClient(client);
  const detections = new Map<string, { stack: FakeStack; polls: number }>();
  const byId = (id: string) => region.stacks.find((s) => s.summary.StackId === id || s.summary.StackName === id);

  mock.on(ListStacksCommand).callsFake(async () => {
    observer.calls.push(`${label} ListStacks`);
    if (region.listError) throw region.listError;
    return { StackSummaries: region.stacks.map((s) => s.summary) };
  });
  mock.on(DetectStackDriftCommand).callsFake(async (input: { StackName: string }) => {
    const stack = byId(input.StackName)!;
    const id = `${stack.summary.StackName}-detection-${detections.size + 1}`;
    detections.set(id, { stack, polls: 0 });
    observer.calls.push(`${label} DetectStackDrift ${stack.summary.StackName}`);
    observer.inFlight++;
    observer.maxInFlight = Math.max(observer.maxInFlight, observer.inFlight);
    return { StackDriftDetectionId: id };
  });
  mock.on(DescribeStackDriftDetectionStatusCommand).callsFake(async (input: { StackDriftDetectionId: string }) => {
    const detection = detections.get(input.StackDriftDetectionId)!;
    const { stack } = detection;
    const base = { StackId: stack.summary.StackId, StackDriftDetectionId: input.StackDriftDetectionId, Timestamp: new Date("2024-10-02T05:58:40.000Z") };
    if (detection.polls++ < (stack.pollsUntilDone ?? 0)) return { ...base, DetectionStatus: "DETECTION_IN_PROGRESS" };
    observer.inFlight--;
    const drifted = (stack.drifts ?? []).length;
    return {
      ...base,
      DetectionStatus: stack.failReason ? "DETECTION_FAILED" : "DETECTION_COMPLETE",
      ...(stack.failReason ? { DetectionStatusReason: stack.failReason } : {}),
      StackDriftStatus: drifted > 0 ? "DRIFTED" : "IN_SYNC",
      DriftedStackResourceCount: drifted,
    };
  });
  mock.on(DescribeStackResourceDriftsCommand).callsFake(async (input: { StackName: string }) => ({ StackResourceDrifts: byId(input.StackName)!.drifts ?? [] }));
  // Drifted resources as MODIFIED/DELETED, plus the stack's other resources (CloudFormation API Reference, ListStackResources).
  mock.on(ListStackResourcesCommand).callsFake(async (input: { StackName: string }) => {
    const stack = byId(input.StackName)!;
    const drifted = (stack.drifts ?? []).map<StackResourceSummary>((d) => ({
      LogicalResourceId: d.LogicalResourceId,
      PhysicalResourceId: d.PhysicalResourceId,
      ResourceType: d.ResourceType,
      ResourceStatus: "UPDATE_COMPLETE",
      LastUpdatedTimestamp: new Date("2026-01-01T00:00:00Z"),
      DriftInformation: { StackResourceDriftStatus: d.StackResourceDriftStatus ?? "MODIFIED" },
    }));
    return { StackResourceSummaries: [...drifted, ...(stack.resources ?? [])] };
  });
  mock.on(DescribeStacksCommand).callsFake(async (input: { StackName: string }) => {
    const stack = byId(input.StackName)!;
    return {
      Stacks: [
        {
          ...stack.summary,
          Tags: Object.entries(stack.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    };
  });
}
