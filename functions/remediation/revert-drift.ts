import {
  type Change,
  type CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  paginateDescribeChangeSet,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import type { RemediationAction, ResourceDrift, StepEffect } from "../core/types.js";
import { checkConvergence, comparable, resourceContext } from "../drift/index.js";
import { errorText } from "../core/errors.js";
import { describeDifferences, topLevelProperty } from "./differences.js";
import type { Reservation } from "./guards.js";
import { remediatorFor } from "./registry.js";
import { RefusedError, refusedAction, sendApproved } from "./pipeline.js";
import type { PlannedStep } from "./plan.js";
import { changeSetWrites, properties } from "./safety/change-set-effects.js";
import { refusals, type SafetyPolicy } from "./safety/invariants.js";
import { type EngineTiming, pollUntil } from "./timing.js";

/**
 * Whole-stack revert with a CloudFormation drift-aware change set (DeploymentMode REVERT_DRIFT)
 * on the stack's current template and parameter values. The change set is executed only when
 * every change is an in-place Modify of a resource drift detection reported; anything else (a
 * replacement, a resource that did not drift) means the revert would do more than undo drift,
 * so the change set is deleted and a person decides. What the change set would set (its
 * property values) passes the privilege invariants before it is executed; every call here is
 * sent through the write gate (pipeline.ts sendApproved).
 */

export const REVERT_BY = "revert-drift-change-set";

export interface RevertDriftInput {
  runId: string;
  stackName: string;
  /** The drifted resources the change set may touch. */
  drifts: readonly ResourceDrift[];
  cloudformation: CloudFormationClient;
  safety: SafetyPolicy;
  /** Called just before executing, with the number of resources the change set repairs. */
  reserve(count: number): Reservation;
  /** Whose stack it is: the normalisers' context for the convergence check. */
  where: { accountId: string; region: string };
  timing: EngineTiming;
}

export type RevertResult =
  /** Nothing was changed; the caller falls back to per-resource remediation. */
  | { kind: "not-executed"; action: RemediationAction }
  /** The change set ran; the caller verifies each resource. */
  | { kind: "executed"; changeSetName: string; steps: string[]; stackStatus: string; statusReason?: string };

const CHANGE_SET_PENDING = new Set(["CREATE_PENDING", "CREATE_IN_PROGRESS"]);
const NO_CHANGES = /didn't contain changes|no updates are to be performed/i;

/** `driftguard-revert-<runId>`, restricted to what CloudFormation accepts: [a-zA-Z][-a-zA-Z0-9]*, at most 128. */
export function changeSetName(runId: string): string {
  return `driftguard-revert-${runId}`.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 128);
}

function createCall(stackName: string, name: string): string {
  return `CreateChangeSet StackName=${stackName} ChangeSetName=${name} ChangeSetType=UPDATE UsePreviousTemplate=true DeploymentMode=REVERT_DRIFT`;
}

/**
 * Why the spoke role could not write this drifted resource back, or undefined when it can. The
 * spoke role's write permissions are the remediators' (functions/permissions.ts builds its policy
 * from the registry), each for the properties its remediator repairs; any other type or property
 * is outside them.
 */
export function beyondSpokeRole(drift: ResourceDrift): string | undefined {
  const what = `${drift.logicalResourceId} (${drift.resourceType})`;
  const remediator = remediatorFor(drift.resourceType);
  if (remediator === undefined) return `${what}: the spoke role cannot write ${drift.resourceType}`;
  const { properties } = remediator;
  const outside = properties === undefined ? [] : drift.differences.filter((d) => !properties.includes(topLevelProperty(d.propertyPath)));
  return outside.length > 0 ? `${what}: the spoke role cannot write ${describeDifferences(outside)}` : undefined;
}

export type RevertAuthority =
  | { ok: true; via: string }
  | { ok: false; reason: string };

