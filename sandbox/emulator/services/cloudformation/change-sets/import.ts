import type { Change } from "@aws-sdk/client-cloudformation";
import type { CfnChangeSet, CfnDeletionPolicy, CfnStack } from "../../../state.js";
import { isoNow, stacksOf, type CfnEnv } from "../env.js";
import { recordEvent, setStackStatus } from "../events.js";
import { resourceContext } from "../lifecycle.js";
import { resolveScope } from "../provision.js";
import { providerFor } from "../resources/registry.js";
import { resolveValue } from "../template/intrinsics.js";
import { parseTemplate } from "../template/parse.js";

/**
 * IMPORT change sets (AWS CloudFormation User Guide, "Import AWS resources into a CloudFormation
 * stack", resource-import.html, and resource-import-existing-stack.html): each resource to import
 * must be declared in the template with a DeletionPolicy, exist, and belong to no other stack; the
 * import adds nothing else. "During an import operation, CloudFormation doesn't check that the
 * template configuration matches the actual configuration" — the properties are taken on trust,
 * so a drift detection right after an import reports every difference.
 */

/** The resource's owner stack, when a standing stack other than `stack` manages that physical id. */
function ownerOf(env: CfnEnv, stack: CfnStack, type: string, physicalId: string): CfnStack | undefined {
  return stacksOf(env).find(
    (candidate) =>
      candidate !== stack &&
      candidate.status !== "DELETE_COMPLETE" &&
      candidate.resources.some((r) => r.type === type && r.physicalId === physicalId && r.status !== "DELETE_COMPLETE" && r.status !== "DELETE_SKIPPED"),
  );
}

/** The Changes of an IMPORT change set, or the reason it FAILS (checked when the change set is computed). */
export async function planImport(env: CfnEnv, stack: CfnStack, changeSet: CfnChangeSet): Promise<Change[]> {
  const template = parseTemplate(changeSet.templateBody!);
  const imports = changeSet.resourcesToImport ?? [];
  const contextFor = resourceContext(env);
  const existing = new Set(stack.resources.filter((r) => r.status !== "DELETE_COMPLETE").map((r) => r.logicalId));
  const added = Object.keys(template.Resources).filter((id) => !existing.has(id) && !imports.some((i) => i.LogicalResourceId === id));
  if (added.length > 0) {
    throw new Error(`You have modified resources [${added.join(", ")}] in your template that are not being imported. Update, create or delete operations cannot be executed during import operations.`);
  }
  const changes: Change[] = [];
  for (const entry of imports) {
    const declaration = template.Resources[entry.LogicalResourceId];
    if (!declaration) throw new Error(`Resource ${entry.LogicalResourceId} to import is not declared in the template`);
    if (declaration.Type !== entry.ResourceType) {
      throw new Error(`Resource ${entry.LogicalResourceId} is declared as ${declaration.Type} in the template, not ${entry.ResourceType}`);
    }
    if (declaration.DeletionPolicy === undefined) {
      throw new Error(`The following resources to import [${entry.LogicalResourceId}] must have DeletionPolicy attribute specified in the template.`);
    }
    const support = providerFor(entry.ResourceType).import;
    if (!support) throw new Error(`ResourceType ${entry.ResourceType} does not support resource import`);
    const identifier = entry.ResourceIdentifier?.[support.identifier];
    if (identifier === undefined) {
      throw new Error(`ResourceIdentifier of ${entry.LogicalResourceId} must name ${support.identifier}, the primary identifier of ${entry.ResourceType}`);
    }
    // The lookup is the type's read handler, authorized as the stack's service role or the caller (a denial fails the change set).
    const found = await support.find(identifier, contextFor(stack, { logicalId: entry.LogicalResourceId, type: entry.ResourceType }));
    if (!found) throw new Error(`Resource of type '${entry.ResourceType}' with identifier '${identifier}' was not found.`);
    const owner = ownerOf(env, stack, entry.ResourceType, found.physicalId);
    if (owner) throw new Error(`Resource of type '${entry.ResourceType}' with identifier '${identifier}' already exists in stack ${owner.stackId}.`);
    changes.push({
      Type: "Resource",
      ResourceChange: {
        Action: "Import",
        LogicalResourceId: entry.LogicalResourceId,
        PhysicalResourceId: found.physicalId,
        ResourceType: entry.ResourceType,
        Scope: [],
        Details: [],
      },
    });
  }
  return changes;
}

