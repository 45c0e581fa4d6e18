import { paginateListStacks, StackStatus, type CloudFormationClient, type StackSummary } from "@aws-sdk/client-cloudformation";
import type { StackFilter } from "../config/schema.js";
import type { StackReport } from "../core/types.js";
import { firstMatchingGlob } from "../core/glob.js";

/** The stack statuses in which CloudFormation accepts DetectStackDrift. */
export const DRIFT_DETECTABLE_STATUSES: ReadonlySet<string> = new Set<StackStatus>([
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_FAILED",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
]);

/** Deleted stacks stay listed for 90 days; they are history, not inventory. */
const LIVE_STATUSES = Object.values(StackStatus).filter((s) => s !== "DELETE_COMPLETE");

/** A stack whose drift will be detected. Nested stacks are targets of their own. */
export interface StackTarget {
  stackName: string;
  stackId: string;
  stackStatus: string;
  parentStackId?: string;
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

/**
 * Why the account's include/exclude globs leave a stack out; undefined when they let it in.
 * The event path asks the same question, so both select exactly the same stacks.
 */
export function globExclusion(stackName: string, filter: StackFilter): string | undefined {
  const excludedBy = firstMatchingGlob(stackName, filter.exclude);
  if (excludedBy !== undefined) return `excluded by stacks.exclude glob "${excludedBy}"`;
  if (firstMatchingGlob(stackName, filter.include) === undefined) return `not matched by stacks.include [${filter.include.join(", ")}]`;
  return undefined;
}

function skipReason(stack: StackSummary, filter: StackFilter): string | undefined {
  const status = stack.StackStatus ?? "UNKNOWN";
  return (
    globExclusion(stack.StackName ?? "", filter) ??
    (DRIFT_DETECTABLE_STATUSES.has(status) ? undefined : `status ${status} does not allow drift detection`)
  );
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
