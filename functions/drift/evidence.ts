import type { SpokeClients } from "../aws/clients.js";
import type { ResourceDrift } from "../core/types.js";
import { FALSE_POSITIVE_CLASSES } from "./false-positives/registry.js";
import { parsePointer } from "./pointer.js";

/**
 * The live reads some false-positive classes need (CloudFormation's own read is what is wrong),
 * made only for resources whose differences touch the probed property. A read that fails leaves
 * the difference as CloudFormation reported it: real drift, never a silent pass.
 */
export interface Evidence {
  values: Map<string, unknown>;
  /** "BucketEncryption: AccessDenied: ..." for reads that failed. */
  failures: string[];
}

export async function gatherEvidence(drift: ResourceDrift, clients: SpokeClients): Promise<Evidence> {
  const evidence: Evidence = { values: new Map(), failures: [] };
  if (drift.status !== "MODIFIED") return evidence;
  // Only a property CloudFormation reported removed as a whole (actual "null") needs a second opinion.
  const touched = new Set(drift.differences.filter((d) => d.differenceType === "REMOVE" && parsePointer(d.propertyPath).length === 1).map((d) => parsePointer(d.propertyPath)[0]));
  for (const probe of FALSE_POSITIVE_CLASSES.flatMap((c) => (c.evidence ? [c.evidence] : []))) {
    if (probe.resourceType !== drift.resourceType || !touched.has(probe.property)) continue;
    try {
      evidence.values.set(probe.property, await probe.read(drift.physicalResourceId, clients));
    } catch (err) {
      evidence.failures.push(`${probe.property}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
  }
  return evidence;
}
