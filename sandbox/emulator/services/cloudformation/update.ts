import type { Capability, Change } from "@aws-sdk/client-cloudformation";
import type { CfnDeletionPolicy, CfnRollbackWriteBack, CfnStack, CfnStackResource, Tags } from "../../state.js";
import { isoNow, type CfnEnv } from "./env.js";
import { validationError } from "./errors.js";
import { recordEvent, setStackStatus } from "./events.js";
import { duplicateExport } from "./exports.js";
import { resourceContext } from "./lifecycle.js";
import { checkBeforeCreate, createResource, parameterNames, resolveOutputs, resolveScope, retained } from "./provision.js";
import { providerFor } from "./resources/registry.js";
import { creationOrder } from "./template/dependencies.js";
import { resolveValue, type ResolveScope } from "./template/intrinsics.js";
import type { Template } from "./template/parse.js";

/**
 * Stack updates (UpdateStack, and UPDATE change sets executed), as the User Guide describes them
 * (using-cfn-updating-stacks.html, using-cfn-updating-stacks-update-behaviors.html): each resource
 * of the new template is added, modified in place ("No interruption") or replaced ("Replacement":
 * a new physical resource, the old one deleted during UPDATE_COMPLETE_CLEANUP_IN_PROGRESS), and
 * each one the template no longer has is removed (kept when its DeletionPolicy is Retain).
 */

/** A value CloudFormation cannot know before the change set runs (a resource to be created). */
const KNOWN_AFTER_APPLY = "{{changeSet:KNOWN_AFTER_APPLY}}";

export const NO_UPDATES = "No updates are to be performed.";

export interface StackUpdate {
  template: Template;
  templateBody: string;
  parameters: Record<string, string>;
  tags?: Tags;
  capabilities?: Capability[];
  roleArn?: string;
}

export interface PlannedChange {
  action: "Add" | "Modify" | "Remove";
  logicalId: string;
  type: string;
  physicalId?: string;
  /** Modify: the top-level properties that differ, and whether each forces a replacement. */
  details: { name: string; recreation: "Always" | "Never"; dynamic: boolean }[];
  replacement: boolean;
  policy?: CfnDeletionPolicy;
}

function live(stack: CfnStack): CfnStackResource[] {
  return stack.resources.filter((r) => r.status !== "DELETE_COMPLETE" && r.status !== "DELETE_SKIPPED");
}

/** The new template's scope over the stack's resources; resources not yet created resolve to KNOWN_AFTER_APPLY. */
function planScope(env: CfnEnv, stack: CfnStack, update: StackUpdate): ResolveScope {
  const scope = resolveScope(env, { ...stack, parameters: update.parameters, imports: [] }, update.template);
  const placeholder = { physicalId: KNOWN_AFTER_APPLY, attributes: new Proxy({}, { get: () => KNOWN_AFTER_APPLY }) as Record<string, string> };
  return { ...scope, resource: (logicalId) => scope.resource(logicalId) ?? (logicalId in update.template.Resources ? placeholder : undefined) };
}

function included(template: Template, scope: ResolveScope, logicalId: string): boolean {
  const condition = template.Resources[logicalId]?.Condition;
  return condition === undefined || scope.condition(condition);
}

function changedProperties(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name])).sort();
}

/** Whether changing `name` replaces a resource of `type` (the provider's "Update requires: Replacement" properties). */
function replaces(type: string, name: string): boolean {
  const provider = providerFor(type);
  if (provider.drift) return provider.drift.replacedBy.includes(name);
  // A type with no in-place update is replaced on any change.
  return provider.updateInPlace === undefined;
}

