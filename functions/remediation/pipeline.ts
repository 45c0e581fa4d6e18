import type { Mode } from "../config/schema.js";
import type { RemediationAction } from "../core/types.js";
import { errorText } from "../core/errors.js";
import { describeCritical, type CriticalFinding } from "./critical.js";
import type { RemediationGuards, ResourceRef } from "./guards.js";
import { apiOf, type PlannedStep } from "./plan.js";
import { refusals, type SafetyPolicy } from "./safety/invariants.js";
import { withWriteApproval } from "../aws/write-gate.js";

/**
 * The one apply path. A planner (remediator or guardrail) has already honoured ownership; here,
 * in order: privilege invariants → mode → flapping → blast radius → apply exactly the approved
 * steps → verify. Report mode stops after the invariants with the very steps remediate mode
 * would send, so a refusal shows in report mode too. The REVERT_DRIFT path sends its change-set
 * calls through `sendApproved` below, the same gate.
 */

export interface Proposal {
  ref: ResourceRef;
  /** Which remediator or guardrail planned it. */
  by: string;
  mode: Mode;
  steps: readonly PlannedStep[];
  /** Appended to the reason: what the planner leaves for a person. */
  leftOver?: string;
  /** Attachments the planner kept (ownership), for the report. */
  honoured?: readonly string[];
  /** Drift that grants privilege (critical.ts): its revert only takes privilege away, so it passes flapping and blast radius. */
  critical?: readonly CriticalFinding[];
  /** The guards' marks (security-critical, contested), carried on whatever action results. */
  marks?: Pick<RemediationAction, "securityCritical" | "contested">;
}

export interface PipelineContext {
  guards: RemediationGuards;
  safety: SafetyPolicy;
  now: Date;
  /** After every step was sent: `remediated` only if a fresh check finds the resource as intended. */
  verify(reason: string, steps: string[]): Promise<RemediationAction>;
}

export class RefusedError extends Error {
  readonly code = "Refused";
  constructor(readonly reasons: readonly string[]) {
    super(reasons.join("; "));
    this.name = "RefusedError";
  }
}

/** Every reason any step is refused, in step order. */
export function refusalsOf(steps: readonly PlannedStep[], safety: SafetyPolicy): string[] {
  return steps.flatMap((s) => refusals(s.effect, safety));
}

/** Sends one step after checking it; throws RefusedError when the invariants refuse it. */
export async function sendApproved(step: PlannedStep, safety: SafetyPolicy): Promise<unknown> {
  const refused = refusals(step.effect, safety);
  if (refused.length > 0) throw new RefusedError(refused);
  return withWriteApproval({ api: apiOf(step), call: step.call }, () => step.send());
}

export function refusedAction(reasons: readonly string[], steps: readonly string[], by: string | undefined): RemediationAction {
  return {
    outcome: "refused",
    reason: `${reasons.join("; ")}; nothing was changed`,
    steps: [...steps],
    ...(by !== undefined ? { by } : {}),
  };
}

export async function runPipeline(proposal: Proposal, ctx: PipelineContext): Promise<RemediationAction> {
  // Frozen: what the guards approve below is exactly what is sent.
  const approved = Object.freeze([...proposal.steps]);
  const { by } = proposal;
  const calls = approved.map((s) => s.call);
  const summary = approved.map((s) => s.summary).join("; ");
  const honoured = {
    ...(proposal.honoured && proposal.honoured.length > 0 ? { honoured: [...proposal.honoured] } : {}),
    ...proposal.marks,
  };
  const leftOver = proposal.leftOver ?? "";
  const critical = proposal.critical ?? [];
  const why = critical.length > 0 ? `security-critical: ${describeCritical(critical)}; ` : "";

  const refused = refusalsOf(approved, ctx.safety);
  if (refused.length > 0) return { ...refusedAction(refused, calls, by), ...honoured };
  if (proposal.mode === "report") return { outcome: "planned", reason: `${why}planned: ${summary}${leftOver}`, steps: calls, by, ...honoured };

  const guardOptions = { critical: critical.length > 0 };
  const trip = ctx.guards.flappingBlock(proposal.ref, guardOptions);
  if (trip !== undefined) return { outcome: "skipped", reason: trip.reason, steps: calls, by, guard: trip.guard, ...honoured };
  const reservation = ctx.guards.reserve(proposal.ref.accountId, 1, guardOptions);
  if (!reservation.ok) return { outcome: "skipped", reason: reservation.reason, steps: calls, by, guard: "blast-radius", ...honoured };

  const done: string[] = [];
  for (const step of approved) {
    try {
      await sendApproved(step, ctx.safety);
    } catch (err) {
      if (done.length > 0) ctx.guards.recordRepair(proposal.ref, ctx.now);
      return { outcome: "failed", reason: `${errorText(err)} (at ${step.call})`, steps: done, by, ...honoured };
    }
    done.push(step.call);
  }
  ctx.guards.recordRepair(proposal.ref, ctx.now);
  return { ...(await ctx.verify(`${why}applied: ${summary}${leftOver}`, done)), by, ...honoured };
}
