import type { Mode } from "../../config/schema.js";
import type { ExemptionState, RemediationAction } from "../../core/types.js";
import { errorText } from "../../core/errors.js";
import type { Guardrail, GuardrailInput } from "./types.js";

export interface GuardrailContext extends GuardrailInput {
  mode: Mode;
  exemptionOf(tags: Record<string, string>): ExemptionState;
}

export interface GuardrailOutcome {
  action: RemediationAction;
  exemption?: ExemptionState;
  finding: boolean;
}

/**
 * Runs one guardrail under driftguard's rules: exempt resources are left alone, report mode only
 * plans, and a fix counts as remediated only when a fresh inspection finds the rule satisfied.
 */
export async function evaluateGuardrail(guardrail: Guardrail, ctx: GuardrailContext): Promise<GuardrailOutcome> {
  const by = `guardrail:${guardrail.name}`;
  const found = await guardrail.inspect(ctx);
  if (found.state === "gone") return { finding: false, action: { outcome: "skipped", reason: found.reason, steps: [], by } };
  if (found.state === "compliant") {
    return { finding: false, action: { outcome: "skipped", reason: found.reason, steps: [], by } };
  }

  const exemption = ctx.exemptionOf(found.tags);
  const finding = { finding: true, exemption };
  if (exemption.kind === "exempt") {
    return { ...finding, action: { outcome: "skipped", reason: `${found.reason}; exempt: ${exemption.reason}`, steps: [], by } };
  }
  if (!found.fix) return { ...finding, action: { outcome: "manual", reason: found.reason, steps: [], by } };
  if (ctx.mode === "report") return { ...finding, action: { outcome: "planned", reason: found.reason, steps: found.steps, by } };

  try {
    await found.fix();
  } catch (error) {
    return { ...finding, action: { outcome: "failed", reason: `${found.reason}; repair failed: ${errorText(error)}`, steps: found.steps, by } };
  }
  const after = await guardrail.inspect(ctx);
  if (after.state === "violation") {
    return { ...finding, action: { outcome: "failed", reason: `${found.reason}; still present after repair: ${after.reason}`, steps: found.steps, by } };
  }
  return { ...finding, action: { outcome: "remediated", reason: found.reason, steps: found.steps, by } };
}
