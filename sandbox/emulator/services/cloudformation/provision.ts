import type { CfnDeletionPolicy, CfnStack, CfnStackResource } from "../../state.js";
import { isoNow, type CfnEnv } from "./env.js";
import { recordEvent, setStackStatus } from "./events.js";
import { duplicateExport, findExport } from "./exports.js";
import { providerFor } from "./resources/registry.js";
import type { ResourceContext } from "./resources/types.js";
import { templateFormatError } from "./errors.js";
import { evaluateConditions, isPlainObject, resolveValue, type ResolveScope } from "./template/intrinsics.js";
import { parameterValues, pseudoParameters } from "./template/parameters.js";
import type { Template } from "./template/parse.js";

export type ContextFor = (stack: CfnStack, resource: { logicalId: string; type: string }) => ResourceContext;

/** The names `Ref` may use besides resources: parameters and pseudo parameters. */
export function parameterNames(template: Template): Set<string> {
  const pseudo = Object.keys(pseudoParameters({ accountId: "", region: "", stackName: "", stackId: "" }));
  return new Set([...Object.keys(template.Parameters ?? {}), ...pseudo, "AWS::NoValue"]);
}

/** What intrinsic functions see while the stack's resources are created; Fn::ImportValue records what it read. */
export function resolveScope(env: CfnEnv, stack: CfnStack, template: Template): ResolveScope {
  const base: Omit<ResolveScope, "condition"> = {
    parameters: {
      ...parameterValues(template, stack.parameters),
      ...pseudoParameters({ accountId: env.account.id, region: env.region, stackName: stack.stackName, stackId: stack.stackId }),
    },
    mappings: template.Mappings,
    region: env.region,
    resource: (logicalId) => {
      const resource = stack.resources.find((r) => r.logicalId === logicalId && r.status !== "DELETE_COMPLETE");
      return resource && { physicalId: resource.physicalId, attributes: resource.attributes ?? {} };
    },
    importValue: (name) => {
      const found = findExport(env, name);
      if (found && !(stack.imports ?? []).includes(name)) (stack.imports ??= []).push(name);
      return found?.value;
    },
  };
  return { ...base, condition: evaluateConditions(template.Conditions, base) };
}

/** aws-attribute-deletionpolicy.html: the four values CloudFormation accepts. */
const DELETION_POLICIES: readonly CfnDeletionPolicy[] = ["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"];

/**
 * Checks made before anything is created, so CreateStack fails with a ValidationError and no
 * stack: each DeletionPolicy value, and each Fn::ImportValue naming an export that exists
 * ("No export named X found."). ImportValue may not depend on a resource
 * (intrinsic-function-reference-importvalue.html), so its name resolves from parameters alone.
 */
export function checkBeforeCreate(env: CfnEnv, stack: CfnStack, template: Template): void {
  for (const [logicalId, declaration] of Object.entries(template.Resources)) {
    const policy = declaration.DeletionPolicy;
    if (policy !== undefined && !DELETION_POLICIES.includes(policy as CfnDeletionPolicy)) {
      throw templateFormatError(`[/Resources/${logicalId}/DeletionPolicy] Unrecognized DeletionPolicy ${String(policy)} for resource ${logicalId}`);
    }
  }
  const scope = resolveScope(env, { ...stack, imports: [] }, template);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isPlainObject(value)) return;
    if ("Fn::ImportValue" in value) resolveValue(value, scope);
    else Object.values(value).forEach(visit);
  };
  visit(Object.values(template.Resources).map((declaration) => declaration.Properties));
  visit(Object.values(template.Outputs ?? {}).map((declaration) => declaration.Value));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates one resource of a template, as both a stack's creation and an update that adds it do:
 * its properties resolved, CREATE_IN_PROGRESS, the provider's create, then the resource in the
 * stack and CREATE_COMPLETE — or CREATE_FAILED with the reason, and the error rethrown.
 */
export async function createResource(env: CfnEnv, stack: CfnStack, logicalId: string, declaration: Template["Resources"][string], scope: ResolveScope, contextFor: ContextFor): Promise<CfnStackResource> {
  recordEvent(env, stack, { logicalId, type: declaration.Type, status: "CREATE_IN_PROGRESS" });
  let properties: Record<string, unknown>;
  let provisioned;
  try {
    properties = resolveValue(declaration.Properties ?? {}, scope) as Record<string, unknown>;
    provisioned = await providerFor(declaration.Type).create(properties, contextFor(stack, { logicalId, type: declaration.Type }));
  } catch (error) {
    recordEvent(env, stack, { logicalId, type: declaration.Type, status: "CREATE_FAILED", reason: errorMessage(error) });
    throw error;
  }
  const resource: CfnStackResource = {
    logicalId,
    physicalId: provisioned.physicalId,
    type: declaration.Type,
    status: "CREATE_COMPLETE",
    properties,
    attributes: provisioned.attributes,
    ...(provisioned.nestedStackId ? { nestedStackId: provisioned.nestedStackId } : {}),
    lastUpdated: isoNow(env),
    ...(declaration.DeletionPolicy !== undefined ? { deletionPolicy: declaration.DeletionPolicy as CfnDeletionPolicy } : {}),
  };
  stack.resources.push(resource);
  recordEvent(env, stack, { logicalId, physicalId: resource.physicalId, type: resource.type, status: "CREATE_COMPLETE" });
  return resource;
}

