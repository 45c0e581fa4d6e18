import type { StackResourceDrift } from "@aws-sdk/client-cloudformation";
import { toResourceDrift } from "../../functions/aws/cfn-drift.js";
import type { ResourceDrift } from "../../functions/core/types.js";
import { compareProperties } from "../../sandbox/emulator/services/cloudformation/drift/compare.js";
import { providerFor } from "../../sandbox/emulator/services/cloudformation/resources/registry.js";

/**
 * One drift factory for tests: give the template's properties and the live ones, get the record
 * DescribeStackResourceDrifts would return. The PropertyDifferences and the ActualProperties view
 * are computed by the sandbox's CloudFormation drift comparison (sets, policy documents, the
 * template's fields only, per resource type), never retyped, so a test cannot hand the code a
 * difference CloudFormation would not report. Payloads copied from AWS documentation stay literal
 * fixtures, with their source.
 */
export interface DriftSpec {
  stackId: string;
  logicalResourceId: string;
  physicalResourceId: string;
  resourceType: string;
  expected: Record<string, unknown>;
  actual: Record<string, unknown>;
  timestamp?: Date;
}

export function stackResourceDrift(spec: DriftSpec): StackResourceDrift {
  const { actual, differences } = compareProperties(spec.expected, spec.actual, providerFor(spec.resourceType).drift?.shapes ?? {});
  return {
    StackId: spec.stackId,
    LogicalResourceId: spec.logicalResourceId,
    PhysicalResourceId: spec.physicalResourceId,
    ResourceType: spec.resourceType,
    ExpectedProperties: JSON.stringify(spec.expected),
    ActualProperties: JSON.stringify(actual),
    PropertyDifferences: differences,
    StackResourceDriftStatus: differences.length > 0 ? "MODIFIED" : "IN_SYNC",
    Timestamp: spec.timestamp ?? new Date("2026-03-02T09:00:00.000Z"),
  };
}

/** The same record as driftguard reads it (functions/aws/cfn-drift.ts). */
export function resourceDrift(spec: DriftSpec): ResourceDrift {
  return toResourceDrift(stackResourceDrift(spec));
}
