import { paginateListStacks, StackStatus, type CloudFormationClient, type StackSummary } from "@aws-sdk/client-cloudformation";
import type { StackFilter } from "../config/schema.js";
import type { StackReport } from "../core/types.js";
import { globExclusion } from "../config/stack-filter.js";
import { DRIFT_DETECTABLE_STATUSES } from "../aws/cfn-drift.js";


/** Deleted stacks stay listed for 90 days; they are history, not inventory. */
const LIVE_STATUSES = Object.values(StackStatus).filter((s) => s !== "DELETE_COMPLETE");

/** A stack whose drift will be detected. Nested stacks are targets of their own. */
export interface StackTarget {
  stackName: string;
  stackId: string;
  stackStatus: string;
  parentStackId?: string;
  /** LastUpdatedTime, or CreationTime before any update: changes with every stack operation (stack-listings.ts). */
  version?: string;
}

export interface StackSelection {
  targets: StackTarget[];
  skipped: StackReport[];
}

export async function listLiveStacks(cfn: CloudFormationClient): Promise<StackSummary[]> {
  const stacks: StackSummary[] = [];
  for await (const page of paginateListStacks({ client: cfn }, { StackStatusFilter: LIVE_STATUSES })) {
    stacks.push(...(page.StackSummaries ?? []));
  }
  return stacks;
}


function skipReason(stack: StackSummary, filter: StackFilter): string | undefined {
  const status = stack.StackStatus ?? "UNKNOWN";
  return (
    globExclusion(stack.StackName ?? "", filter) ??
    (DRIFT_DETECTABLE_STATUSES.has(status) ? undefined : `status ${status} does not allow drift detection`)
  );
}

/** A stack's version for the listing record: what a stack operation changes. */
export function stackVersion(s: { LastUpdatedTime?: Date; CreationTime?: Date }): { version?: string } {
  const at = s.LastUpdatedTime ?? s.CreationTime;
  return at ? { version: at.toISOString() } : {};
}

/** Splits a region's stacks into drift-detection targets and skipped rows that say why. */
export function selectStacks(stacks: StackSummary[], filter: StackFilter): StackSelection {
  const selection: StackSelection = { targets: [], skipped: [] };
  for (const s of stacks) {
    const target: StackTarget = {
      stackName: s.StackName ?? "",
      stackId: s.StackId ?? s.StackName ?? "",
      stackStatus: s.StackStatus ?? "UNKNOWN",
      ...(s.ParentId ? { parentStackId: s.ParentId } : {}),
      ...stackVersion(s),
    };
    const reason = skipReason(s, filter);
    if (reason === undefined) selection.targets.push(target);
    else selection.skipped.push({ ...stackRow(target), scan: "skipped", scanReason: reason });
  }
  return selection;
}

/** The identifying part of a stack's report row. */
export function stackRow(target: StackTarget): Omit<StackReport, "scan"> {
  return {
    stackName: target.stackName,
    stackId: target.stackId,
    stackStatus: target.stackStatus,
    ...(target.parentStackId ? { parentStackId: target.parentStackId } : {}),
    exemption: { kind: "none" },
    resources: [],
  };
}

// Shared with the event path, which may not import the scanner (the sweep calls the event path's guardrails).
export { DRIFT_DETECTABLE_STATUSES, globExclusion };
