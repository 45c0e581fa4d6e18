import type { IgnoreRule } from "../config/schema.js";
import type { FalsePositiveFinding, IgnoredFinding, PropertyDifference, ResourceDrift } from "../core/types.js";
import { policyForm } from "./false-positives/policy-form.js";
import { FALSE_POSITIVE_CLASSES } from "./false-positives/registry.js";
import { isObject, type FalsePositiveClass } from "./false-positives/types.js";
import { expiredIgnoreRule, matchingIgnoreRule } from "./ignore.js";
import { comparable, normaliseAt, type ResourceContext } from "./normalise.js";
import { parsePointer, valueAt, withValueAt } from "./pointer.js";

/**
 * The decision input: CloudFormation's differences for one resource split into known false
 * positives, differences an ignore rule lets drift, and real drift. Pure: live reads the
 * classes need (evidence) are made before, by evidence.ts.
 */

export interface ClassifyInput {
  drift: ResourceDrift;
  ctx: ResourceContext;
  stackName: string;
  now: Date;
  ignore: readonly IgnoreRule[];
  /** Live values by top-level property, read by the classes' evidence probes. */
  evidence?: ReadonlyMap<string, unknown>;
}

export interface Classification {
  real: PropertyDifference[];
  falsePositives: FalsePositiveFinding[];
  ignored: IgnoredFinding[];
  /** Real differences an ignore rule would cover but for its passed `until`: drift again, said loudly. */
  expired?: IgnoredFinding[];
}

/** `live` restricted to what `template` sets, so a field the template does not manage is not compared. */
export function projectOnto(live: unknown, template: unknown): unknown {
  if (Array.isArray(template) && Array.isArray(live)) return live.map((item, i) => (i < template.length ? projectOnto(item, template[i]) : item));
  if (isObject(template) && isObject(live)) {
    return Object.fromEntries(Object.keys(template).filter((k) => live[k] !== undefined).map((k) => [k, projectOnto(live[k], template[k])]));
  }
  return live;
}

/** The actual document with every evidence value in place of what CloudFormation read, and the properties that changed. */
function withEvidence(drift: ResourceDrift, evidence: ReadonlyMap<string, unknown> | undefined): { actual: unknown; replaced: Set<string> } {
  let actual: unknown = drift.actual ?? {};
  const replaced = new Set<string>();
  for (const [property, live] of evidence ?? []) {
    // Evidence stands in for a property CloudFormation read as absent, never for one it read.
    if ((drift.actual ?? {})[property] !== undefined) continue;
    const projected = live === undefined ? undefined : projectOnto(live, drift.expected?.[property]);
    if (comparable(projected) === comparable((drift.actual ?? {})[property])) continue;
    actual = withValueAt(actual, [property], projected);
    replaced.add(property);
  }
  return { actual, replaced };
}

/**
 * The classes that explain why `difference` is not drift, or undefined when it is. A class is
 * named when the sides differ without it; policy-form is not named for two documents that were
 * both strings (it only parsed them).
 */
function explain(difference: PropertyDifference, input: ClassifyInput, actual: unknown, replaced: ReadonlySet<string>): FalsePositiveClass[] | undefined {
  const path = parsePointer(difference.propertyPath);
  const expected = input.drift.expected ?? {};
  const evidenceClasses = FALSE_POSITIVE_CLASSES.filter(
    (c) => c.evidence?.resourceType === input.drift.resourceType && c.evidence.property === path[0] && replaced.has(c.evidence.property),
  );
  // A set reordered or a list element rewritten shows at the element's path; the reason may only
  // be visible at an enclosing list or document, so each enclosing level is tried, up to the property.
  for (let depth = path.length; depth >= 1; depth--) {
    const at = path.slice(0, depth);
    const e = valueAt(expected, at);
    const a = valueAt(actual, at);
    const equalWith = (classes: readonly FalsePositiveClass[]) => comparable(normaliseAt(e, at, input.ctx, classes)) === comparable(normaliseAt(a, at, input.ctx, classes));
    if (!equalWith(FALSE_POSITIVE_CLASSES)) continue;
    const bothStrings = typeof e === "string" && typeof a === "string";
    const necessary = FALSE_POSITIVE_CLASSES.filter(
      (c) => c.evidence === undefined && !(bothStrings && c === policyForm) && !equalWith(FALSE_POSITIVE_CLASSES.filter((k) => k !== c)),
    );
    const applied = [...necessary, ...evidenceClasses];
    if (applied.length > 0) return applied;
  }
  return undefined;
}