/** What executing the update would do, in DescribeChangeSet's terms. */
export function planUpdate(env: CfnEnv, stack: CfnStack, update: StackUpdate): PlannedChange[] {
  const scope = planScope(env, stack, update);
  const current = new Map(live(stack).map((r) => [r.logicalId, r]));
  const changes: PlannedChange[] = [];
  for (const logicalId of creationOrder(update.template, parameterNames(update.template))) {
    if (!included(update.template, scope, logicalId)) continue;
    const declaration = update.template.Resources[logicalId]!;
    const existing = current.get(logicalId);
    if (!existing) {
      changes.push({ action: "Add", logicalId, type: declaration.Type, details: [], replacement: false });
      continue;
    }
    if (existing.type !== declaration.Type) {
      // using-cfn-updating-stacks-update-behaviors.html: a logical id keeps its type.
      throw validationError(`Update of resource type is not permitted. The new template modifies resource type of the following resources: [${logicalId}]`);
    }
    const after = resolveValue(declaration.Properties ?? {}, scope) as Record<string, unknown>;
    const details = changedProperties(existing.properties, after).map((name) => ({
      name,
      recreation: replaces(existing.type, name) ? ("Always" as const) : ("Never" as const),
      dynamic: JSON.stringify(after[name] ?? null).includes(KNOWN_AFTER_APPLY),
    }));
    const policyChanged = (declaration.DeletionPolicy ?? undefined) !== existing.deletionPolicy;
    if (details.length === 0 && !policyChanged) continue;
    changes.push({ action: "Modify", logicalId, type: existing.type, physicalId: existing.physicalId, details, replacement: details.some((d) => d.recreation === "Always") });
  }
  for (const resource of live(stack)) {
    if (resource.logicalId in update.template.Resources && included(update.template, scope, resource.logicalId)) continue;
    changes.push({ action: "Remove", logicalId: resource.logicalId, type: resource.type, physicalId: resource.physicalId, details: [], replacement: false, policy: resource.deletionPolicy });
  }
  return changes;
}

/** True when the update changes nothing at all: no resource, output, tag or parameter differs. */
export function isNoOp(env: CfnEnv, stack: CfnStack, update: StackUpdate, changes: PlannedChange[]): boolean {
  if (changes.length > 0) return false;
  if (JSON.stringify(update.parameters) !== JSON.stringify(stack.parameters)) return false;
  if (update.tags !== undefined && JSON.stringify(update.tags) !== JSON.stringify(stack.tags)) return false;
  const outputs = resolveOutputs(update.template, planScope(env, stack, update));
  return JSON.stringify(outputs) === JSON.stringify(stack.outputs ?? []);
}

/**
 * DescribeChangeSet's Changes for a planned update (API_ResourceChange.html,
 * API_ResourceChangeDetail.html, API_ResourceTargetDefinition.html): Replacement and Scope for
 * Modify only, one Detail per changed property with its RequiresRecreation, Evaluation Static
 * (Dynamic when the value depends on a resource still to be created), ChangeSource
 * DirectModification; PolicyAction for Remove.
 */
export function changeSetChanges(changes: PlannedChange[]): Change[] {
  return changes.map((change): Change => {
    const modify = change.action === "Modify";
    const targets = change.details.map((d) => ({ Attribute: d.name === "Tags" ? ("Tags" as const) : ("Properties" as const), Name: d.name, RequiresRecreation: d.recreation }));
    return {
      Type: "Resource",
      ResourceChange: {
        ...(change.action === "Remove" ? { PolicyAction: change.policy === "Retain" || change.policy === "RetainExceptOnCreate" ? "Retain" : "Delete" } : {}),
        ...(modify && change.replacement ? { PolicyAction: "ReplaceAndDelete" } : {}),
        Action: change.action,
        LogicalResourceId: change.logicalId,
        ...(change.physicalId !== undefined ? { PhysicalResourceId: change.physicalId } : {}),
        ResourceType: change.type,
        ...(modify ? { Replacement: change.replacement ? "True" : "False" } : {}),
        Scope: [...new Set(targets.map((t) => t.Attribute))],
        Details: change.details.map((d, i) => ({
          Target: targets[i],
          Evaluation: d.dynamic ? ("Dynamic" as const) : ("Static" as const),
          ChangeSource: "DirectModification" as const,
        })),
      },
    };
  });
}

/**
 * Runs the update: UPDATE_IN_PROGRESS, the resources in the new template's dependency order,
 * UPDATE_COMPLETE_CLEANUP_IN_PROGRESS while removed and replaced resources are deleted, then
 * UPDATE_COMPLETE. A resource that fails rolls the update back (rollBackUpdate): UPDATE_ROLLBACK_COMPLETE
 * with what the update created removed and the stack's template, parameters and resources as before,
 * or UPDATE_ROLLBACK_FAILED when a resource cannot be brought back.
 */
