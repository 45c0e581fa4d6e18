import type { Mode } from "../../config/schema.js";
import type { ExemptionState, RemediationAction } from "../../core/types.js";
import { type RemediationGuards, runPipeline, type SafetyPolicy } from "../../remediation/index.js";
import type { Guardrail, GuardrailInput, Inspection } from "./types.js";

export interface GuardrailContext extends GuardrailInput {
  mode: Mode;
  exemptionOf(tags: Record<string, string>): ExemptionState;
  guards: () => Promise<RemediationGuards>;
  safety: SafetyPolicy;
  now: Date;
}

export interface GuardrailOutcome {
  action: RemediationAction;
  exemption?: ExemptionState;
  finding: boolean;
}

/**
 * Runs one guardrail under driftguard's rules: exempt resources are left alone, and the repair
 * it plans goes through the same apply path as a remediator's (remediation/pipeline.ts:
 * invariants → mode → flapping → blast radius → apply → verify); it counts as remediated only
 * when a fresh inspection finds nothing more to repair. `inspected`: the scheduled sweep has
 * already judged the listed resource (functions/sweep/), so it is not read twice.
 */
export async function evaluateGuardrail(guardrail: Guardrail, ctx: GuardrailContext, inspected?: Inspection): Promise<GuardrailOutcome> {
  const by = `guardrail:${guardrail.name}`;
  const found = inspected ?? (await guardrail.inspect(ctx));
  if (found.state === "gone" || found.state === "compliant") return { finding: false, action: { outcome: "skipped", reason: found.reason, steps: [], by } };

  const exemption = ctx.exemptionOf(found.tags);
  const finding = { finding: true, exemption };
  if (exemption.kind === "exempt") {
    return { ...finding, action: { outcome: "skipped", reason: `${found.reason}; exempt: ${exemption.reason}`, steps: [], by } };
  }
  if (found.steps.length === 0) return { ...finding, action: { outcome: "manual", reason: found.reason, steps: [], by } };

  // No stack: the flapping record keys the resource under its guardrail.
  const ref = { accountId: ctx.clients.accountId, region: ctx.clients.region, stackName: by, logicalResourceId: ctx.resource.physicalId };
  const action = await runPipeline(
    { ref, by, mode: ctx.mode, steps: found.steps },
    {
      guards: await ctx.guards(),
      safety: ctx.safety,
      now: ctx.now,
      verify: async (_applied, steps) => {
        // Fresh state, not the sweep's listing; what is left only for a person (steps: []) is not a failed repair.
        const after = await guardrail.inspect({ ...ctx, live: undefined });
        return after.state === "violation" && after.steps.length > 0
          ? { outcome: "failed", reason: `${found.reason}; still present after repair: ${after.reason}`, steps }
          : { outcome: "remediated", reason: found.reason, steps };
      },
    },
  );
  // A guardrail's finding is the reason; the pipeline's own reason only adds to it when it did not repair.
  const reason = action.outcome === "planned" ? found.reason : action.outcome === "remediated" || action.outcome === "failed" ? action.reason : `${found.reason}; ${action.reason}`;
  return { ...finding, action: { ...action, reason } };
}