export function classify(input: ClassifyInput): Classification {
  const out: Classification = { real: [], falsePositives: [], ignored: [] };
  if (input.drift.status !== "MODIFIED") return { ...out, real: [...input.drift.differences] };
  const { actual, replaced } = withEvidence(input.drift, input.evidence);
  for (const difference of input.drift.differences) {
    const classes = explain(difference, input, actual, replaced);
    if (classes) {
      out.falsePositives.push({
        propertyPath: difference.propertyPath,
        differenceType: difference.differenceType,
        classes: classes.map((c) => c.id),
        roadmapIssues: [...new Set(classes.flatMap((c) => c.roadmapIssues))].sort((a, b) => a - b),
      });
      continue;
    }
    const rule = matchingIgnoreRule(input.ignore, { resourceType: input.drift.resourceType, stackName: input.stackName, now: input.now }, difference);
    if (rule) {
      out.ignored.push({
        propertyPath: difference.propertyPath,
        differenceType: difference.differenceType,
        reason: rule.reason,
        rule: rule.property,
        ...(rule.until ? { until: rule.until } : {}),
      });
      continue;
    }
    const expired = expiredIgnoreRule(input.ignore, { resourceType: input.drift.resourceType, stackName: input.stackName, now: input.now }, difference);
    if (expired) {
      (out.expired ??= []).push({ propertyPath: difference.propertyPath, differenceType: difference.differenceType, reason: expired.reason, rule: expired.property, ...(expired.until ? { until: expired.until } : {}) });
    }
    out.real.push(difference);
  }
  return out;
}

/**
 * The template as the repair should see it: ignored differences are taken as they are live, so
 * no remediator restores what a team lets drift. Array elements added live are appended,
 * elements removed live are dropped (highest index first, so indexes stay valid).
 */
export function expectedWithIgnored(drift: ResourceDrift, ignored: readonly IgnoredFinding[]): Record<string, unknown> | undefined {
  if (drift.expected === undefined || ignored.length === 0) return drift.expected;
  let expected: unknown = drift.expected;
  const actual = drift.actual ?? {};
  const ordered = [...ignored].sort((a, b) => b.propertyPath.localeCompare(a.propertyPath, undefined, { numeric: true }));
  for (const finding of ordered) {
    const path = parsePointer(finding.propertyPath);
    const parent = valueAt(expected, path.slice(0, -1));
    if (Array.isArray(parent) && finding.differenceType === "ADD") {
      expected = withValueAt(expected, path.slice(0, -1), [...parent, valueAt(actual, path)]);
    } else {
      expected = withValueAt(expected, path, valueAt(actual, path));
    }
  }
  return expected as Record<string, unknown>;
}

/** "account-id-principal (cloudformation-coverage-roadmap#2557)" for each class, once. */
export function describeFalsePositives(findings: readonly FalsePositiveFinding[]): string {
  const seen = new Map<string, number[]>();
  for (const f of findings) for (const c of f.classes) seen.set(c, [...new Set([...(seen.get(c) ?? []), ...f.roadmapIssues.filter((n) => FALSE_POSITIVE_CLASSES.find((k) => k.id === c)?.roadmapIssues.includes(n))])]);
  return [...seen].map(([c, issues]) => `${c} (${issues.map((n) => `cloudformation-coverage-roadmap#${n}`).join(", ")})`).join("; ");
}