export async function executeUpdate(env: CfnEnv, stack: CfnStack, update: StackUpdate): Promise<void> {
  checkBeforeCreate(env, stack, update.template);
  const contextFor = resourceContext(env);
  const previous = { resources: stack.resources.map((r) => ({ ...r })) };
  if (update.roleArn !== undefined) stack.roleArn = update.roleArn;
  setStackStatus(env, stack, "UPDATE_IN_PROGRESS", "User Initiated");
  const created: CfnStackResource[] = [];
  const modified: Modified[] = [];
  const cleanup: CfnStackResource[] = [];
  const scopeStack: CfnStack = { ...stack, parameters: update.parameters, resources: stack.resources, imports: [] };
  let failed: string | undefined;
  // A resource the update adds that fails has its CREATE_FAILED event already (createResource).
  let adding = false;
  try {
    const scope = resolveScope(env, scopeStack, update.template);
    for (const logicalId of creationOrder(update.template, parameterNames(update.template))) {
      if (!included(update.template, scope, logicalId)) continue;
      failed = logicalId;
      const declaration = update.template.Resources[logicalId]!;
      const existing = live(stack).find((r) => r.logicalId === logicalId);
      if (!existing) {
        adding = true;
        created.push(await createResource(env, stack, logicalId, declaration, scope, contextFor));
        adding = false;
        continue;
      }
      const properties = resolveValue(declaration.Properties ?? {}, scope) as Record<string, unknown>;
      const policy = declaration.DeletionPolicy as CfnDeletionPolicy | undefined;
      const provider = providerFor(declaration.Type);
      const changed = changedProperties(existing.properties, properties);
      if (changed.length === 0 && policy === existing.deletionPolicy) continue;
      recordEvent(env, stack, { logicalId, physicalId: existing.physicalId, type: existing.type, status: "UPDATE_IN_PROGRESS" });
      if (changed.some((name) => replaces(existing.type, name))) {
        // Replacement: the new resource first, the old one deleted in the cleanup phase.
        recordEvent(env, stack, { logicalId, physicalId: existing.physicalId, type: existing.type, status: "UPDATE_IN_PROGRESS", reason: "Requested update requires the creation of a new physical resource; hence creating one." });
        const provisioned = await provider.create(properties, contextFor(stack, existing));
        const replacement: CfnStackResource = { ...existing, physicalId: provisioned.physicalId, attributes: provisioned.attributes, properties, status: "UPDATE_COMPLETE", lastUpdated: isoNow(env) };
        if (policy !== undefined) replacement.deletionPolicy = policy;
        else delete replacement.deletionPolicy;
        cleanup.push({ ...existing });
        stack.resources[stack.resources.indexOf(existing)] = replacement;
        created.push(replacement);
      } else if (changed.length > 0) {
        const ctx = contextFor(stack, existing);
        modified.push({ resource: existing, previous: existing.properties, attempted: properties });
        if (provider.updateInPlace) await provider.updateInPlace(existing.physicalId, properties, existing.properties, ctx);
        else await provider.drift!.update(existing.physicalId, provider.drift!.expected(properties), ctx);
      }
      Object.assign(existing, { properties, status: "UPDATE_COMPLETE", lastUpdated: isoNow(env) });
      if (policy !== undefined) existing.deletionPolicy = policy;
      else delete existing.deletionPolicy;
      recordEvent(env, stack, { logicalId, physicalId: existing.physicalId, type: existing.type, status: "UPDATE_COMPLETE" });
    }
    failed = undefined;
    const outputs = resolveOutputs(update.template, scope);
    const duplicate = duplicateExport(env, stack, outputs);
    if (duplicate) throw new Error(duplicate);
    stack.outputs = outputs;
  } catch (error) {
    await rollBackUpdate(env, stack, previous.resources, created, modified, adding ? undefined : failed, failed, error);
    return;
  }
  Object.assign(stack, { templateBody: update.templateBody, parameters: update.parameters, imports: scopeStack.imports ?? [] });
  if (update.tags !== undefined) stack.tags = { ...update.tags };
  if (update.capabilities !== undefined) stack.capabilities = [...update.capabilities];
  if (update.template.Description !== undefined) stack.description = update.template.Description;
  else delete stack.description;
  setStackStatus(env, stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
  const finalScope = resolveScope(env, scopeStack, update.template);
  const removed = live(stack).filter((r) => !(r.logicalId in update.template.Resources) || !included(update.template, finalScope, r.logicalId));
  let undeleted = 0;
  for (const resource of [...cleanup, ...[...removed].reverse()]) if (!(await removeResource(env, stack, resource, contextFor, false))) undeleted++;
  // A removed resource, deleted, retained or left behind, is no longer part of the stack.
  stack.resources = stack.resources.filter((r) => !removed.includes(r));
  delete stack.statusReason;
  stack.lastUpdated = isoNow(env);
  // A cleanup failure does not fail the update: the stack ends UPDATE_COMPLETE with this reason and the
  // resource stays in the World, out of the stack (serverless/serverless#9144's events; cloudformation-coverage-roadmap#744).
  setStackStatus(env, stack, "UPDATE_COMPLETE", undeleted > 0 ? "Update successful. One or more resources could not be deleted." : undefined);
}

/**
 * Deletes a resource in a cleanup phase (kept when its DeletionPolicy says so; `rollingBack`: a
 * resource the failed update created, which RetainExceptOnCreate does not keep). A delete that
 * fails is a DELETE_FAILED event with the handler's message; the resource stays in the World.
 * True when the resource is gone or retained.
 */
async function removeResource(env: CfnEnv, stack: CfnStack, resource: CfnStackResource, contextFor: ReturnType<typeof resourceContext>, rollingBack: boolean): Promise<boolean> {
  const event = { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type };
  if (retained(resource, rollingBack)) {
    recordEvent(env, stack, { ...event, status: "DELETE_SKIPPED" });
    resource.status = "DELETE_SKIPPED";
    return true;
  }
  recordEvent(env, stack, { ...event, status: "DELETE_IN_PROGRESS" });
  try {
    await providerFor(resource.type).delete(resource.physicalId, contextFor(stack, resource));
  } catch (error) {
    resource.status = "DELETE_FAILED";
    resource.statusReason = error instanceof Error ? error.message : String(error);
    recordEvent(env, stack, { ...event, status: "DELETE_FAILED", reason: resource.statusReason });
    return false;
  }
  resource.status = "DELETE_COMPLETE";
  recordEvent(env, stack, { ...event, status: "DELETE_COMPLETE" });
  return true;
}

interface Modified {
  resource: CfnStackResource;
  previous: Record<string, unknown>;
  attempted: Record<string, unknown>;
}

/**
 * The rollback of a failed update (User Guide, "Stack failure options": the stack returns "to the
 * last known stable state"): UPDATE_ROLLBACK_IN_PROGRESS, each resource modified in place (the
 * failed one too) written back to its previous properties, newest first; then
 * UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, in which the resources the update created are
 * deleted — "the stack has been rolled back to its previous working state and is usable, but
 * CloudFormation is still deleting any new resources it created" (User Guide, "Stack status codes")
 * — and UPDATE_ROLLBACK_COMPLETE.
 *
 * A write-back that fails — a call the caller or the service role may not make, for one — leaves
 * that resource UPDATE_FAILED with the handler's message and the stack UPDATE_ROLLBACK_FAILED:
 * "Unsuccessful return of one or more stacks to a previous working state after a failed stack
 * update. When in this state, you can delete the stack or continue rollback" (Stack status codes;
 * API_ContinueUpdateRollback.html: "A stack enters the UPDATE_ROLLBACK_FAILED state when
 * CloudFormation can't roll back all changes after a failed stack update"). The other write-backs
 * are still made. The stack keeps its previous template and resource records; what is left to do
 * waits in `rollbackPending` for ContinueUpdateRollback (continueUpdateRollback below).
 */
async function rollBackUpdate(
  env: CfnEnv,
  stack: CfnStack,
  previous: CfnStackResource[],
  created: CfnStackResource[],
  modified: Modified[],
  failedUpdate: string | undefined,
  failed: string | undefined,
  error: unknown,
): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  const which = failed ?? "Outputs";
  if (failedUpdate) recordEvent(env, stack, { logicalId: failed, type: stack.resources.find((r) => r.logicalId === failed)?.type ?? "AWS::CloudFormation::Stack", status: "UPDATE_FAILED", reason });
  setStackStatus(env, stack, "UPDATE_ROLLBACK_IN_PROGRESS", `The following resource(s) failed to update: [${which}]. `);
  stack.resources = previous;
  const writeBack = [...modified].reverse().map(({ resource, previous: before, attempted }) => ({ logicalId: resource.logicalId, previous: before, attempted }));
  stack.statusReason = `The following resource(s) failed to update: [${which}]. ${which}: ${reason}`;
  await finishRollback(env, stack, { writeBack, cleanup: [...created].reverse() });
}

