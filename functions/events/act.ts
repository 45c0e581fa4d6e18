import { assessDrift, classifyDrift, withExpiredIgnores, type DriftRules } from "../drift/index.js";
import type { SpokeClients } from "../aws/clients.js";
import type { StackFilter } from "../config/schema.js";
import type { ChangeActor } from "../core/types.js";
import { effectiveMode, exemptionFromTags, exemptionPolicy, type OwnershipLookup, type RemediationGuards, type SafetyPolicy } from "../remediation/index.js";
import { errorText } from "../core/errors.js";
import { detectResourceDrift } from "../aws/cfn-drift.js";
import { DRIFT_DETECTABLE_STATUSES } from "../aws/cfn-drift.js";
import { globExclusion } from "../config/stack-filter.js";
import type { Admission } from "./admit.js";
import { evaluateGuardrail } from "./guardrails/evaluate.js";
import { guardrailFor } from "./guardrails/registry.js";
import { findOwningStack, type OwningStack } from "./owning-stack.js";
import type { ParsedChange } from "./parse.js";
import type { AffectedResource } from "./resolve.js";
import type { EventDeps, EventResourceResult } from "./types.js";

export interface ActContext {
  change: ParsedChange;
  admission: Admission;
  actor: ChangeActor;
  deps: EventDeps;
  /** The invocation's guards, opened on first use. */
  guards(): Promise<RemediationGuards>;
  /** The same invariants and attachment ownership as the scheduled path. */
  safety: SafetyPolicy;
  ownership: OwnershipLookup;
  now: Date;
}

interface Located {
  clients: SpokeClients;
  stack?: OwningStack;
}

/**
 * Where the resource lives. Regional resources are in the event's region; a global one (IAM) may
 * be managed by a stack in any onboarded region, so each is asked in turn.
 */
async function locate(resource: AffectedResource, ctx: ActContext): Promise<Located> {
  const { account, region, global } = ctx.admission;
  const regions = global ? account.regions : [region];
  for (const r of regions) {
    const clients = await ctx.deps.clientsFor(account.id, r);
    const stack = await findOwningStack(clients.cloudformation, resource);
    if (stack) return { clients, stack };
  }
  return { clients: await ctx.deps.clientsFor(account.id, region) };
}

/** Why the scheduled path would not look at this stack either; undefined when it would. */
function stackSkipReason(stack: OwningStack, filter: StackFilter): string | undefined {
  const excluded = globExclusion(stack.stackName, filter);
  if (excluded !== undefined) return `stack ${stack.stackName} is ${excluded}`;
  const status = stack.stackStatus ?? "UNKNOWN";
  if (!DRIFT_DETECTABLE_STATUSES.has(status)) return `stack ${stack.stackName} is ${status}, which does not allow drift detection`;
  return undefined;
}

async function actOnManaged(resource: AffectedResource, clients: SpokeClients, stack: OwningStack, ctx: ActContext): Promise<EventResourceResult> {
  const { account } = ctx.admission;
  const where = { resource, region: clients.region, stack: { stackName: stack.stackName, stackId: stack.stackId }, logicalId: stack.logicalId };
  const skip = stackSkipReason(stack, account.stacks);
  if (skip !== undefined) return { ...where, finding: false, action: { outcome: "skipped", reason: skip, steps: [] } };
  const drift = await detectResourceDrift(clients.cloudformation, stack.stackName, stack.logicalId);
  const checked = { ...where, driftStatus: drift.status, differences: drift.differences };
  if (drift.status === "IN_SYNC") {
    return { ...checked, finding: false, action: { outcome: "skipped", reason: "in sync with its stack template", steps: [] } };
  }
  if (drift.status !== "MODIFIED" && drift.status !== "DELETED") {
    return { ...checked, finding: true, action: { outcome: "skipped", reason: `CloudFormation could not check its drift (${drift.status})`, steps: [] } };
  }
  // The scheduled path's classification: known false positives and ignored differences are not acted on.
  const rules: DriftRules = { ignore: account.ignore, accountId: account.id, region: clients.region, stackName: stack.stackName, now: ctx.now };
  const assessed = await assessDrift(drift, rules, clients);
  if (assessed.settled) return { ...checked, finding: false, action: assessed.settled };
  const guards = await ctx.guards();
  const { exemption, action } = await ctx.deps.remediateResource({
    runId: ctx.change.changeId,
    account,
    region: clients.region,
    stack: { stackName: stack.stackName, stackId: stack.stackId, tags: stack.tags },
    drift: assessed.decisionInput,
    clients,
    exemptions: exemptionPolicy(ctx.deps.config),
    guards,
    safety: ctx.safety,
    ownership: ctx.ownership,
    now: ctx.now,
    realDifferences: async (d) => (await classifyDrift(d, rules, clients)).classification.real,
  });
  // Who keeps changing it: named in the contested escalation (guards.ts); events never count.
  if (action.outcome === "remediated" && ctx.actor.arn !== undefined) {
    guards.recordActor({ accountId: account.id, region: clients.region, stackName: stack.stackName, logicalResourceId: stack.logicalId }, ctx.actor.arn);
  }
  return { ...checked, exemption, action: withExpiredIgnores(action, assessed.classification), finding: true };
}

async function actOnUnmanaged(resource: AffectedResource, clients: SpokeClients, ctx: ActContext): Promise<EventResourceResult> {
  const where = { resource, region: clients.region };
  const settings = ctx.deps.config.defaults.events.guardrails;
  const guardrail = guardrailFor(ctx.change.detail.eventName, resource.resourceType, settings);
  if (!guardrail) {
    return { ...where, finding: false, action: { outcome: "skipped", reason: "not managed by any CloudFormation stack and no guardrail applies", steps: [] } };
  }
  const outcome = await evaluateGuardrail(guardrail, {
    resource,
    clients,
    settings,
    actor: ctx.actor,
    owned: await ctx.ownership.forResource(clients.region, resource.resourceType, resource.physicalId),
    guards: ctx.guards,
    safety: ctx.safety,
    now: ctx.now,
    // No stack: only mode rules without a stack glob (or with "*") can match.
    mode: effectiveMode(ctx.admission.account, "", resource.resourceType),
    exemptionOf: (tags) => exemptionFromTags(tags, exemptionPolicy(ctx.deps.config), ctx.now, "resource"),
  });
  return { ...where, ...outcome };
}

/**
 * Brings one resource an event touched back in line: through the remediation engine when a
 * stack manages it, through the guardrails when none does. Never throws: a failure becomes a
 * `failed` action in the report.
 */
export async function actOnResource(resource: AffectedResource, ctx: ActContext): Promise<EventResourceResult> {
  try {
    const { clients, stack } = await locate(resource, ctx);
    return stack ? await actOnManaged(resource, clients, stack, ctx) : await actOnUnmanaged(resource, clients, ctx);
  } catch (error) {
    return { resource, region: ctx.admission.region, finding: true, action: { outcome: "failed", reason: errorText(error), steps: [] } };
  }
}
