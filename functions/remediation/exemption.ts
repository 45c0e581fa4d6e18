import type { Config } from "../config/schema.js";
import type { ExemptionState } from "../core/types.js";

/**
 * Exemption tags on the stack or on the physical resource. Anyone with tag write in a member
 * account can set one, so the grammar is exact and anything else exempts nothing (fail closed):
 *
 *     value = "reason=" text [ ( ";" | " " ) "until=" date ]
 *
 * - `reason` comes first and is required: trimmed, non-empty, without `;` or `=`, and without the
 *   word "until" — `reason=INC-1,until=2020-01-01` or `reason=INC-1 until 2020-01-01` would
 *   otherwise swallow the expiry into the reason and exempt for ever.
 * - `until` is optional; it follows a `;` or exactly one space (IAM and several other services do
 *   not allow `;` in tag values). It is a real calendar date YYYY-MM-DD, inclusive: the
 *   exemption holds through the end of that day, UTC. It may lie at most `maxDays`
 *   (defaults.exemptions.maxDays, 90 by default) ahead, so `until=9999-12-31` is invalid.
 * - Keys are lowercase, as written here; `Reason=` is a typo that is reported, not guessed at.
 * - Expired and invalid values are not exemptions: the resource is handled normally and the
 *   state is reported so a person fixes or removes the tag.
 */

export type ExemptionScope = "stack" | "resource";

export interface ExemptionPolicy {
  /** defaults.exemptionTagKey */
  tagKey: string;
  /** defaults.exemptions.maxDays: how far ahead `until` may lie. */
  maxDays: number;
}

export function exemptionPolicy(config: Pick<Config, "defaults">): ExemptionPolicy {
  return { tagKey: config.defaults.exemptionTagKey, maxDays: config.defaults.exemptions.maxDays };
}

const GRAMMAR = "write reason=<why> or reason=<why>;until=YYYY-MM-DD";
const REASON_PREFIX = "reason=";
/** The only two ways the expiry may follow the reason: `;until=` or a single space then `until=`. */
const UNTIL_FIELD = /^(.*?)(?:;|(?<! ) )until=(.*)$/s;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function parseExemption(value: string, now: Date, on: ExemptionScope, maxDays: number): ExemptionState {
  const invalid = (problem: string): ExemptionState => ({ kind: "invalid", raw: value, problem, on });

  if (!value.startsWith(REASON_PREFIX)) {
    const key = /^\s*([A-Za-z]+)\s*=/.exec(value)?.[1];
    if (key !== undefined && key.toLowerCase() === "reason") return invalid(`write the key as "reason=" (lowercase, no spaces); ${GRAMMAR}`);
    return invalid(`must start with "reason="; ${GRAMMAR}`);
  }
  const rest = value.slice(REASON_PREFIX.length);
  const split = UNTIL_FIELD.exec(rest);
  const rawReason = split ? (split[1] as string) : rest;
  const until = split?.[2];

  const reason = rawReason.trim();
  if (reason === "") return invalid(`reason is empty; ${GRAMMAR}`);
  if (/[;=]/.test(reason)) return invalid(`reason "${reason}" contains ";" or "="; the only other field is until=YYYY-MM-DD, after ";" or one space`);
  if (/\buntil\b/i.test(reason)) return invalid(`reason "${reason}" mentions "until" but sets no expiry; write ...;until=YYYY-MM-DD`);
  if (until === undefined) return { kind: "exempt", reason, on };

  const endOfDay = endOfUtcDay(until);
  if (endOfDay === undefined) return invalid(`until "${until}" is not a date written YYYY-MM-DD`);
  const latest = latestUntil(now, maxDays);
  if (endOfDay > endOfUtcDay(latest)!) return invalid(`until ${until} is more than ${maxDays} days ahead (defaults.exemptions.maxDays); the latest allowed today is ${latest}`);
  return now.getTime() < endOfDay ? { kind: "exempt", reason, until, on } : { kind: "expired", reason, until, on };
}

/** The exemption carried by `tags[policy.tagKey]`, or `none` when the tag is absent. */
export function exemptionFromTags(tags: Readonly<Record<string, string>>, policy: ExemptionPolicy, now: Date, on: ExemptionScope): ExemptionState {
  const value = tags[policy.tagKey];
  return value === undefined ? { kind: "none" } : parseExemption(value, now, on, policy.maxDays);
}

/** The sentence for reports is shared with the report renderers (core/exemption-text.ts). */
export { describeExemption } from "../core/exemption-text.js";

/** `now` + maxDays, as the YYYY-MM-DD an exemption may last through. */
function latestUntil(now: Date, maxDays: number): string {
  return new Date(now.getTime() + maxDays * DAY_MS).toISOString().slice(0, 10);
}

/** Milliseconds at the end of `date` (UTC), or undefined when it is not a real calendar date. */
function endOfUtcDay(date: string): number | undefined {
  const m = DATE.exec(date);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const start = Date.UTC(year, month - 1, day);
  const check = new Date(start);
  // Date.UTC rolls 2026-02-30 over to March; a rolled date is a typo, not a deadline.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return start + DAY_MS;
}