/**
 * Runs what is left of an update rollback: the write-backs, then (all of them made) the cleanup.
 * `skip` names resources whose write-back is not attempted: they are marked UPDATE_COMPLETE and
 * keep the live state the failed update left, "inconsistent with the state of the resources in
 * the stack template" (API_ContinueUpdateRollback.html, ResourcesToSkip).
 */
async function finishRollback(env: CfnEnv, stack: CfnStack, pending: NonNullable<CfnStack["rollbackPending"]>, skip: ReadonlySet<string> = new Set()): Promise<void> {
  const contextFor = resourceContext(env);
  const stuck: CfnRollbackWriteBack[] = [];
  for (const item of pending.writeBack) {
    const resource = stack.resources.find((r) => r.logicalId === item.logicalId)!;
    const event = { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type };
    resource.lastUpdated = isoNow(env);
    if (skip.has(item.logicalId)) {
      resource.status = "UPDATE_COMPLETE";
      delete resource.statusReason;
      recordEvent(env, stack, { ...event, status: "UPDATE_COMPLETE", reason: "Resource skipped during UpdateRollback" });
      continue;
    }
    const provider = providerFor(resource.type);
    const ctx = contextFor(stack, resource);
    recordEvent(env, stack, { ...event, status: "UPDATE_IN_PROGRESS" });
    try {
      if (provider.updateInPlace) await provider.updateInPlace(resource.physicalId, item.previous, item.attempted, ctx);
      else await provider.drift?.update(resource.physicalId, provider.drift.expected(item.previous), ctx);
      resource.status = "UPDATE_COMPLETE";
      delete resource.statusReason;
      recordEvent(env, stack, { ...event, status: "UPDATE_COMPLETE" });
    } catch (error) {
      resource.status = "UPDATE_FAILED";
      resource.statusReason = error instanceof Error ? error.message : String(error);
      recordEvent(env, stack, { ...event, status: "UPDATE_FAILED", reason: resource.statusReason });
      stuck.push(item);
    }
  }
  if (stuck.length > 0) {
    stack.rollbackPending = { writeBack: stuck, cleanup: pending.cleanup };
    stack.statusReason = `The following resource(s) failed to update: [${stuck.map((item) => item.logicalId).join(", ")}]. `;
    setStackStatus(env, stack, "UPDATE_ROLLBACK_FAILED", stack.statusReason);
    return;
  }
  delete stack.rollbackPending;
  setStackStatus(env, stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS");
  for (const resource of pending.cleanup) await removeResource(env, stack, resource, contextFor, true);
  setStackStatus(env, stack, "UPDATE_ROLLBACK_COMPLETE");
}

/**
 * ContinueUpdateRollback (API_ContinueUpdateRollback.html; User Guide, "Continue rolling back an
 * update"): from UPDATE_ROLLBACK_FAILED only, the rollback is taken up again where it stopped.
 * ResourcesToSkip may name only resources "in the UPDATE_FAILED state because a rollback failed";
 * AWS documents the rule, not its message, so the two refusals below word it themselves. RoleARN,
 * when given, becomes the stack's service role ("CloudFormation always uses this role for all
 * future operations on the stack"); otherwise the stack's own role, else the caller, is used.
 */
export async function continueUpdateRollback(env: CfnEnv, stack: CfnStack, input: { resourcesToSkip: string[]; roleArn?: string }): Promise<void> {
  const pending = stack.rollbackPending;
  // The wording of other emulators (no AWS source gives it); the code, ValidationError, is CloudFormation's for a call the stack's state refuses.
  if (stack.status !== "UPDATE_ROLLBACK_FAILED" || !pending) throw validationError("ContinueUpdateRollback cannot be called from current stack status");
  const skippable = new Set(pending.writeBack.map((item) => item.logicalId));
  const wrong = input.resourcesToSkip.filter((id) => !skippable.has(id));
  if (wrong.length > 0) {
    throw validationError(
      `ResourcesToSkip [${wrong.join(", ")}] of stack ${stack.stackName}: only resources whose rollback failed (UPDATE_FAILED) can be skipped; these are: [${[...skippable].join(", ")}]`,
    );
  }
  if (input.roleArn !== undefined) stack.roleArn = input.roleArn;
  setStackStatus(env, stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated");
  await finishRollback(env, stack, pending, new Set(input.resourcesToSkip));
}
