import { resourceArn } from "../aws/resource-types.js";
import type { SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import type { ExemptionState, PropertyDifference, RemediationAction, ResourceDrift, ResourceReport } from "../core/types.js";
import { checkConvergence, resourceContext } from "../drift/index.js";
import { errorText } from "../core/errors.js";
import { firstMatchingGlob } from "../core/glob.js";
import { securityCritical, type CriticalFinding } from "./critical.js";
import { describeDifferences, topLevelProperty } from "./differences.js";
import { describeExemption, exemptionFromTags, type ExemptionPolicy } from "./exemption.js";
import type { RemediationGuards, ResourceRef } from "./guards.js";
import { effectiveMode } from "./mode.js";
import { explainedByAttachments, type Owned } from "./ownership/owned.js";
import type { OwnershipLookup } from "./ownership/lookup.js";
import { runPipeline } from "./pipeline.js";
import { effectsOf, IN_SYNC_REASON } from "./plan.js";
import { remediatorFor } from "./registry.js";
import { tagsByArn } from "./resource-tags.js";
import { planRevert, REVERT_BY, revertDrift, rollbackFailed } from "./revert-drift.js";
import type { SafetyPolicy } from "./safety/invariants.js";
import { type EngineTiming, withDefaults } from "./timing.js";
import type { Remediator } from "./types.js";
import { verifyInSync } from "./verify.js";

/**
 * The remediation engine. Per drifted resource, in order: exemption (stack tag, then resource
 * tag) → ownership (what attachments own on it) → the remediator plans once → the one apply
 * path (pipeline.ts: invariants → mode → flapping → blast radius → apply the approved steps →
 * verification by DetectStackResourceDrift). Security-critical drift (critical.ts) passes
 * flapping and blast radius. Stacks listed in revertDriftStacks are first offered to a
 * REVERT_DRIFT change set, whose execution passes the same invariants. Nothing here throws:
 * every error becomes a `failed` action.
 */

export interface StackRef {
  stackName: string;
  stackId: string;
  tags: Record<string, string>;
}

interface EngineInput {
  runId: string;
  /** mode, modeRules, revertDriftStacks */
  account: EffectiveAccount;
  region: string;
  stack: StackRef;
  clients: SpokeClients;
  /** defaults.exemptionTagKey and defaults.exemptions (exemption.ts exemptionPolicy). */
  exemptions: ExemptionPolicy;
  /** Shared across the run: blast radius + flapping. */
  guards: RemediationGuards;
  /** The privilege invariants every planned write passes. */
  safety: SafetyPolicy;
  /** What attachment resources own on a physical resource (cached per account-region). */
  ownership: OwnershipLookup;
  now: Date;
  /** Waiting behaviour; tests replace `sleep`. */
  timing?: Partial<EngineTiming>;
  /**
   * The real differences of a drift record (false positives and ignored differences removed),
   * so verification after a repair judges with the same normalisers as the decision did.
   * Absent: CloudFormation's differences as reported.
   */
  realDifferences?: (drift: ResourceDrift) => Promise<PropertyDifference[]>;
}

export interface StackRemediationInput extends EngineInput {
  /** MODIFIED + DELETED resources of this stack. */
  drifts: ResourceDrift[];
}

export interface StackRemediationResult {
  /** The stack's own exemption. */
  exemption: ExemptionState;
  /** One per input drift, in input order, with exemption + action. */
  resources: ResourceReport[];
  /** REVERT_DRIFT change set, when the stack is configured for it. */
  stackAction?: RemediationAction;
}

/** The event path: one drifted resource, through the same checks as a scheduled run. */
export interface ResourceRemediationInput extends EngineInput {
  drift: ResourceDrift;
}

interface Context extends EngineInput {
  timing: EngineTiming;
  stackExemption: ExemptionState;
}

/** What the checks before any repair concluded for one resource. */
interface Assessment {
  exemption: ExemptionState;
  mode: Mode;
  remediator?: Remediator;
  /** Set when the resource must not be touched (exempt, or its tags could not be read). */
  settled?: RemediationAction;
}

export async function remediateStack(input: StackRemediationInput): Promise<StackRemediationResult> {
  const ctx = context(input);
  const assessments: Assessment[] = [];
  for (const drift of input.drifts) assessments.push(await assess(ctx, drift));

  const revert = await tryRevert(ctx, input.drifts, assessments);
  const resources: ResourceReport[] = [];
  for (const [i, drift] of input.drifts.entries()) {
    const assessment = assessments[i] as Assessment;
    const action = revert.actions?.get(drift.logicalResourceId) ?? assessment.settled ?? (await actSafely(ctx, drift, assessment));
    resources.push({ ...drift, exemption: assessment.exemption, action });
  }
  return { exemption: ctx.stackExemption, resources, ...(revert.stackAction ? { stackAction: revert.stackAction } : {}) };
}

export async function remediateResource(input: ResourceRemediationInput): Promise<ResourceReport> {
  const ctx = context(input);
  const assessment = await assess(ctx, input.drift);
  const action = assessment.settled ?? (await actSafely(ctx, input.drift, assessment));
  return { ...input.drift, exemption: assessment.exemption, action };
}

function context(input: EngineInput): Context {
  return {
    ...input,
    timing: withDefaults(input.timing),
    stackExemption: exemptionFromTags(input.stack.tags, input.exemptions, input.now, "stack"),
  };
}

function refOf(ctx: Context, drift: ResourceDrift): ResourceRef {
  return { accountId: ctx.account.id, region: ctx.region, stackName: ctx.stack.stackName, logicalResourceId: drift.logicalResourceId, resourceType: drift.resourceType };
}

/** What the report says about a resource whatever happens to it: does it grant privilege, is it contested. */
function escalation(ctx: Context, drift: ResourceDrift, critical: readonly CriticalFinding[]): Pick<RemediationAction, "securityCritical" | "contested"> {
  const contested = ctx.guards.contested(refOf(ctx, drift));
  return { ...(critical.length > 0 ? { securityCritical: [...critical] } : {}), ...(contested ? { contested } : {}) };
}

const failedAction = (err: unknown, context: string): RemediationAction => ({ outcome: "failed", reason: `${context}${errorText(err)}`, steps: [] });

async function assess(ctx: Context, drift: ResourceDrift): Promise<Assessment> {
  const remediator = remediatorFor(drift.resourceType);
  const mode = effectiveMode(ctx.account, ctx.stack.stackName, drift.resourceType);
  const base = { mode, ...(remediator ? { remediator } : {}) };
  if (ctx.stackExemption.kind === "exempt") {
    return { ...base, exemption: ctx.stackExemption, settled: { outcome: "skipped", reason: describeExemption(ctx.stackExemption), steps: [] } };
  }
  let exemption: ExemptionState;
  try {
    exemption = await resourceExemption(ctx, drift, remediator);
  } catch (err) {
    // Acting without knowing whether a person exempted the resource is not safe.
    return { ...base, exemption: { kind: "none" }, settled: failedAction(err, "could not read the resource's tags to check for an exemption: ") };
  }
  if (exemption.kind === "exempt") return { ...base, exemption, settled: { outcome: "skipped", reason: describeExemption(exemption), steps: [] } };
  return { ...base, exemption };
}

async function resourceExemption(ctx: Context, drift: ResourceDrift, remediator: Remediator | undefined): Promise<ExemptionState> {
  if (drift.status === "DELETED") return { kind: "none" };
  const read = (tags: Record<string, string> | undefined): ExemptionState =>
    tags === undefined ? { kind: "none" } : exemptionFromTags(tags, ctx.exemptions, ctx.now, "resource");
  if (remediator?.readTags) return read(await remediator.readTags(drift, ctx.clients));
  try {
    return read(await tagsByArn(ctx.clients.tagging, resourceArn(drift.resourceType, drift.physicalResourceId, { accountId: ctx.account.id, region: ctx.region })));
  } catch {
    // Nothing is repaired automatically for these types, so an unreadable tag only changes the
    // report from "exempt" to "manual".
    return { kind: "none" };
  }
}

async function actSafely(ctx: Context, drift: ResourceDrift, assessment: Assessment): Promise<RemediationAction> {
  try {
    return await act(ctx, drift, assessment);
  } catch (err) {
    return { ...failedAction(err, ""), ...(assessment.remediator ? { by: assessment.remediator.resourceType } : {}) };
  }
}

async function act(ctx: Context, drift: ResourceDrift, { mode, remediator }: Assessment): Promise<RemediationAction> {
  if (drift.status === "DELETED" && !remediator?.attachment) {
    return { outcome: "manual", reason: `DELETED: recreate it by updating the stack (${drift.resourceType} ${drift.physicalResourceId})`, steps: [] };
  }
  if (remediator === undefined) {
    return { outcome: "manual", reason: `${drift.resourceType} has no property-level remediator: ${describeDifferences(drift.differences)}`, steps: [] };
  }
  const by = remediator.resourceType;
  const owned = await ctx.ownership.forResource(ctx.region, drift.resourceType, drift.physicalResourceId);
  // Differences an attachment explains (one in another stack: CloudFormation cannot analyse those) are not drift.
  const real = drift.differences.filter((d) => !explainedByAttachments(d, owned));
  const unhandled = real.filter((d) => remediator.properties !== undefined && !remediator.properties.includes(topLevelProperty(d.propertyPath)));
  const leftOver = unhandled.length > 0 ? `; not repaired automatically: ${describeDifferences(unhandled)}` : "";

  const declared = remediator.attachment ? await ctx.ownership.declaredBy(ctx.region, ctx.stack.stackName, drift.logicalResourceId) : undefined;
  const input = { drift, clients: ctx.clients, owned, ...(declared ? { declared } : {}) };
  const plan = await remediator.plan(input);
  if ("manual" in plan) return { outcome: "manual", reason: plan.manual, steps: [], by };
  const honoured = plan.honoured && plan.honoured.length > 0 ? { honoured: plan.honoured } : {};
  if (plan.steps.length === 0) {
    return unhandled.length > 0
      ? { outcome: "manual", reason: `${by} remediator does not repair ${describeDifferences(unhandled)}`, steps: [], by, ...honoured }
      : { outcome: "skipped", reason: IN_SYNC_REASON, steps: [], by, ...honoured };
  }
  const convergence = checkConvergence({
    // Only the differences left once attachments are accounted for: those are what the steps must fix.
    drift: { ...drift, differences: real },
    effects: effectsOf(plan.steps),
    ...(remediator.properties ? { managed: remediator.properties } : {}),
    ctx: resourceContext({ accountId: ctx.account.id, region: ctx.region }, drift.resourceType),
  });
  if (!convergence.converges) {
    // Refused before the mode check and before anything is written: report mode shows the same.
    return {
      outcome: "manual",
      reason: `not repaired: after the planned steps CloudFormation would still report ${describeDifferences(convergence.remaining)}, so the repair would not converge (planned: ${plan.steps.map((s) => s.summary).join("; ")})`,
      steps: plan.steps.map((s) => s.call),
      remaining: convergence.remaining,
      by,
      ...honoured,
    };
  }
  const critical = securityCritical(drift);
  return runPipeline(
    { ref: refOf(ctx, drift), by, mode, steps: plan.steps, leftOver, ...honoured, critical, marks: escalation(ctx, drift, critical) },
    {
      guards: ctx.guards,
      safety: ctx.safety,
      now: ctx.now,
      verify: (reason, steps) => (remediator.verifyLive ? verifiedLive(remediator.verifyLive(input), reason, steps) : verified(ctx, drift, reason, steps, owned, remediator.properties)),
    },
  );
}

async function verifiedLive(check: Promise<{ inSync: boolean; note: string }>, reason: string, steps: string[]): Promise<RemediationAction> {
  try {
    const { inSync, note } = await check;
    return { outcome: inSync ? "remediated" : "failed", reason: `${reason}; ${note}`, steps };
  } catch (err) {
    return { ...failedAction(err, `${reason}; verification failed: `), steps };
  }
}

async function verified(ctx: Context, drift: ResourceDrift, reason: string, steps: string[], owned: Owned, managed?: readonly string[]): Promise<RemediationAction> {
  try {
    // Differences the repair was not meant to change (unmanaged properties) do not fail it; they were reported as left over.
    const realDifferences = ctx.realDifferences;
    const remainingOf = realDifferences
      ? async (d: ResourceDrift) => (await realDifferences(d)).filter((x) => managed === undefined || managed.includes(topLevelProperty(x.propertyPath)))
      : undefined;
    const check = await verifyInSync(ctx.clients.cloudformation, ctx.stack.stackName, drift.logicalResourceId, ctx.timing, (d) => explainedByAttachments(d, owned), remainingOf);
    if (check.inSync) {
      const note = check.explained > 0 ? ` apart from ${check.explained} item(s) owned by attachments in other stacks, which CloudFormation cannot analyse across stacks` : "";
      return { outcome: "remediated", reason: `${reason}; verified IN_SYNC${note}`, steps };
    }
    return {
      outcome: "failed",
      reason: `${reason}; verification: still ${check.status}: ${describeDifferences(check.remaining)}`,
      steps,
      remaining: check.remaining,
    };
  } catch (err) {
    return { ...failedAction(err, `${reason}; verification failed: `), steps };
  }
}

interface RevertOutcome {
  stackAction?: RemediationAction;
  /** Per-resource actions when the change set ran; absent = resources are handled one by one. */
  actions?: Map<string, RemediationAction>;
}

async function tryRevert(ctx: Context, drifts: readonly ResourceDrift[], assessments: readonly Assessment[]): Promise<RevertOutcome> {
  const { stackName } = ctx.stack;
  if (drifts.length === 0 || ctx.stackExemption.kind === "exempt") return {};
  if (firstMatchingGlob(stackName, ctx.account.revertDriftStacks) === undefined) return {};

  const blockers: string[] = [];
  drifts.forEach((drift, i) => {
    const a = assessments[i] as Assessment;
    const id = drift.logicalResourceId;
    if (a.settled) blockers.push(`${id}: ${a.settled.reason}`);
    else if (drift.status === "DELETED") blockers.push(`${id} was deleted (a change set would recreate it, not revert it)`);
    else if (a.mode === "remediate") {
      const trip = ctx.guards.flappingBlock(refOf(ctx, drift), { critical: securityCritical(drift).length > 0 });
      if (trip !== undefined) blockers.push(`${id}: ${trip.reason}`);
    }
  });
  const modes = new Set(assessments.map((a) => a.mode));
  if (blockers.length === 0 && !modes.has("remediate")) return { stackAction: await planRevert(ctx.clients.cloudformation, ctx.runId, stackName, drifts) };
  if (modes.size > 1) blockers.push("some drifted resources are in report mode");
  if (blockers.length > 0) {
    return {
      stackAction: { outcome: "skipped", reason: `REVERT_DRIFT change set not used, resources handled one by one: ${blockers.join("; ")}`, steps: [], by: REVERT_BY },
    };
  }

  try {
    const result = await revertDrift({
      runId: ctx.runId,
      stackName,
      drifts,
      cloudformation: ctx.clients.cloudformation,
      safety: ctx.safety,
      reserve: (count) => ctx.guards.reserve(ctx.account.id, count, { critical: drifts.some((d) => securityCritical(d).length > 0) }),
      where: { accountId: ctx.account.id, region: ctx.region },
      timing: ctx.timing,
    });
    if (result.kind === "not-executed") return { stackAction: result.action };

    const actions = new Map<string, RemediationAction>();
    for (const drift of drifts) {
      ctx.guards.recordRepair(refOf(ctx, drift), ctx.now);
      const reason = `reverted by change set ${result.changeSetName}`;
      const action: RemediationAction =
        result.stackStatus === "UPDATE_COMPLETE"
          ? await verified(ctx, drift, reason, result.steps, await ctx.ownership.forResource(ctx.region, drift.resourceType, drift.physicalResourceId))
          : result.stackStatus === "UPDATE_ROLLBACK_FAILED"
            ? { outcome: "failed", reason: `${reason}, but its rollback failed too: ${rollbackFailed({ StackName: stackName, StackStatusReason: result.statusReason })}`, steps: result.steps }
            : { outcome: "failed", reason: `${reason}, but the stack update ended ${result.stackStatus}${result.statusReason ? ` (${result.statusReason})` : ""}`, steps: result.steps };
      actions.set(drift.logicalResourceId, { ...action, by: REVERT_BY });
    }
    const failed = [...actions.entries()].filter(([, a]) => a.outcome !== "remediated").map(([id]) => id);
    const stackAction: RemediationAction = {
      outcome: failed.length === 0 ? "remediated" : "failed",
      reason:
        failed.length === 0
          ? `executed REVERT_DRIFT change set ${result.changeSetName}; ${drifts.length} resource(s) verified IN_SYNC`
          : `executed REVERT_DRIFT change set ${result.changeSetName}; stack ${result.stackStatus}; not in sync: ${failed.join(", ")}`,
      steps: result.steps,
      by: REVERT_BY,
    };
    return { stackAction, actions };
  } catch (err) {
    return { stackAction: { ...failedAction(err, ""), by: REVERT_BY } };
  }
}
