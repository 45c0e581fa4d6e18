import type { OrganizationMembership } from "../remediation/index.js";

/**
 * The organization's members for the event path's trust invariant, read the way the scheduled
 * scan reads them (scanner/organization.ts readMembership: the walk from the roots) and kept in a
 * warm container for MEMBERSHIP_TTL_MS, so a burst of events costs one walk, not one per event.
 * A read that fails is not kept: the event that saw it refuses trust in any account outside
 * defaults.safety.trustedPrincipals, saying why, and the next event reads again.
 */

/**
 * Ten minutes: an account that leaves the organization stops being trusted by the event path
 * within ten minutes (the scan trusts the membership it read at its start for the whole run),
 * while a 500-account, 60-OU organization is walked (about 130 Organizations calls) at most six
 * times an hour per container, well under Organizations' per-account throttling.
 */
export const MEMBERSHIP_TTL_MS = 10 * 60_000;

export function cachedMembership(read: () => Promise<OrganizationMembership>, now: () => number, ttlMs: number = MEMBERSHIP_TTL_MS): () => Promise<OrganizationMembership> {
  let kept: { value: Promise<OrganizationMembership>; at: number } | undefined;
  return () => {
    if (kept === undefined || now() - kept.at >= ttlMs) {
      const at = now();
      const value = read().catch((err: unknown): OrganizationMembership => ({ error: err instanceof Error ? err.message : String(err) }));
      kept = { value, at };
      void value.then((m) => {
        if ("error" in m && kept?.value === value) kept = undefined;
      });
    }
    return kept.value;
  };
}
