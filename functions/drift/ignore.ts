import type { IgnoreRule } from "../config/schema.js";
import type { PropertyDifference } from "../core/types.js";
import { matchesGlob } from "../core/glob.js";
import { matchesPattern, parsePointer } from "./pointer.js";

/**
 * accounts.yaml `ignore` rules: differences a team knowingly lets drift. A rule's `property` is
 * a JSON pointer with `*` for any one segment and covers everything below it ("/Tags" covers
 * "/Tags/0/Value"); `stacks` are globs; a rule past its `until` date no longer applies.
 */

export interface IgnoreMatch {
  rule: IgnoreRule;
}

export function matchingIgnoreRule(
  rules: readonly IgnoreRule[],
  where: { resourceType: string; stackName: string; now: Date },
  difference: PropertyDifference,
): IgnoreRule | undefined {
  const path = parsePointer(difference.propertyPath);
  return rules.find(
    (rule) =>
      rule.resourceType === where.resourceType &&
      (rule.stacks === undefined || rule.stacks.some((g) => matchesGlob(where.stackName, g))) &&
      (rule.until === undefined || isActive(rule.until, where.now)) &&
      matchesPattern(parsePointer(rule.property), path, true),
  );
}

/** `until` is a calendar date (YYYY-MM-DD), inclusive, in UTC. */
function isActive(until: string, now: Date): boolean {
  return now.toISOString().slice(0, 10) <= until;
}
