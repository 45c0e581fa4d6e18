import type { PropertyDifference, ResourceDrift, StepEffect } from "../core/types.js";
import { projectOnto } from "./classify.js";
import { comparable, normaliseAt, type ResourceContext } from "./normalise.js";
import { parsePointer, valueAt, withValueAt } from "./pointer.js";

/**
 * Convergence before repair: from a plan's effects, the resource as CloudFormation will read it
 * after the repair, compared with the template under the same normalisers the decision used.
 * A plan that would leave a managed property different is not applied: it would "repair" on
 * every run and fail verification every time. Pure; the pipeline calls it before apply.
 */

export interface ConvergenceInput {
  /** The decision input: expected (ignored differences taken as live), actual as read, real differences only. */
  drift: ResourceDrift;
  effects: readonly StepEffect[];
  /** Top-level properties the remediator repairs; absent = every property. Others are outside the repair. */
  managed?: readonly string[];
  /**
   * Top-level properties to check besides those with real differences: those the effects change
   * (a REVERT_DRIFT change set also rewrites properties an ignore rule lets drift).
   */
  alsoCheck?: readonly string[];
  ctx: ResourceContext;
}

export type Convergence = { converges: true } | { converges: false; remaining: PropertyDifference[] };

/** The Properties document after the effects, in order. */
export function predictState(actual: Record<string, unknown> | undefined, effects: readonly StepEffect[]): unknown {
  return effects.reduce<unknown>((state, e) => withValueAt(state, parsePointer(e.path), e.value), actual ?? {});
}

const render = (v: unknown): string => (v === undefined ? "null" : typeof v === "string" ? v : JSON.stringify(v));

export function checkConvergence(input: ConvergenceInput): Convergence {
  const expected = input.drift.expected ?? {};
  const predicted = predictState(input.drift.actual, input.effects);
  const properties = [...new Set([...input.drift.differences.map((d) => parsePointer(d.propertyPath)[0] ?? ""), ...(input.alsoCheck ?? [])])].filter(
    (p) => p !== "" && (input.managed === undefined || input.managed.includes(p)),
  );
  const remaining: PropertyDifference[] = [];
  for (const property of properties) {
    const want = valueAt(expected, [property]);
    // CloudFormation compares what the template sets; live fields it does not set are not drift.
    const after = projectOnto(valueAt(predicted, [property]), want);
    if (comparable(normaliseAt(want, [property], input.ctx)) === comparable(normaliseAt(after, [property], input.ctx))) continue;
    remaining.push({
      propertyPath: `/${property}`,
      expectedValue: render(want),
      actualValue: render(after),
      differenceType: after === undefined ? "REMOVE" : "NOT_EQUAL",
    });
  }
  return remaining.length === 0 ? { converges: true } : { converges: false, remaining };
}
