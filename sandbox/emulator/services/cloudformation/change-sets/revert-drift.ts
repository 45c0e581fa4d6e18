import type { Change, ResourceChange, ResourceChangeDetail } from "@aws-sdk/client-cloudformation";
import type { CfnChangeSet, CfnPropertyDifference, CfnStack, CfnStackResource } from "../../../state.js";
import { withSameStackAttachments } from "../drift/attachments.js";
import { checkResourceDrift, compareWithLive, liveResources } from "../drift/resource-drift.js";
import { isoNow, type CfnEnv } from "../env.js";
import { recordEvent, setStackStatus } from "../events.js";
import { resourceContext } from "../lifecycle.js";
import { providerFor } from "../resources/registry.js";

/** Reverting a drift ADD removes the added item; reverting a REMOVE puts it back. */
const REVERT: Record<CfnPropertyDifference["DifferenceType"], "Add" | "Remove" | "Modify"> = {
  ADD: "Remove",
  REMOVE: "Add",
  NOT_EQUAL: "Modify",
};

function topLevelProperty(path: string): string {
  return path.split("/")[1] ?? "";
}

function detail(difference: CfnPropertyDifference, replacedBy: readonly string[], detectedAt: string): ResourceChangeDetail {
  const name = topLevelProperty(difference.PropertyPath);
  return {
    Target: {
      Attribute: name === "Tags" ? "Tags" : "Properties",
      Name: name,
      RequiresRecreation: replacedBy.includes(name) ? "Always" : "Never",
      Path: `/Properties${difference.PropertyPath}`,
      BeforeValue: difference.ActualValue,
      AfterValue: difference.ExpectedValue,
      BeforeValueFrom: "ACTUAL_STATE",
      AfterValueFrom: "TEMPLATE",
      Drift: { PreviousValue: difference.ExpectedValue, ActualValue: difference.ActualValue, DriftDetectionTimestamp: new Date(detectedAt) },
      AttributeChangeType: REVERT[difference.DifferenceType],
    },
    Evaluation: "Static",
    ChangeSource: "DirectModification",
  };
}

async function resourceChange(env: CfnEnv, stack: CfnStack, resource: CfnStackResource): Promise<ResourceChange | undefined> {
  const live = await compareWithLive(env, stack, resource, "stack");
  if (live.status === "NOT_CHECKED" || live.status === "IN_SYNC") return undefined;
  const previous = JSON.stringify({ Properties: live.expected });
  if (live.status === "DELETED") {
    // The resource must be created again: a new physical resource, so a replacement.
    return {
      Action: "Add",
      LogicalResourceId: resource.logicalId,
      ResourceType: resource.type,
      Replacement: "True",
      Scope: [],
      ResourceDriftStatus: "DELETED",
      Details: [],
      AfterContext: previous,
      PreviousDeploymentContext: previous,
    };
  }
  const replacedBy = providerFor(resource.type).drift!.replacedBy;
  const now = isoNow(env);
  const details = live.comparison.differences.map((difference) => detail(difference, replacedBy, now));
  const targets = details.flatMap((entry) => (entry.Target ? [entry.Target] : []));
  return {
    Action: "Modify",
    LogicalResourceId: resource.logicalId,
    PhysicalResourceId: resource.physicalId,
    ResourceType: resource.type,
    Replacement: targets.some((target) => target.RequiresRecreation === "Always") ? "True" : "False",
    Scope: [...new Set(targets.flatMap((target) => (target.Attribute ? [target.Attribute] : [])))],
    ResourceDriftStatus: "MODIFIED",
    Details: details,
    BeforeContext: JSON.stringify({ Properties: live.comparison.actual }),
    AfterContext: previous,
    PreviousDeploymentContext: previous,
  };
}

/**
 * The Changes of a drift-aware change set on the stack's current template: one change per
 * resource whose live state differs from the template (read now, no prior detection needed), the
 * reads made as the stack's service role or the change set's caller; a denied read fails the change set.
 */
export async function planRevertDrift(env: CfnEnv, stack: CfnStack): Promise<Change[]> {
  const changes: Change[] = [];
  for (const resource of liveResources(stack)) {
    const ResourceChange = await resourceChange(env, stack, resource);
    if (ResourceChange) changes.push({ Type: "Resource", ResourceChange });
  }
  return changes;
}

/**
 * ExecuteChangeSet for a REVERT_DRIFT change set: each Modify writes the template's values back
 * to the live resource, each Add creates the resource again, with the calls authorized as the
 * stack's service role or, without one, the caller (on-behalf.ts); the resources are then checked,
 * so their drift status is IN_SYNC, and the stack is UPDATE_COMPLETE. A resource whose calls fail
 * (AccessDenied when the caller may not write its type) is UPDATE_FAILED with the handler's message
 * and the stack rolls back to UPDATE_ROLLBACK_COMPLETE, as an update does (update.ts); what was
 * reverted before it already holds the template's values, which the rollback would write again.
 */
export async function executeRevertDrift(env: CfnEnv, stack: CfnStack, changeSet: CfnChangeSet): Promise<void> {
  const contextFor = resourceContext(env);
  const now = isoNow(env);
  setStackStatus(env, stack, "UPDATE_IN_PROGRESS", "User Initiated");
  for (const change of changeSet.changes) {
    const resource = stack.resources.find((candidate) => candidate.logicalId === change.ResourceChange?.LogicalResourceId);
    if (!resource) continue;
    const provider = providerFor(resource.type);
    const ctx = contextFor(stack, resource);
    const event = { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type };
    recordEvent(env, stack, { ...event, status: "UPDATE_IN_PROGRESS" });
    try {
      if (change.ResourceChange?.Action === "Add") {
        const provisioned = await provider.create(resource.properties, ctx);
        resource.physicalId = provisioned.physicalId;
        resource.attributes = provisioned.attributes;
      } else {
        await provider.drift!.update(resource.physicalId, withSameStackAttachments(env, stack, resource, provider.drift!.expected(resource.properties)), ctx);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      recordEvent(env, stack, { ...event, status: "UPDATE_FAILED", reason });
      setStackStatus(env, stack, "UPDATE_ROLLBACK_IN_PROGRESS", `The following resource(s) failed to update: [${resource.logicalId}]. `);
      stack.statusReason = `The following resource(s) failed to update: [${resource.logicalId}]. ${resource.logicalId}: ${reason}`;
      setStackStatus(env, stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS");
      setStackStatus(env, stack, "UPDATE_ROLLBACK_COMPLETE");
      stack.lastUpdated = now;
      changeSet.executionStatus = "EXECUTE_FAILED";
      return;
    }
    resource.status = "UPDATE_COMPLETE";
    resource.lastUpdated = now;
    recordEvent(env, stack, { ...event, physicalId: resource.physicalId, status: "UPDATE_COMPLETE" });
    await checkResourceDrift(env, stack, resource, now, "stack");
  }
  delete stack.statusReason;
  setStackStatus(env, stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
  setStackStatus(env, stack, "UPDATE_COMPLETE");
  stack.lastUpdated = now;
}
