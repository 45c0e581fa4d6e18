import {
  DetectStackResourceDriftCommand,
  paginateDescribeStackResourceDrifts,
  type CloudFormationClient,
  type StackResourceDrift,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import type { PropertyDifference, ResourceDrift, ResourceDriftStatus } from "../core/types.js";

const RESOURCE_STATUSES: ReadonlySet<string> = new Set<ResourceDriftStatus>(["IN_SYNC", "MODIFIED", "DELETED", "NOT_CHECKED"]);

/** ExpectedProperties / ActualProperties are JSON documents sent as strings. */
function parseProperties(json: string | undefined): Record<string, unknown> | undefined {
  if (json === undefined || json === "") return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toDifference(d: NonNullable<StackResourceDrift["PropertyDifferences"]>[number]): PropertyDifference {
  return {
    propertyPath: d.PropertyPath ?? "",
    expectedValue: d.ExpectedValue ?? "",
    actualValue: d.ActualValue ?? "",
    differenceType: d.DifferenceType ?? "NOT_EQUAL",
  };
}

/** CloudFormation's drift record as plain data; shared by every caller of the drift APIs. */
export function toResourceDrift(d: StackResourceDrift): ResourceDrift {
  const status = d.StackResourceDriftStatus ?? "UNKNOWN";
  const expected = parseProperties(d.ExpectedProperties);
  const actual = parseProperties(d.ActualProperties);
  return {
    logicalResourceId: d.LogicalResourceId ?? "",
    physicalResourceId: d.PhysicalResourceId ?? "",
    resourceType: d.ResourceType ?? "",
    status: RESOURCE_STATUSES.has(status) ? (status as ResourceDriftStatus) : "UNKNOWN",
    ...(expected ? { expected } : {}),
    ...(actual ? { actual } : {}),
    differences: (d.PropertyDifferences ?? []).map(toDifference),
    ...(d.Timestamp ? { detectedAt: d.Timestamp.toISOString() } : {}),
  };
}

/**
 * Drift of one resource, checked now: the event path's check and the engine's verification.
 * DetectStackResourceDrift answers synchronously, no polling.
 */
export async function detectResourceDrift(cfn: CloudFormationClient, stackName: string, logicalId: string): Promise<ResourceDrift> {
  const out = await cfn.send(new DetectStackResourceDriftCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  if (!out.StackResourceDrift) throw new Error(`DetectStackResourceDrift returned no drift for ${stackName}/${logicalId}`);
  return toResourceDrift(out.StackResourceDrift);
}

/** The MODIFIED and DELETED resources of a stack's latest drift detection. */
export async function listResourceDrifts(cfn: CloudFormationClient, stackId: string): Promise<ResourceDrift[]> {
  const drifts: ResourceDrift[] = [];
  const pages = paginateDescribeStackResourceDrifts(
    { client: cfn, pageSize: 100 },
    { StackName: stackId, StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"] },
  );
  for await (const page of pages) drifts.push(...(page.StackResourceDrifts ?? []).map(toResourceDrift));
  return drifts;
}

/** The stack statuses in which CloudFormation accepts DetectStackDrift. */
export const DRIFT_DETECTABLE_STATUSES: ReadonlySet<string> = new Set<StackStatus>([
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_FAILED",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
]);
