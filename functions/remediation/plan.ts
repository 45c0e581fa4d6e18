import { errorText } from "../core/errors.js";
import type { TagMap } from "../core/tags.js";
import type { StepEffect } from "../core/types.js";
import type { RemediatorInput, RemediatorResult } from "./types.js";

/**
 * Remediators compute a plan from the template's values and the live state, then run it. Dry
 * runs and real runs share the planning code, so report mode shows exactly what would be sent.
 */
export interface PlannedStep {
  /** The API call, e.g. "DetachRolePolicy RoleName=app PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess". */
  call: string;
  /** What it achieves, for the reason line: "detach arn:aws:iam::aws:policy/AdministratorAccess". */
  summary: string;
  /** How the properties it changes look to CloudFormation once the plan ran: the convergence check's input. */
  effects?: StepEffect[];
  apply(): Promise<unknown>;
}

export type { StepEffect };

/** The effects of a plan's steps, in order (a later effect on the same path wins). */
export const effectsOf = (steps: readonly PlannedStep[]): StepEffect[] => steps.flatMap((s) => s.effects ?? []);

/** A plan, or the reason no safe automatic repair exists. */
export type Plan = { steps: PlannedStep[] } | { manual: string };

export const IN_SYNC_REASON = "live state already matches the template for every property this remediator manages";

export async function runPlan(plan: Plan, input: Pick<RemediatorInput, "dryRun">): Promise<RemediatorResult> {
  if ("manual" in plan) return { outcome: "manual", reason: plan.manual, steps: [] };
  const { steps } = plan;
  if (steps.length === 0) return { outcome: "skipped", reason: IN_SYNC_REASON, steps: [] };
  const summary = steps.map((s) => s.summary).join("; ");
  if (input.dryRun) return { outcome: "remediated", reason: `planned: ${summary}`, steps: steps.map((s) => s.call), effects: effectsOf(steps) };

  const done: string[] = [];
  for (const step of steps) {
    try {
      await step.apply();
    } catch (err) {
      return { outcome: "failed", reason: `${errorText(err)} (at ${step.call})`, steps: done };
    }
    done.push(step.call);
  }
  return { outcome: "remediated", reason: `applied: ${summary}`, steps: done, effects: effectsOf(steps) };
}

/** Zero or one step that writes `restore` through the type's own tagging call. */
export function restoreTagsStep(
  restore: Readonly<TagMap>,
  call: string,
  apply: (restore: Readonly<TagMap>) => Promise<unknown>,
  /** The template's Tags: CloudFormation compares only its keys, which the step gives their values. */
  expectedTags?: unknown,
): PlannedStep[] {
  const keys = Object.keys(restore);
  if (keys.length === 0) return [];
  return [
    {
      call: `${call} ${keys.map((k) => `${k}=${restore[k]}`).join(", ")}`,
      summary: `restore tags ${keys.join(", ")}`,
      ...(expectedTags !== undefined ? { effects: [{ path: "/Tags", value: expectedTags }] } : {}),
      apply: () => apply(restore),
    },
  ];
}
