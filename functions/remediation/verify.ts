import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { PropertyDifference, ResourceDriftStatus } from "../core/types.js";
import { detectResourceDrift } from "../aws/cfn-drift.js";
import type { EngineTiming } from "./timing.js";

export type Verification = { inSync: true } | { inSync: false; status: ResourceDriftStatus; remaining: PropertyDifference[] };

/**
 * Asks CloudFormation itself whether the resource matches its template again; a repair counts
 * only when the answer is IN_SYNC. A still-drifted answer is re-checked after short pauses,
 * since IAM and EC2 writes take a moment to show in the reads drift detection makes.
 */
export async function verifyInSync(
  cloudformation: CloudFormationClient,
  stackName: string,
  logicalResourceId: string,
  timing: EngineTiming,
): Promise<Verification> {
  for (let attempt = 0; ; attempt++) {
    const drift = await detectResourceDrift(cloudformation, stackName, logicalResourceId);
    if (drift.status === "IN_SYNC") return { inSync: true };
    const delay = timing.verifyRetryDelaysMs[attempt];
    if (delay === undefined || drift.status !== "MODIFIED") return { inSync: false, status: drift.status, remaining: drift.differences };
    await timing.sleep(delay);
  }
}
