import type { StackResourceDrift } from "@aws-sdk/client-cloudformation";
import type { CfnStack, CfnStackResource } from "../../../state.js";
import type { CfnEnv } from "../env.js";
import { resourceContext } from "../lifecycle.js";
import { driftContext } from "../resources/on-behalf.js";
import { providerFor } from "../resources/registry.js";
import { withSameStackAttachments } from "./attachments.js";
import { compareProperties, type PropertyComparison } from "./compare.js";
import { withFalsePositives } from "./false-positives.js";

export type ResourceDriftRecord = NonNullable<CfnStackResource["drift"]>;

/** The live state of one resource against its template, or why there is nothing to compare. */
export type LiveComparison =
  | { status: "NOT_CHECKED" }
  | { status: "DELETED"; expected: Record<string, unknown> }
  | { status: "IN_SYNC" | "MODIFIED"; expected: Record<string, unknown>; comparison: PropertyComparison };

/**
 * Whose credentials read the live resource: `caller` for drift detection (the principal that asked
 * for it, on-behalf.ts driftContext), `stack` for a change set's or a stack operation's reads (the
 * stack's service role, else the caller).
 */
export type Reader = "caller" | "stack";

export async function compareWithLive(env: CfnEnv, stack: CfnStack, resource: CfnStackResource, reader: Reader): Promise<LiveComparison> {
  const drift = providerFor(resource.type).drift;
  if (!drift) return { status: "NOT_CHECKED" };
  const expected = withSameStackAttachments(env, stack, resource, drift.expected(resource.properties));
  const ctx = resourceContext(env)(stack, resource);
  const actual = await drift.readActual(resource.physicalId, reader === "caller" ? driftContext(ctx) : ctx);
  if (actual === undefined) return { status: "DELETED", expected };
  const faithful = compareProperties(expected, actual, drift.shapes);
  const reported = withFalsePositives(env.world.falsePositives ?? new Set(), {
    resourceType: resource.type,
    accountId: env.account.id,
    region: env.region,
    expected,
    template: resource.properties,
    live: actual,
    shapes: drift.shapes,
    comparison: faithful,
  });
  const comparison = { actual: reported.actual, differences: reported.differences };
  return { status: comparison.differences.length > 0 ? "MODIFIED" : "IN_SYNC", expected: reported.expected, comparison };
}

/** Checks one resource and records the result on it, as DetectStackResourceDrift does; a read that is denied throws and records nothing. */
export async function checkResourceDrift(env: CfnEnv, stack: CfnStack, resource: CfnStackResource, checkedAt: string, reader: Reader): Promise<ResourceDriftRecord> {
  const live = await compareWithLive(env, stack, resource, reader);
  const record: ResourceDriftRecord =
    live.status === "NOT_CHECKED" || live.status === "DELETED"
      ? { status: live.status, checkedAt }
      : {
          status: live.status,
          checkedAt,
          expectedProperties: JSON.stringify(live.expected),
          actualProperties: JSON.stringify(live.comparison.actual),
          propertyDifferences: live.comparison.differences,
        };
  resource.drift = record;
  return record;
}

/** A checked resource in the API's StackResourceDrift shape. */
export function stackResourceDrift(stack: CfnStack, resource: CfnStackResource, record: ResourceDriftRecord): StackResourceDrift {
  return {
    StackId: stack.stackId,
    LogicalResourceId: resource.logicalId,
    PhysicalResourceId: resource.physicalId,
    ResourceType: resource.type,
    ...(record.expectedProperties !== undefined ? { ExpectedProperties: record.expectedProperties } : {}),
    ...(record.actualProperties !== undefined ? { ActualProperties: record.actualProperties } : {}),
    ...(record.propertyDifferences !== undefined ? { PropertyDifferences: record.propertyDifferences } : {}),
    StackResourceDriftStatus: record.status,
    Timestamp: new Date(record.checkedAt),
  };
}

/** Resources that exist as far as the stack knows: drift is only ever checked on these. */
export function liveResources(stack: CfnStack): CfnStackResource[] {
  return stack.resources.filter((resource) => resource.status !== "DELETE_COMPLETE");
}