/**
 * Whether a REVERT_DRIFT change set on this stack can succeed at all, decided before one is
 * created. CloudFormation executes it with the stack's service role when the stack has one
 * (DescribeStacks RoleARN; "If you don't specify a value, CloudFormation uses the role that was
 * previously associated with the stack", CreateChangeSet RoleARN, CloudFormation API Reference;
 * no iam:PassRole is needed for it), otherwise "a temporary session that is generated from your
 * user credentials": the spoke role's. Then every drifted resource must be one the spoke role
 * can write, or the update fails on the first other one and the stack rolls back.
 */
export function revertAuthority(stack: Pick<Stack, "StackName" | "RoleARN" | "StackStatus" | "StackStatusReason">, drifts: readonly ResourceDrift[]): RevertAuthority {
  if (stack.StackStatus === "UPDATE_ROLLBACK_FAILED") return { ok: false, reason: rollbackFailed(stack) };
  if (stack.RoleARN) return { ok: true, via: `the stack's service role ${stack.RoleARN}` };
  const beyond = drifts.map(beyondSpokeRole).filter((b): b is string => b !== undefined);
  if (beyond.length === 0) return { ok: true, via: "the spoke role (the stack has no service role; every drifted resource is one it can write)" };
  return {
    ok: false,
    reason:
      `REVERT_DRIFT change set not started: stack ${stack.StackName} has no service role, so CloudFormation would execute it with the spoke role, ` +
      `and the update would fail and roll back on ${beyond.join("; ")}. Give the stack a service role (RoleARN) to revert it whole; ` +
      "its resources are handled one by one",
  };
}

/**
 * An UPDATE_ROLLBACK_FAILED stack "can't be updated" (User Guide, "Continue rolling back an update"):
 * CreateChangeSet would fail, and the way out — ContinueUpdateRollback, with ResourcesToSkip for
 * resources CloudFormation cannot roll back, which leaves them "inconsistent with the state of the
 * resources in the stack template" (API_ContinueUpdateRollback.html) — is a person's decision, so
 * driftguard names it rather than taking it.
 */
export function rollbackFailed(stack: Pick<Stack, "StackName" | "StackStatusReason">): string {
  return (
    `stack ${stack.StackName} is UPDATE_ROLLBACK_FAILED${stack.StackStatusReason ? ` (${stack.StackStatusReason.trim()})` : ""}: CloudFormation cannot update it ` +
    "until its rollback is continued — fix what the failed resources' events name and run ContinueUpdateRollback (ResourcesToSkip for those that cannot be " +
    "rolled back), then the next run reverts its drift"
  );
}

/**
 * Report mode: creating a change set is already a write, so the plan is only described, after
 * the same precondition remediate mode checks (a read: DescribeStacks).
 */
export async function planRevert(cfn: CloudFormationClient, runId: string, stackName: string, drifts: readonly ResourceDrift[]): Promise<RemediationAction> {
  const name = changeSetName(runId);
  let authority: RevertAuthority;
  try {
    authority = revertAuthority(await describeStack(cfn, stackName), drifts);
  } catch (err) {
    return { outcome: "failed", by: REVERT_BY, reason: `cannot tell whether a REVERT_DRIFT change set could succeed: ${errorText(err)}`, steps: [] };
  }
  if (!authority.ok) return { outcome: "manual", by: REVERT_BY, reason: authority.reason, steps: [] };
  return {
    outcome: "planned",
    by: REVERT_BY,
    reason: `would create REVERT_DRIFT change set ${name} for ${drifts.length} drifted resource(s) (${drifts
      .map((d) => d.logicalResourceId)
      .join(", ")}), executed by ${authority.via}, and execute it only if it modifies just those, in place, and its values would leave each in sync`,
    steps: [createCall(stackName, name), `ExecuteChangeSet StackName=${stackName} ChangeSetName=${name}`],
  };
}