/**
 * ExecuteChangeSet for an IMPORT change set: the stack adopts the resources and takes the new
 * template. An import adopts resources as they are — the User Guide recommends running drift
 * detection afterwards because the template and the live configuration may differ
 * (import-resources-automatically.html) — so CloudFormation only reads them (the type's read
 * handler, e.g. iam:GetRole), authorized as the stack's service role or the caller (on-behalf.ts).
 * The sandbox's CloudTrail records the mutating management calls only (dispatcher.ts), so an import
 * records no call. A read that is denied now, or a resource gone since the change set was computed,
 * fails that resource (IMPORT_FAILED with the handler's message) and the import rolls back:
 * IMPORT_ROLLBACK_IN_PROGRESS, the adopted resources and the template given up,
 * IMPORT_ROLLBACK_COMPLETE, the change set EXECUTE_FAILED.
 */
export async function executeImport(env: CfnEnv, stack: CfnStack, changeSet: CfnChangeSet): Promise<void> {
  const template = parseTemplate(changeSet.templateBody!);
  const contextFor = resourceContext(env);
  const before = { templateBody: stack.templateBody, description: stack.description, resources: [...stack.resources] };
  setStackStatus(env, stack, "IMPORT_IN_PROGRESS", "User Initiated");
  stack.templateBody = changeSet.templateBody!;
  if (template.Description !== undefined) stack.description = template.Description;
  const scope = resolveScope(env, stack, template);
  for (const entry of changeSet.resourcesToImport ?? []) {
    const declaration = template.Resources[entry.LogicalResourceId]!;
    const support = providerFor(entry.ResourceType).import!;
    const identifier = entry.ResourceIdentifier[support.identifier]!;
    recordEvent(env, stack, { logicalId: entry.LogicalResourceId, type: entry.ResourceType, status: "IMPORT_IN_PROGRESS" });
    let found: Awaited<ReturnType<typeof support.find>>;
    try {
      found = await support.find(identifier, contextFor(stack, { logicalId: entry.LogicalResourceId, type: entry.ResourceType }));
      if (!found) throw new Error(`Resource of type '${entry.ResourceType}' with identifier '${identifier}' was not found.`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      recordEvent(env, stack, { logicalId: entry.LogicalResourceId, type: entry.ResourceType, status: "IMPORT_FAILED", reason });
      setStackStatus(env, stack, "IMPORT_ROLLBACK_IN_PROGRESS", `The following resource(s) failed to import: [${entry.LogicalResourceId}]. `);
      Object.assign(stack, { templateBody: before.templateBody, resources: before.resources });
      if (before.description === undefined) delete stack.description;
      else stack.description = before.description;
      setStackStatus(env, stack, "IMPORT_ROLLBACK_COMPLETE");
      stack.lastUpdated = isoNow(env);
      changeSet.executionStatus = "EXECUTE_FAILED";
      return;
    }
    stack.resources.push({
      logicalId: entry.LogicalResourceId,
      physicalId: found.physicalId,
      type: entry.ResourceType,
      status: "IMPORT_COMPLETE",
      properties: resolveValue(declaration.Properties ?? {}, scope) as Record<string, unknown>,
      attributes: found.attributes,
      lastUpdated: isoNow(env),
      deletionPolicy: declaration.DeletionPolicy as CfnDeletionPolicy,
    });
    recordEvent(env, stack, { logicalId: entry.LogicalResourceId, physicalId: found.physicalId, type: entry.ResourceType, status: "IMPORT_COMPLETE" });
  }
  setStackStatus(env, stack, "IMPORT_COMPLETE");
  stack.lastUpdated = isoNow(env);
}
