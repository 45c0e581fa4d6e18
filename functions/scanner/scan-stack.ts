import { DescribeStacksCommand, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { SpokeClients } from "../aws/clients.js";
import { ownStackSetOf } from "../config/own-stacks.js";
import type { EffectiveAccount } from "../config/resolve.js";
import type { ChangeActor, ResourceDrift, ResourceReport, StackReport } from "../core/types.js";
import { annotate, assessDrift, classifyDrift, settledRow, type AssessedDrift, type DriftRules } from "../drift/index.js";
import { effectiveMode, exemptionPolicy, type StackRemediationResult } from "../remediation/index.js";
import { tagMap } from "../core/tags.js";
import { scoped, type Logger } from "../core/logger.js";
import { lookupChangeActors, lookupTagSetters, type ChangeActorLookup } from "./change-actors.js";
import { ownRoleArns } from "./credentials.js";
import { DeadlineReachedError, detectStackDrift } from "./detect.js";
import { toErrorInfo } from "../core/errors.js";
import { stackRow, type StackTarget } from "./stacks.js";
import type { AccountRemediation, RegionScope, ScanContext } from "./types.js";

export const NOT_STARTED_REASON = "not started: the run stopped starting new work before the Lambda deadline";

async function stackTags(cfn: CloudFormationClient, stackId: string): Promise<Record<string, string>> {
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
  return tagMap(out.Stacks?.[0]?.Tags);
}

/** When the engine itself fails, every drift is still reported, marked as not handled. */
function engineFailure(drifts: ResourceDrift[], err: unknown): Pick<StackReport, "resources" | "error"> {
  const error = toErrorInfo(err);
  return {
    error,
    resources: drifts.map((d) => ({
      ...d,
      exemption: { kind: "none" },
      action: { outcome: "failed", reason: `remediation did not run: ${error.code}: ${error.message}`, steps: [] },
    })),
  };
}

/**
 * driftguard's own stacks (its StackSet instances) are scanned and their drift reported, but never
 * repaired by driftguard: the spoke role must not rewrite the stack that grants it its rights, and
 * the stack set is the one place that restores them.
 */
function ownStack(stackSet: string, drifts: ResourceDrift[]): Pick<StackReport, "resources"> {
  return {
    resources: drifts.map((d) => ({
      ...d,
      exemption: { kind: "none" },
      action: {
        outcome: "manual",
        reason: `driftguard's own stack (an instance of stack set ${stackSet}): reported, never remediated; redeploy the driftguard-spokes-stacksets stack to restore it`,
        steps: [],
        by: "own-stack",
      },
    })),
  };
}

function fromEngine(result: StackRemediationResult): Pick<StackReport, "exemption" | "resources" | "stackAction"> {
  return { exemption: result.exemption, resources: result.resources, ...(result.stackAction ? { stackAction: result.stackAction } : {}) };
}

async function remediate(
  ctx: ScanContext,
  account: EffectiveAccount,
  clients: SpokeClients,
  target: StackTarget,
  drifts: ResourceDrift[],
  remediation: AccountRemediation,
  log: Logger,
  rules: DriftRules,
): Promise<Pick<StackReport, "resources"> & Partial<StackReport>> {
  const ownStackSet = ownStackSetOf(target.stackName);
  if (ownStackSet !== undefined) return ownStack(ownStackSet, drifts);
  try {
    const tags = await stackTags(clients.cloudformation, target.stackId);
    const result = await ctx.deps.remediateStack({
      runId: ctx.runId,
      account,
      region: clients.region,
      stack: { stackName: target.stackName, stackId: target.stackId, tags },
      drifts,
      clients,
      exemptions: exemptionPolicy(ctx.config),
      guards: ctx.guards,
      ...remediation,
      now: new Date(ctx.deps.now()),
      // Verification judges with the normalisers and ignore rules the decision used.
      realDifferences: async (d) => (await classifyDrift(d, rules, clients)).classification.real,
    });
    return fromEngine(result);
  } catch (err) {
    log.error("remediation failed", { error: toErrorInfo(err) });
    return engineFailure(drifts, err);
  }
}

/** The region's CloudTrail, past driftguard's own calls, within the LookupEvents quota and the deadline. */
function cloudTrailLookup(ctx: ScanContext, scope: RegionScope): ChangeActorLookup {
  return { cloudtrail: scope.clients.cloudtrail, ownRoleArn: ownRoleArns(ctx.config), now: ctx.deps.now, throttle: scope.lookupLimiter, canStart: () => ctx.deadline.canStart() };
}

/** "Who changed it" for accounts that opted in (cloudTrailLookup); a failed lookup only costs the answer. */
async function changeActors(ctx: ScanContext, account: EffectiveAccount, scope: RegionScope, drifts: ResourceDrift[], log: Logger): Promise<Map<string, ChangeActor>> {
  if (!account.cloudTrailLookup) return new Map();
  const found = await lookupChangeActors(drifts, cloudTrailLookup(ctx, scope));
  if (found.error) log.warn("CloudTrail lookup failed; the report does not say who changed this stack's resources", { error: found.error });
  return found.byLogicalId;
}

/**
 * Only a completed detection says which resources are in sync; the flapping counters of those a
 * run in remediate mode could have repaired restart (guards.ts). Partial (DETECTION_FAILED) results
 * say nothing about the resources they left out. A row whose differences are all known false
 * positives or ignored (`settled`) is in sync for the guards: CloudFormation lists it MODIFIED on
 * every run, and counting it would keep a repaired resource's counter from ever restarting.
 */
function observe(
  ctx: ScanContext,
  account: EffectiveAccount,
  region: string,
  stackName: string,
  detection: { detectionStatus?: string; drifts: ResourceDrift[] },
  settled: ReadonlySet<string>,
): void {
  if (detection.detectionStatus !== "DETECTION_COMPLETE") return;
  const drifted = new Set(detection.drifts.map((d) => d.logicalResourceId).filter((id) => !settled.has(id)));
  ctx.guards.observeStack({ accountId: account.id, region, stackName }, drifted, (type) => effectiveMode(account, stackName, type ?? "") === "remediate");
}

/** Who made the changes this run repaired, for the contested escalation of resources changed back again and again. */
function recordActors(ctx: ScanContext, account: EffectiveAccount, region: string, stackName: string, resources: ResourceReport[]): void {
  for (const r of resources) {
    if (r.changedBy?.arn === undefined || r.action.outcome !== "remediated") continue;
    ctx.guards.recordActor({ accountId: account.id, region, stackName, logicalResourceId: r.logicalResourceId }, r.changedBy.arn);
  }
}

const STACK_KEY = "(stack)";

/** With CloudTrail lookup on, every active exemption names who set its tag (the report lists them). */
async function withTagSetters(ctx: ScanContext, account: EffectiveAccount, scope: RegionScope, target: StackTarget, stack: StackReport, log: Logger): Promise<StackReport> {
  if (!account.cloudTrailLookup) return stack;
  const targets = [
    ...(stack.exemption.kind === "exempt" ? [{ key: STACK_KEY, resourceName: target.stackId }] : []),
    ...stack.resources.filter((r) => r.exemption.kind === "exempt" && r.exemption.on === "resource").map((r) => ({ key: r.logicalResourceId, resourceName: r.physicalResourceId })),
  ];
  if (targets.length === 0) return stack;
  const found = await lookupTagSetters(targets, cloudTrailLookup(ctx, scope));
  if (found.error) log.warn("CloudTrail lookup failed; the report does not say who set this stack's exemption tags", { error: found.error });
  const setBy = (e: StackReport["exemption"], key: string) => {
    const actor = found.byLogicalId.get(key);
    return e.kind === "exempt" && actor ? { ...e, setBy: actor } : e;
  };
  return { ...stack, exemption: setBy(stack.exemption, STACK_KEY), resources: stack.resources.map((r) => ({ ...r, exemption: setBy(r.exemption, r.logicalResourceId) })) };
}

function withActor(resource: ResourceReport, actor: ChangeActor | undefined): ResourceReport {
  return actor ? { ...resource, changedBy: actor } : resource;
}

/** Coverage: the stack's resources drift detection did not check; a failed listing is said, not fatal. */
async function unchecked(scope: RegionScope, target: StackTarget, complete: boolean, log: Logger): Promise<Pick<StackReport, "unchecked" | "uncheckedError">> {
  try {
    return { unchecked: await scope.listings.unchecked(scope.clients.cloudformation, target, complete) };
  } catch (err) {
    const error = toErrorInfo(err);
    log.warn("could not list the stack's resources for coverage", { error });
    return { uncheckedError: error };
  }
}

/** When classification itself fails, the resource goes on as CloudFormation reported it. */
function unassessed(drift: ResourceDrift, err: unknown): AssessedDrift {
  return { original: drift, decisionInput: drift, classification: { real: drift.differences, falsePositives: [], ignored: [] }, evidenceFailures: [`classification failed: ${toErrorInfo(err).message}`] };
}

/**
 * False positives and ignore rules first: only real drift reaches the remediation pipeline, and
 * a resource with none left becomes its row without any repair.
 */
async function handleDrifts(ctx: ScanContext, account: EffectiveAccount, clients: SpokeClients, target: StackTarget, drifts: ResourceDrift[], remediation: AccountRemediation, log: Logger) {
  const rules: DriftRules = { ignore: account.ignore, accountId: account.id, region: clients.region, stackName: target.stackName, now: new Date(ctx.deps.now()) };
  const assessed: AssessedDrift[] = [];
  for (const drift of drifts) {
    const a = await assessDrift(drift, rules, clients).catch((err: unknown) => unassessed(drift, err));
    if (a.classification.expired) log.warn("ignore rule expired: treating its differences as drift", { logicalResourceId: drift.logicalResourceId, expired: a.classification.expired });
    if (a.evidenceFailures.length > 0) log.warn("could not check a known CloudFormation false positive; treating it as drift", { logicalResourceId: drift.logicalResourceId, failures: a.evidenceFailures });
    assessed.push(a);
  }
  const open = assessed.filter((a) => a.settled === undefined);
  const handled = open.length > 0 ? await remediate(ctx, account, clients, target, open.map((a) => a.decisionInput), remediation, log, rules) : { resources: [] as ResourceReport[] };
  const byId = new Map(handled.resources.map((r) => [r.logicalResourceId, r]));
  const resources = assessed.map((a) => (a.settled ? settledRow(a, a.settled) : annotate(byId.get(a.original.logicalResourceId) as ResourceReport, a)));
  const settled = new Set(assessed.filter((a) => a.settled !== undefined).map((a) => a.original.logicalResourceId));
  return { handled: { ...handled, resources }, settled };
}

/** Detect → (if drifted) remediate and look up who changed it, side by side → the stack's report row. Errors become the row's error; never thrown. */
export async function scanStack(ctx: ScanContext, account: EffectiveAccount, scope: RegionScope, target: StackTarget, parentLog: Logger): Promise<StackReport> {
  const { clients } = scope;
  const row = stackRow(target);
  if (!ctx.deadline.canStart()) return { ...row, scan: "not-scanned", scanReason: NOT_STARTED_REASON };
  const log = scoped(parentLog, { stack: target.stackName });
  try {
    const detection = await detectStackDrift(clients.cloudformation, target.stackId, {
      estimator: scope.estimator,
      pace: scope.pace,
      sleep: ctx.deps.sleep,
      random: ctx.deps.random,
      deadline: ctx.deadline,
      now: ctx.deps.now,
      onWaitingForRunningDetection: () => log.info("drift detection already running on the stack; waiting for it to finish"),
    });
    const scanned: StackReport = {
      ...row,
      scan: "scanned",
      driftStatus: detection.driftStatus,
      ...(detection.detectionStatus === "DETECTION_FAILED"
        ? { detectionStatusReason: detection.reason ?? "DETECTION_FAILED without a reason" }
        : {}),
    };
    if (detection.durationMs !== undefined && detection.detectionStatus === "DETECTION_COMPLETE") ctx.detectionTimes?.record(detection.durationMs);
    log.info("drift detected", { driftStatus: detection.driftStatus, detectionStatus: detection.detectionStatus, drifted: detection.drifts.length });
    const coverage = await unchecked(scope, target, detection.detectionStatus === "DETECTION_COMPLETE", log);
    if (detection.drifts.length === 0) {
      observe(ctx, account, clients.region, target.stackName, detection, new Set());
      return { ...scanned, ...coverage };
    }
    // Independent: the lookup skips driftguard's own repairs, and neither throws.
    const [{ handled, settled }, actors] = await Promise.all([
      handleDrifts(ctx, account, clients, target, detection.drifts, scope.remediation, log),
      changeActors(ctx, account, scope, detection.drifts, log),
    ]);
    observe(ctx, account, clients.region, target.stackName, detection, settled);
    const resources = handled.resources.map((r) => withActor(r, actors.get(r.logicalResourceId)));
    recordActors(ctx, account, clients.region, target.stackName, resources);
    return await withTagSetters(ctx, account, scope, target, { ...scanned, ...coverage, ...handled, resources }, log);
  } catch (err) {
    if (err instanceof DeadlineReachedError) {
      log.warn("stack left unscanned at the deadline", { reason: err.message });
      return { ...row, scan: "not-scanned", scanReason: err.message };
    }
    const error = toErrorInfo(err);
    log.error("stack scan failed", { error });
    return { ...row, scan: "failed", error };
  }
}