/**
 * Convergence before repair, for a change set: each drifted resource as CloudFormation would read
 * it after execution (its live properties with every property the change set's AfterContext
 * changes laid over them), compared with the decision's template (ignored differences taken as
 * live) under the same normalisers as the decision. A change set that would leave a difference,
 * or rewrite a property an ignore rule lets drift, is not executed; one whose changes carry no
 * property values cannot be predicted and is not executed either.
 */
export function revertConvergence(changes: readonly Change[], drifts: readonly ResourceDrift[], where: { accountId: string; region: string }): string[] {
  const problems: string[] = [];
  for (const drift of drifts) {
    const rc = changes.find((c) => c.ResourceChange?.LogicalResourceId === drift.logicalResourceId)?.ResourceChange;
    const what = `${drift.logicalResourceId} (${drift.resourceType})`;
    if (rc === undefined) {
      problems.push(`${what}: the change set does not change it, so its drift would stay`);
      continue;
    }
    const after = properties(rc.AfterContext);
    if (after === undefined) {
      problems.push(`${what}: the change set carries no property values to predict the result from`);
      continue;
    }
    const before = properties(rc.BeforeContext) ?? drift.actual ?? {};
    const changed = [...new Set([...Object.keys(after), ...Object.keys(before)])].filter((p) => comparable(after[p]) !== comparable(before[p]));
    const effects: StepEffect[] = changed.map((p) => ({ path: `/${p}`, value: after[p] }));
    const result = checkConvergence({ drift, effects, alsoCheck: changed, ctx: resourceContext(where, drift.resourceType) });
    if (!result.converges) problems.push(`${what}: CloudFormation would still report ${describeDifferences(result.remaining)}`);
  }
  return problems;
}

/** Why a change must not run, or undefined when it is an in-place fix of a drifted resource. */
function objection(change: Change, drifted: ReadonlySet<string>): string | undefined {
  const rc = change.ResourceChange;
  if (change.Type !== "Resource" || rc === undefined) return `${change.Type ?? "unknown"} change`;
  const what = `${rc.LogicalResourceId} (${rc.ResourceType})`;
  if (!drifted.has(rc.LogicalResourceId ?? "")) return `${what}: ${rc.Action} of a resource that did not drift`;
  if (rc.Action !== "Modify") return `${what}: ${rc.Action}, not an in-place modification`;
  if (rc.Replacement === "True" || rc.Replacement === "Conditional") return `${what}: replacement ${rc.Replacement}`;
  return undefined;
}

function stagingStep(call: string, stackName: string, send: () => Promise<unknown>): PlannedStep {
  return { call, summary: call, effect: { kind: "stage-change-set", stackName }, send };
}

