import type { IgnoreRule } from "../config/schema.js";
import type { PropertyDifference } from "../core/types.js";
import { matchesGlob } from "../core/glob.js";
import { matchesPattern, parsePointer } from "./pointer.js";

/**
 * accounts.yaml `ignore` rules: differences a team knowingly lets drift. A rule's `property` is
 * a JSON pointer with `*` for any one segment and covers everything below it ("/Tags" covers
 * "/Tags/0/Value"); `stacks` are globs; a rule past its `until` date no longer applies.
 */

interface Where {
  resourceType: string;
  stackName: string;
  now: Date;
}

function covers(rule: IgnoreRule, where: Where, difference: PropertyDifference): boolean {
  return (
    rule.resourceType === where.resourceType &&
    (rule.stacks === undefined || rule.stacks.some((g) => matchesGlob(where.stackName, g))) &&
    matchesPattern(parsePointer(rule.property), parsePointer(difference.propertyPath), true)
  );
}

/** The first rule in force that lets `difference` drift. */
export function matchingIgnoreRule(rules: readonly IgnoreRule[], where: Where, difference: PropertyDifference): IgnoreRule | undefined {
  return rules.find((rule) => !isExpired(rule, where.now) && covers(rule, where, difference));
}

/**
 * A rule that would let `difference` drift but whose `until` has passed: the difference is drift
 * again, and the report and the log say which rule stopped applying, so nobody wonders why a
 * repair started (or a team can extend the date).
 */
export function expiredIgnoreRule(rules: readonly IgnoreRule[], where: Where, difference: PropertyDifference): IgnoreRule | undefined {
  return rules.find((rule) => isExpired(rule, where.now) && covers(rule, where, difference));
}

/** `until` is a calendar date (YYYY-MM-DD), inclusive, in UTC. */
export function isExpired(rule: IgnoreRule, now: Date): boolean {
  return rule.until !== undefined && now.toISOString().slice(0, 10) > rule.until;
}

/** Where an expired rule is written in accounts.yaml, for the run's warning. */
export interface ExpiredIgnoreRule {
  /** "defaults.ignore[0]" or "accounts[payments-prod].ignore[1]". */
  at: string;
  rule: IgnoreRule;
}

/** Every ignore rule in the configuration whose `until` has passed. */
export function expiredIgnoreRules(config: { defaults: { ignore: readonly IgnoreRule[] }; accounts: readonly { name: string; ignore?: readonly IgnoreRule[] | undefined }[] }, now: Date): ExpiredIgnoreRule[] {
  const listed = [
    ...config.defaults.ignore.map((rule, i) => ({ at: `defaults.ignore[${i}]`, rule })),
    ...config.accounts.flatMap((a) => (a.ignore ?? []).map((rule, i) => ({ at: `accounts[${a.name}].ignore[${i}]`, rule }))),
  ];
  return listed.filter(({ rule }) => isExpired(rule, now));
}

/** "AWS::S3::Bucket /Tags (FinOps sets cost-center tags) ended 2026-11-29". */
export function describeExpired(rule: IgnoreRule): string {
  return `${rule.resourceType} ${rule.property} ("${rule.reason}") ended ${rule.until ?? "?"}`;
}
