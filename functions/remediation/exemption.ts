import type { ExemptionState } from "../core/types.js";

/**
 * Exemption tags: `reason=<text>;until=<YYYY-MM-DD>` on the stack or on the physical resource.
 *
 * - Keys are case-insensitive (`Reason=`, `UNTIL=`), values are trimmed; `reason` is required
 *   and non-empty, `until` is optional. Unknown or repeated keys make the value invalid, so a
 *   typo (`untill=`) is reported instead of silently granting an open-ended exemption.
 * - Fields are separated by `;`. IAM and several other services do not allow `;` in tag values,
 *   so a field may also start after whitespace: `reason=INC-123 break-glass until=2026-12-31`.
 * - `until` is inclusive: the exemption holds through the end of that day, UTC.
 * - Expired and invalid values are not exemptions: the resource is handled normally and the
 *   state is reported so a person fixes or removes the tag.
 */

export type ExemptionScope = "stack" | "resource";

const KEYS = ["reason", "until"] as const;
type Key = (typeof KEYS)[number];

/** Splits before `reason=` / `until=` that follow whitespace, the separator IAM tags can carry. */
const WHITESPACE_FIELD_BREAK = /\s+(?=(?:reason|until)\s*=)/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function parseExemption(value: string, now: Date, on: ExemptionScope): ExemptionState {
  const invalid = (problem: string): ExemptionState => ({ kind: "invalid", raw: value, problem, on });

  const fields = new Map<Key, string>();
  const parts = value.split(";").flatMap((segment) => segment.split(WHITESPACE_FIELD_BREAK));
  for (const part of parts.map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=");
    if (eq < 0) return invalid(`"${part}" is not key=value; write reason=<why>[;until=YYYY-MM-DD]`);
    const key = part.slice(0, eq).trim().toLowerCase();
    if (!isKey(key)) return invalid(`unknown key "${part.slice(0, eq).trim()}"; allowed keys: ${KEYS.join(", ")}`);
    if (fields.has(key)) return invalid(`"${key}" is given twice`);
    fields.set(key, part.slice(eq + 1).trim());
  }

  const reason = fields.get("reason");
  if (reason === undefined) return invalid("no reason; write reason=<why>[;until=YYYY-MM-DD]");
  if (reason === "") return invalid("reason is empty");

  const until = fields.get("until");
  if (until === undefined) return { kind: "exempt", reason, on };
  const endOfDay = endOfUtcDay(until);
  if (endOfDay === undefined) return invalid(`until "${until}" is not a date written YYYY-MM-DD`);
  return now.getTime() < endOfDay ? { kind: "exempt", reason, until, on } : { kind: "expired", reason, until, on };
}

/** The exemption carried by `tags[tagKey]`, or `none` when the tag is absent. */
export function exemptionFromTags(
  tags: Readonly<Record<string, string>>,
  tagKey: string,
  now: Date,
  on: ExemptionScope,
): ExemptionState {
  const value = tags[tagKey];
  return value === undefined ? { kind: "none" } : parseExemption(value, now, on);
}

/** A sentence for reports: "exempt by stack tag: INC-123 break-glass (until 2026-12-31)". */
export function describeExemption(state: ExemptionState): string {
  switch (state.kind) {
    case "none":
      return "not exempt";
    case "exempt":
      return `exempt by ${state.on} tag: ${state.reason}${state.until ? ` (until ${state.until})` : ""}`;
    case "expired":
      return `${state.on} exemption expired on ${state.until} (${state.reason})`;
    case "invalid":
      return `invalid ${state.on} exemption "${state.raw}": ${state.problem}`;
  }
}

function isKey(key: string): key is Key {
  return (KEYS as readonly string[]).includes(key);
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