/**
 * Creates the stack's resources in dependency order, then resolves its Outputs, writing the
 * stack events CloudFormation writes. A failure rolls back what was created (reverse order) and
 * leaves the stack ROLLBACK_COMPLETE, as CloudFormation does for a failed CreateStack — or
 * ROLLBACK_FAILED when a resource cannot be deleted (a denied delete call, for one): "Unsuccessful
 * removal of one or more stacks after a failed stack creation … Delete the stack or view the stack
 * events to see any associated error messages" (User Guide, "Stack status codes"). That resource
 * stays in the stack and in the World, DELETE_FAILED with the handler's message, for DeleteStack to
 * try again; the stack's reason names it as CloudFormation does ("The following resource(s) failed
 * to delete: [EnrichedFrameTable].", a real ROLLBACK_FAILED, aws-samples/amazon-rekognition-video-analyzer#4).
 */
export async function provisionStack(env: CfnEnv, stack: CfnStack, template: Template, order: string[], contextFor: ContextFor): Promise<void> {
  recordEvent(env, stack, { status: "CREATE_IN_PROGRESS", reason: "User Initiated" });
  let failed: string | undefined;
  try {
    const scope = resolveScope(env, stack, template);
    for (const logicalId of order) {
      failed = logicalId;
      const declaration = template.Resources[logicalId];
      if (declaration.Condition !== undefined && !scope.condition(declaration.Condition)) continue;
      await createResource(env, stack, logicalId, declaration, scope, contextFor);
    }
    failed = undefined;
    const outputs = resolveOutputs(template, scope);
    const duplicate = duplicateExport(env, stack, outputs);
    if (duplicate) throw new Error(duplicate);
    stack.outputs = outputs;
    setStackStatus(env, stack, "CREATE_COMPLETE");
  } catch (error) {
    const which = failed ? `The following resource(s) failed to create: [${failed}]. ` : "";
    setStackStatus(env, stack, "ROLLBACK_IN_PROGRESS", `${which}Rollback requested by user.`);
    const undeleted = await rollBack(env, stack, contextFor);
    stack.imports = [];
    if (undeleted.length > 0) {
      stack.statusReason = `The following resource(s) failed to delete: [${undeleted.join(", ")}]. `;
      setStackStatus(env, stack, "ROLLBACK_FAILED", stack.statusReason);
      return;
    }
    stack.status = "ROLLBACK_COMPLETE";
    stack.statusReason = `${which}Rollback requested by user. ${failed ?? "Outputs"}: ${errorMessage(error)}`;
    recordEvent(env, stack, { status: "ROLLBACK_COMPLETE" });
  }
}

/** Whether a resource stays when CloudFormation removes it: on a create rollback only Retain keeps it. */
export function retained(resource: CfnStackResource, rollingBackCreate: boolean): boolean {
  return resource.deletionPolicy === "Retain" || (resource.deletionPolicy === "RetainExceptOnCreate" && !rollingBackCreate);
}

/** Deletes what a failed create made, newest first; returns the logical ids that could not be deleted. */
async function rollBack(env: CfnEnv, stack: CfnStack, contextFor: ContextFor): Promise<string[]> {
  const undeleted: string[] = [];
  for (const resource of [...stack.resources].reverse()) {
    const event = { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type };
    resource.lastUpdated = isoNow(env);
    if (retained(resource, true)) {
      resource.status = "DELETE_SKIPPED";
      recordEvent(env, stack, { ...event, status: resource.status });
      continue;
    }
    recordEvent(env, stack, { ...event, status: "DELETE_IN_PROGRESS" });
    try {
      await providerFor(resource.type).delete(resource.physicalId, contextFor(stack, resource));
      resource.status = "DELETE_COMPLETE";
      recordEvent(env, stack, { ...event, status: resource.status });
    } catch (error) {
      resource.status = "DELETE_FAILED";
      resource.statusReason = errorMessage(error);
      recordEvent(env, stack, { ...event, status: resource.status, reason: resource.statusReason });
      undeleted.push(resource.logicalId);
    }
  }
  return undeleted.reverse();
}

export function resolveOutputs(template: Template, scope: ResolveScope): NonNullable<CfnStack["outputs"]> {
  const outputs: NonNullable<CfnStack["outputs"]> = [];
  for (const [key, declaration] of Object.entries(template.Outputs ?? {})) {
    if (declaration.Condition !== undefined && !scope.condition(declaration.Condition)) continue;
    const value = resolveValue(declaration.Value, scope);
    const exportName = declaration.Export ? String(resolveValue(declaration.Export.Name, scope)) : undefined;
    outputs.push({
      key,
      value: Array.isArray(value) ? value.join(",") : String(value),
      ...(declaration.Description !== undefined ? { description: declaration.Description } : {}),
      ...(exportName !== undefined ? { exportName } : {}),
    });
  }
  return outputs;
}