export async function revertDrift(input: RevertDriftInput): Promise<RevertResult> {
  const { stackName, cloudformation: cfn, timing, safety } = input;
  const name = changeSetName(input.runId);
  const steps: string[] = [];
  let created = false;

  const notExecuted = async (outcome: RemediationAction["outcome"], reason: string): Promise<RevertResult> => {
    if (created) {
      const call = `DeleteChangeSet StackName=${stackName} ChangeSetName=${name}`;
      await sendApproved(stagingStep(call, stackName, () => cfn.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: name }))), safety);
      steps.push(call);
    }
    return { kind: "not-executed", action: { outcome, reason, steps, by: REVERT_BY } };
  };

  try {
    const stack = await describeStack(cfn, stackName);
    const authority = revertAuthority(stack, input.drifts);
    if (!authority.ok) return await notExecuted("manual", authority.reason);
    const create = createCall(stackName, name);
    await sendApproved(
      stagingStep(create, stackName, () =>
        cfn.send(
          new CreateChangeSetCommand({
            StackName: stackName,
            ChangeSetName: name,
            ChangeSetType: "UPDATE",
            UsePreviousTemplate: true,
            DeploymentMode: "REVERT_DRIFT",
            // Without UsePreviousValue, parameters would fall back to their template defaults.
            Parameters: (stack.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
            Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            Description: `driftguard run ${input.runId}: revert drift of ${input.drifts.length} resource(s)`,
          }),
        ),
      ),
      safety,
    );
    created = true;
    steps.push(create);

    const { value: described, timedOut } = await pollUntil(
      () => cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: name, IncludePropertyValues: true })),
      (d) => !CHANGE_SET_PENDING.has(d.Status ?? ""),
      timing,
      timing.changeSetTimeoutMs,
    );
    if (timedOut) return await notExecuted("failed", `change set ${name} still ${described.Status} after ${timing.changeSetTimeoutMs / 1000}s`);
    if (described.Status === "FAILED") {
      const why = described.StatusReason ?? "no reason given";
      return NO_CHANGES.test(why)
        ? await notExecuted("skipped", `CloudFormation found nothing to revert: ${why}`)
        : await notExecuted("failed", `change set ${name} failed: ${why}`);
    }

    const changes = await allChanges(cfn, stackName, name, described);
    if (changes.length === 0) return await notExecuted("skipped", `change set ${name} contains no changes`);
    const drifted = new Set(input.drifts.map((d) => d.logicalResourceId));
    const objections = changes.map((c) => objection(c, drifted)).filter((o): o is string => o !== undefined);
    if (objections.length > 0) return await notExecuted("manual", `refused to execute change set ${name}: ${objections.join("; ")}`);
    const diverging = revertConvergence(changes, input.drifts, input.where);
    if (diverging.length > 0) {
      return await notExecuted("manual", `not executing change set ${name}: the revert would not converge (${diverging.join("; ")}); resolve these by hand or update the template`);
    }

    const execute: PlannedStep = {
      call: `ExecuteChangeSet StackName=${stackName} ChangeSetName=${name}`,
      summary: `execute change set ${name}`,
      effect: { kind: "execute-change-set", stackName, ...changeSetWrites(changes) },
      send: () => cfn.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: name })),
    };
    const refused = refusals(execute.effect, safety);
    if (refused.length > 0) {
      const { reason } = refusedAction(refused, [], undefined);
      return await notExecuted("refused", `change set ${name} not executed: ${reason}`);
    }

    const reservation = input.reserve(input.drifts.length);
    if (!reservation.ok) return await notExecuted("skipped", reservation.reason);

    await sendApproved(execute, safety);
    created = false;
    steps.push(execute.call);
  } catch (err) {
    const reason = err instanceof RefusedError ? `refused: ${err.message}` : errorText(err);
    try {
      return await notExecuted(err instanceof RefusedError ? "refused" : "failed", reason);
    } catch {
      return { kind: "not-executed", action: { outcome: "failed", reason: `${reason}; change set ${name} could not be deleted`, steps, by: REVERT_BY } };
    }
  }

  try {
    const { value: stack } = await pollUntil(
      () => describeStack(cfn, stackName),
      (s) => !(s.StackStatus ?? "").endsWith("_IN_PROGRESS"),
      timing,
      timing.stackUpdateTimeoutMs,
    );
    return {
      kind: "executed",
      changeSetName: name,
      steps,
      stackStatus: stack.StackStatus ?? "UNKNOWN",
      ...(stack.StackStatusReason ? { statusReason: stack.StackStatusReason } : {}),
    };
  } catch (err) {
    return { kind: "executed", changeSetName: name, steps, stackStatus: "UNKNOWN", statusReason: errorText(err) };
  }
}

async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack> {
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  if (!stack) throw new Error(`DescribeStacks returned no stack ${stackName}`);
  return stack;
}

async function allChanges(cfn: CloudFormationClient, stackName: string, name: string, first: DescribeChangeSetCommandOutput): Promise<Change[]> {
  const changes = [...(first.Changes ?? [])];
  if (first.NextToken === undefined) return changes;
  for await (const page of paginateDescribeChangeSet({ client: cfn, startingToken: first.NextToken }, { StackName: stackName, ChangeSetName: name, IncludePropertyValues: true })) {
    changes.push(...(page.Changes ?? []));
  }
  return changes;
}
