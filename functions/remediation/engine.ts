import { resourceArn } from "../aws/resource-types.js";
import type { SpokeClients } from "../aws/clients.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import type { ExemptionState, RemediationAction, ResourceDrift, ResourceReport } from "../core/types.js";
import { errorText } from "../core/errors.js";
import { firstMatchingGlob } from "../core/glob.js";
import { describeCritical, securityCritical, type CriticalFinding } from "./critical.js";
import { describeDifferences, topLevelProperty } from "./differences.js";
import { describeExemption, exemptionFromTags, type ExemptionPolicy } from "./exemption.js";
import type { RemediationGuards, ResourceRef } from "./guards.js";
import { effectiveMode } from "./mode.js";
import { IN_SYNC_REASON } from "./plan.js";
import { remediatorFor } from "./registry.js";
import { tagsByArn } from "./resource-tags.js";
import { planRevert, REVERT_BY, revertDrift } from "./revert-drift.js";
import { type EngineTiming, withDefaults } from "./timing.js";
import type { Remediator } from "./types.js";
import { verifyInSync } from "./verify.js";

/**
 * The remediation engine. Per drifted resource, in order: exemption (stack tag, then resource
 * tag) → mode → flapping → blast radius → remediator (or `manual`) → verification by
 * DetectStackResourceDrift. Security-critical drift (critical.ts) passes flapping and blast radius. Stacks listed in revertDriftStacks are first offered to a
 * REVERT_DRIFT change set. Nothing here throws: every error becomes a `failed` action.
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
  now: Date;
  /** Waiting behaviour; tests replace `sleep`. */
  timing?: Partial<EngineTiming>;
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
  if (drift.status === "DELETED") {
    return { outcome: "manual", reason: `DELETED: recreate it by updating the stack (${drift.resourceType} ${drift.physicalResourceId})`, steps: [] };
  }
  if (remediator === undefined) {
    return { outcome: "manual", reason: `${drift.resourceType} has no property-level remediator: ${describeDifferences(drift.differences)}`, steps: [] };
  }
  const by = remediator.resourceType;
  const unhandled = drift.differences.filter((d) => remediator.properties !== undefined && !remediator.properties.includes(topLevelProperty(d.propertyPath)));
  const leftOver = unhandled.length > 0 ? `; not repaired automatically: ${describeDifferences(unhandled)}` : "";

  const plan = await remediator.remediate({ drift, clients: ctx.clients, dryRun: true });
  if (plan.outcome === "manual" || plan.outcome === "failed") return { ...plan, by };
  if (plan.steps.length === 0) {
    return unhandled.length > 0
      ? { outcome: "manual", reason: `${by} remediator does not repair ${describeDifferences(unhandled)}`, steps: [], by }
      : { outcome: "skipped", reason: IN_SYNC_REASON, steps: [], by };
  }
  const critical = securityCritical(drift);
  const marks = escalation(ctx, drift, critical);
  if (mode === "report") return { outcome: "planned", reason: `${plan.reason}${leftOver}`, steps: plan.steps, by, ...marks };

  // Security-critical drift passes the guards: its revert only takes privilege away (critical.ts).
  const ref = refOf(ctx, drift);
  const guardOptions = { critical: critical.length > 0 };
  const trip = ctx.guards.flappingBlock(ref, guardOptions);
  if (trip !== undefined) return { outcome: "skipped", reason: trip.reason, steps: plan.steps, by, guard: trip.guard, ...marks };
  const reservation = ctx.guards.reserve(ctx.account.id, 1, guardOptions);
  if (!reservation.ok) return { outcome: "skipped", reason: reservation.reason, steps: plan.steps, by, guard: "blast-radius", ...marks };

  const result = await remediator.remediate({ drift, clients: ctx.clients, dryRun: false });
  if (result.steps.length > 0) ctx.guards.recordRepair(ref, ctx.now);
  const why = critical.length > 0 ? `security-critical: ${describeCritical(critical)}; ` : "";
  if (result.outcome !== "remediated") return { ...result, reason: `${why}${result.reason}`, by, ...marks };
  return { ...(await verified(ctx, drift, `${why}${result.reason}`, result.steps)), by, ...marks };
}

async function verified(ctx: Context, drift: ResourceDrift, reason: string, steps: string[]): Promise<RemediationAction> {
  try {
    const check = await verifyInSync(ctx.clients.cloudformation, ctx.stack.stackName, drift.logicalResourceId, ctx.timing);
    if (check.inSync) return { outcome: "remediated", reason: `${reason}; verified IN_SYNC`, steps };
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
      reserve: (count) => ctx.guards.reserve(ctx.account.id, count),
      timing: ctx.timing,
    });
    if (result.kind === "not-executed") return { stackAction: result.action };

    const actions = new Map<string, RemediationAction>();
    for (const drift of drifts) {
      ctx.guards.recordRepair(refOf(ctx, drift), ctx.now);
      const reason = `reverted by change set ${result.changeSetName}`;
      const action: RemediationAction =
        result.stackStatus === "UPDATE_COMPLETE"
          ? await verified(ctx, drift, reason, result.steps)
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
