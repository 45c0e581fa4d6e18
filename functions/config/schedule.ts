/**
 * `hub.schedule` checked against EventBridge's own grammar, so `npm run synth` rejects what
 * `PutRule` would reject at apply time, and the longest gap between two runs, which the
 * "no successful scan" alarm waits for twice.
 *
 * Grammar: "Using cron and rate expressions to schedule rules in Amazon EventBridge"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html) and
 * "Rate expressions reference" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html):
 * - rate(value unit): value a positive integer; unit minute|minutes|hour|hours|day|days, singular
 *   for 1 and plural otherwise ("rate(1 hours) and rate(5 hour) aren't valid").
 * - cron(minutes hours day-of-month month day-of-week year): six fields; minutes 0-59, hours 0-23,
 *   day-of-month 1-31 (wildcards , - * ? / L W), month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT
 *   (wildcards , - * ? L #), year 1970-2199; one of day-of-month and day-of-week must be `?`.
 */

export type Schedule = { kind: "rate"; seconds: number } | { kind: "cron"; fields: CronFields };

export interface CronFields {
  minutes: string;
  hours: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
  year: string;
}

const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86_400 } as const;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export const SCHEDULE_DOC = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html";

/** The parsed schedule, or what is wrong with it in words a person can act on. */
export function parseSchedule(text: string): Schedule | { problem: string } {
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) return parseRate(rate[1]!);
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return parseCron(cron[1]!);
  return { problem: 'must be rate(value unit) or cron(6 fields), e.g. "rate(6 hours)" or "cron(0 */6 * * ? *)"' };
}

function parseRate(body: string): Schedule | { problem: string } {
  const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!m) return { problem: "a rate is rate(value unit) with a whole number and one of minute(s), hour(s), day(s), e.g. rate(6 hours)" };
  const value = Number(m[1]);
  const unit = m[2]!;
  const singular = unit.replace(/s$/, "") as keyof typeof UNIT_SECONDS;
  if (value < 1) return { problem: "the rate value must be 1 or more" };
  if (value === 1 && unit !== singular) return { problem: `EventBridge wants the singular unit for 1: rate(1 ${singular})` };
  if (value > 1 && unit === singular) return { problem: `EventBridge wants the plural unit above 1: rate(${value} ${singular}s)` };
  return { kind: "rate", seconds: value * UNIT_SECONDS[singular] };
}

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Extra characters EventBridge allows in this field beyond , - * / */
  extra: RegExp;
}

const FIELD_RULES: FieldRule[] = [
  { name: "minutes", min: 0, max: 59, extra: /^$/ },
  { name: "hours", min: 0, max: 23, extra: /^$/ },
  { name: "day-of-month", min: 1, max: 31, extra: /^(\?|L|\d{1,2}W|LW)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS, extra: /^$/ },
  { name: "day-of-week", min: 1, max: 7, names: DAYS, extra: /^(\?|L|\dL|[1-7]#[1-5]|[A-Z]{3}#[1-5])$/ },
  { name: "year", min: 1970, max: 2199, extra: /^$/ },
];

function parseCron(body: string): Schedule | { problem: string } {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) {
    return { problem: `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), found ${parts.length}; e.g. cron(0 */6 * * ? *)` };
  }
  for (const [i, rule] of FIELD_RULES.entries()) {
    const problem = fieldProblem(parts[i]!, rule);
    if (problem) return { problem };
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = parts as [string, string, string, string, string, string];
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
    return { problem: "exactly one of day-of-month and day-of-week must be ?, e.g. cron(0 12 * * ? *) or cron(0 12 ? * MON *)" };
  }
  return { kind: "cron", fields: { minutes, hours, dayOfMonth, month, dayOfWeek, year } };
}

function fieldProblem(field: string, rule: FieldRule): string | undefined {
  for (const item of field.toUpperCase().split(",")) {
    if (rule.extra.test(item)) continue;
    const m = /^(\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:\/(\d+))?$/.exec(item);
    const values = m?.[1] === "*" ? [] : (m?.[1]?.split("-") ?? [""]);
    const bad = !m || values.some((v) => valueOf(v, rule) === undefined) || (m[2] !== undefined && Number(m[2]) < 1);
    if (bad) return `cron field ${rule.name} "${field}" is not valid: allowed ${rule.min}-${rule.max}${rule.names ? ` or ${rule.names[0]}-${rule.names.at(-1)}` : ""} with , - * /${rule.name.startsWith("day") ? " ?" : ""} (see ${SCHEDULE_DOC})`;
  }
  return undefined;
}

function valueOf(token: string, rule: FieldRule): number | undefined {
  const named = rule.names?.indexOf(token) ?? -1;
  const n = named >= 0 ? named + rule.min : /^\d+$/.test(token) ? Number(token) : NaN;
  return n >= rule.min && n <= rule.max ? n : undefined;
}

/** The set of values an (already valid) plain field matches; L, W and # are handled by the caller. */
function matcher(field: string, rule: FieldRule): (n: number) => boolean {
  const items = field.toUpperCase().split(",");
  return (n) =>
    items.some((item) => {
      const [range, step] = item.split("/") as [string, string | undefined];
      const all = range === "*" || range === "?";
      const [lo, hi] = all ? [rule.min, rule.max] : range.split("-").map((v) => valueOf(v, rule)!);
      // "5" is one value, "5/15" runs from 5 to the end, "1-5" and "*" are ranges.
      const top = all || range.includes("-") || step !== undefined ? (hi ?? rule.max) : lo!;
      return n >= lo! && n <= top && (n - lo!) % Number(step ?? 1) === 0;
    });
}

const DAY_MS = 86_400_000;
/** A year of days covers every schedule whose pattern repeats within a year (all but year-limited ones). */
const HORIZON_DAYS = 366;

export function longestGapSeconds(schedule: Schedule, from = Date.UTC(2026, 0, 1)): number {
  if (schedule.kind === "rate") return schedule.seconds;
  const f = schedule.fields;
  if (/[LW#]/.test(f.dayOfMonth + f.dayOfWeek)) return 31 * 86_400;
  const [minutes, hours, dom, month, dow] = [f.minutes, f.hours, f.dayOfMonth, f.month, f.dayOfWeek].map((v, i) => matcher(v, FIELD_RULES[i]!));
  const range = (n: number, test: (n: number) => boolean) => Array.from({ length: n }, (_, i) => i).filter(test);
  const times = range(24, hours!).flatMap((h) => range(60, minutes!).map((m) => (h * 60 + m) * 60_000));
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < HORIZON_DAYS; d++) {
    const day = new Date(from + d * DAY_MS);
    const dayFires = month!(day.getUTCMonth() + 1) && (f.dayOfMonth === "?" ? dow!(day.getUTCDay() + 1) : dom!(day.getUTCDate()));
    if (!dayFires) continue;
    for (const offset of times) {
      const t = day.getTime() + offset;
      if (previous !== undefined) longest = Math.max(longest, (t - previous) / 1000);
      previous = t;
    }
  }
  return longest > 0 ? longest : 366 * 86_400;
}
