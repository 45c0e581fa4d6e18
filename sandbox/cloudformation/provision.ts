import type { CfnStack, CfnStackResource } from "../state.js";
import { isoNow, type CfnEnv } from "./env.js";
import { providerFor } from "./resources/registry.js";
import type { ResourceContext } from "./resources/types.js";
import { evaluateConditions, resolveValue, type ResolveScope } from "./template/intrinsics.js";
import { parameterValues, pseudoParameters } from "./template/parameters.js";
import type { Template } from "./template/parse.js";

export type ContextFor = (stack: CfnStack, resource: { logicalId: string; type: string }) => ResourceContext;

/** The names `Ref` may use besides resources: parameters and pseudo parameters. */
export function parameterNames(template: Template): Set<string> {
  const pseudo = Object.keys(pseudoParameters({ accountId: "", region: "", stackName: "", stackId: "" }));
  return new Set([...Object.keys(template.Parameters ?? {}), ...pseudo, "AWS::NoValue"]);
}

/** What intrinsic functions see while the stack's resources are created. */
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
  };
  return { ...base, condition: evaluateConditions(template.Conditions, base) };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the stack's resources in dependency order, then resolves its Outputs. A failure rolls
 * back what was created (reverse order) and leaves the stack ROLLBACK_COMPLETE, as CloudFormation
 * does for a failed CreateStack.
 */
export function provisionStack(env: CfnEnv, stack: CfnStack, template: Template, order: string[], contextFor: ContextFor): void {
  let failed: string | undefined;
  try {
    const scope = resolveScope(env, stack, template);
    for (const logicalId of order) {
      failed = logicalId;
      const declaration = template.Resources[logicalId];
      if (declaration.Condition !== undefined && !scope.condition(declaration.Condition)) continue;
      const properties = resolveValue(declaration.Properties ?? {}, scope) as Record<string, unknown>;
      const provisioned = providerFor(declaration.Type).create(properties, contextFor(stack, { logicalId, type: declaration.Type }));
      const resource: CfnStackResource = {
        logicalId,
        physicalId: provisioned.physicalId,
        type: declaration.Type,
        status: "CREATE_COMPLETE",
        properties,
        attributes: provisioned.attributes,
        ...(provisioned.nestedStackId ? { nestedStackId: provisioned.nestedStackId } : {}),
        lastUpdated: isoNow(env),
      };
      stack.resources.push(resource);
    }
    failed = undefined;
    stack.outputs = resolveOutputs(template, scope);
    stack.status = "CREATE_COMPLETE";
  } catch (error) {
    rollBack(env, stack, contextFor);
    const which = failed ? `The following resource(s) failed to create: [${failed}]. ` : "";
    stack.status = "ROLLBACK_COMPLETE";
    stack.statusReason = `${which}Rollback requested by user. ${failed ?? "Outputs"}: ${errorMessage(error)}`;
  }
}

function rollBack(env: CfnEnv, stack: CfnStack, contextFor: ContextFor): void {
  for (const resource of [...stack.resources].reverse()) {
    try {
      providerFor(resource.type).delete(resource.physicalId, contextFor(stack, resource));
    } catch {
      // A resource that can't be removed stays in the World, as after a ROLLBACK_FAILED.
    }
    resource.status = "DELETE_COMPLETE";
    resource.lastUpdated = isoNow(env);
  }
}

function resolveOutputs(template: Template, scope: ResolveScope): NonNullable<CfnStack["outputs"]> {
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
