import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { PropertyDifference, ResourceDrift, ResourceDriftStatus } from "../core/types.js";
import { detectResourceDrift } from "../aws/cfn-drift.js";
import type { EngineTiming } from "./timing.js";

export type Verification =
  /** `explained`: differences left that `isExplained` accounts for (attachments in other stacks). */
  | { inSync: true; explained: number }
  | { inSync: false; status: ResourceDriftStatus; remaining: PropertyDifference[] };

/**
 * Asks CloudFormation itself whether the resource matches its template again; a repair counts
 * only when the answer is IN_SYNC. A still-drifted answer is re-checked after short pauses,
 * since IAM and EC2 writes take a moment to show in the reads drift detection makes.
 * With `remainingOf`, a MODIFIED answer whose differences are all known false positives (or
 * ignored) counts as in sync: the same normalisers as the decision before the repair.
 */
export async function verifyInSync(
  cloudformation: CloudFormationClient,
  stackName: string,
  logicalResourceId: string,
  timing: EngineTiming,
  isExplained: (difference: PropertyDifference) => boolean = () => false,
  remainingOf?: (drift: ResourceDrift) => Promise<PropertyDifference[]>,
): Promise<Verification> {
  for (let attempt = 0; ; attempt++) {
    const drift = await detectResourceDrift(cloudformation, stackName, logicalResourceId);
    if (drift.status === "IN_SYNC") return { inSync: true, explained: 0 };
    // Known false positives / ignored differences first (i14), then attachments in other stacks (i11).
    const real = drift.status === "MODIFIED" && remainingOf ? await remainingOf(drift) : drift.differences;
    const remaining = real.filter((d) => !isExplained(d));
    if (drift.status === "MODIFIED" && remaining.length === 0) return { inSync: true, explained: real.length };
    const delay = timing.verifyRetryDelaysMs[attempt];
    if (delay === undefined || drift.status !== "MODIFIED") return { inSync: false, status: drift.status, remaining };
    await timing.sleep(delay);
  }
}
