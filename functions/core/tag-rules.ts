import type { ChangeActor } from "./types.js";

/**
 * How a required tag's value is found (accounts.yaml defaults.events.guardrails.requiredTags[].value):
 * - any fixed text, written as is;
 * - `creator`: the ARN of whoever launched the instance — from the event, or on the schedule from
 *   CloudTrail's RunInstances record (event history keeps 90 days); when neither says, the tag is
 *   reported as unknown and left unset, never guessed;
 * - `launch+<N>d`: the launch time plus N days, as YYYY-MM-DD (UTC), e.g. an expiry date.
 */
export type TagRule = { kind: "fixed"; value: string } | { kind: "creator" } | { kind: "launch"; days: number };

/** EC2 tag values are at most 256 Unicode characters (EC2 User Guide, "Tag restrictions"). */
export const MAX_TAG_VALUE = 256;
/** Enough for any expiry a person means; a bigger number is a typo. */
export const MAX_LAUNCH_DAYS = 3650;
const LAUNCH_RULE = /^launch\+(\d{1,4})d$/;

/** The rule a configured value names; a string starting with "launch" must be a valid `launch+<N>d`. */
export function parseTagRule(value: string): TagRule | { problem: string } {
  if (value === "creator") return { kind: "creator" };
  const launch = LAUNCH_RULE.exec(value);
  if (launch) {
    const days = Number(launch[1]);
    if (days < 1 || days > MAX_LAUNCH_DAYS) return { problem: `launch+${days}d must add 1 to ${MAX_LAUNCH_DAYS} days` };
    return { kind: "launch", days };
  }
  if (value.startsWith("launch")) return { problem: `"${value}" is not a launch date rule; write launch+<days>d, e.g. launch+30d (or quote a fixed value that does not start with "launch")` };
  if (value.length > MAX_TAG_VALUE) return { problem: `a tag value is at most ${MAX_TAG_VALUE} characters (EC2 tag restrictions); this one has ${value.length}` };
  return { kind: "fixed", value };
}

export interface TagFacts {
  actor?: ChangeActor;
  /** The instance's LaunchTime. */
  launchTime?: Date;
}

/** The value a rule gives, or why it cannot be known: reported, never written. */
export function ruleValue(rule: TagRule, facts: TagFacts): { value: string } | { unknown: string } {
  switch (rule.kind) {
    case "fixed":
      return { value: rule.value };
    case "creator":
      return facts.actor?.arn ? { value: facts.actor.arn.slice(0, MAX_TAG_VALUE) } : { unknown: "creator unknown (no RunInstances record in CloudTrail event history, which keeps 90 days)" };
    case "launch": {
      if (!facts.launchTime || Number.isNaN(facts.launchTime.getTime())) return { unknown: "launch time unknown" };
      return { value: new Date(facts.launchTime.getTime() + rule.days * 86_400_000).toISOString().slice(0, 10) };
    }
  }
}
