import type { Capability } from "@aws-sdk/client-cloudformation";
import { AwsError } from "../../protocol/types.js";
import type { CfnStack, Tags } from "../../state.js";
import { isoNow, stacksOf, type CfnEnv } from "./env.js";
import { validationError } from "./errors.js";
import { generatedName, stackArn } from "../shared/ids.js";
import { recordEvent, setStackStatus } from "./events.js";
import { exportInUse } from "./exports.js";
import { checkBeforeCreate, parameterNames, provisionStack, retained, type ContextFor } from "./provision.js";
import { actorFor } from "./resources/on-behalf.js";
import { providerFor } from "./resources/registry.js";
import { creationOrder } from "./template/dependencies.js";
import { bindParameters, type ParameterInput } from "./template/parameters.js";
import { requireCapabilities } from "./template/capabilities.js";
import { parseTemplate } from "./template/parse.js";
import type { StackUpdate } from "./update.js";

export interface CreateStackInput {
  stackName: string;
  templateBody: string;
  parameters?: ParameterInput[];
  tags?: Tags;
  capabilities?: Capability[];
  parent?: CfnStack;
  /** RoleARN: the service role CloudFormation provisions with (on-behalf.ts). */
  roleArn?: string;
}

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;

/** How providers reach the World and the nested-stack lifecycle for one resource of `stack`. */
export function resourceContext(env: CfnEnv): ContextFor {
  const actor = actorFor(env);
  return (stack, resource) => ({
    env,
    stack,
    actor: actor(stack),
    logicalId: resource.logicalId,
    resourceType: resource.type,
    nested: {
      create: async ({ logicalId, templateBody, parameters }) =>
        createStack(env, {
          stackName: generatedName(env.sandbox.random, stack.stackName, logicalId, { maxLength: 128 }),
          templateBody,
          parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          tags: stack.tags,
          capabilities: stack.capabilities,
          parent: stack,
        }),
      delete: async (stackId) => {
        const child = stacksOf(env).find((candidate) => candidate.stackId === stackId);
        if (child) await deleteStack(env, child);
      },
    },
  });
}

/**
 * CreateStack: validates the template, parameters and capabilities (errors here create nothing),
 * then provisions synchronously, so the stack is CREATE_COMPLETE (or ROLLBACK_COMPLETE) on return.
 */
export async function createStack(env: CfnEnv, input: CreateStackInput): Promise<CfnStack> {
  if (!STACK_NAME.test(input.stackName) || input.stackName.length > 128) {
    throw validationError(
      `1 validation error detected: Value '${input.stackName}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  }
  const stacks = stacksOf(env);
  if (stacks.some((stack) => stack.stackName === input.stackName && stack.status !== "DELETE_COMPLETE")) {
    throw new AwsError("AlreadyExistsException", `Stack [${input.stackName}] already exists`);
  }
  const template = parseTemplate(input.templateBody);
  const parameters = bindParameters(template, input.parameters);
  requireCapabilities(template, input.capabilities ?? []);
  const order = creationOrder(template, parameterNames(template));

  const stack: CfnStack = {
    stackId: stackArn(env.sandbox.random, env.region, env.account.id, input.stackName),
    stackName: input.stackName,
    status: "CREATE_IN_PROGRESS",
    templateBody: input.templateBody,
    parameters,
    tags: { ...input.tags },
    ...(input.parent ? { parentId: input.parent.stackId, rootId: input.parent.rootId ?? input.parent.stackId } : {}),
    createdAt: isoNow(env),
    ...(template.Description !== undefined ? { description: template.Description } : {}),
    ...(input.capabilities?.length ? { capabilities: [...input.capabilities] } : {}),
    ...(input.roleArn ? { roleArn: input.roleArn } : (input.parent?.roleArn ? { roleArn: input.parent.roleArn } : {})),
    resources: [],
    detections: [],
    changeSets: [],
  };
  checkBeforeCreate(env, stack, template);
  stacks.push(stack);
  await provisionStack(env, stack, template, order, resourceContext(env));
  return stack;
}

/**
 * ExecuteChangeSet of a CREATE change set: the REVIEW_IN_PROGRESS stack takes the change set's
 * template, parameters and tags and is provisioned as CreateStack would (CREATE_IN_PROGRESS, then
 * CREATE_COMPLETE or ROLLBACK_COMPLETE).
 */
export async function executeCreate(env: CfnEnv, stack: CfnStack, update: StackUpdate): Promise<void> {
  Object.assign(stack, { templateBody: update.templateBody, parameters: update.parameters, tags: { ...update.tags }, status: "CREATE_IN_PROGRESS" });
  if (update.capabilities?.length) stack.capabilities = [...update.capabilities];
  if (update.roleArn) stack.roleArn = update.roleArn;
  if (update.template.Description !== undefined) stack.description = update.template.Description;
  checkBeforeCreate(env, stack, update.template);
  await provisionStack(env, stack, update.template, creationOrder(update.template, parameterNames(update.template)), resourceContext(env));
}

/**
 * DeleteStack: removes the resources in reverse creation order, keeping DeletionPolicy Retain ones
 * (DELETE_SKIPPED, aws-attribute-deletionpolicy.html); one that can't go leaves DELETE_FAILED.
 * A stack whose export another stack imports is not deleted at all: it keeps its status and says
 * why in StackStatusReason (outputs-section-structure.html; the message: exports.ts).
 */
export async function deleteStack(env: CfnEnv, stack: CfnStack): Promise<void> {
  const inUse = exportInUse(env, stack);
  if (inUse) {
    const status = stack.status;
    setStackStatus(env, stack, "DELETE_IN_PROGRESS", "User Initiated");
    setStackStatus(env, stack, status, inUse);
    stack.statusReason = inUse;
    return;
  }
  setStackStatus(env, stack, "DELETE_IN_PROGRESS", "User Initiated");
  const contextFor = resourceContext(env);
  const blocked: string[] = [];
  for (const resource of [...stack.resources].reverse()) {
    if (resource.status === "DELETE_COMPLETE" || resource.status === "DELETE_SKIPPED") continue;
    if (retained(resource, false)) {
      resource.status = "DELETE_SKIPPED";
    } else {
      try {
        await providerFor(resource.type).delete(resource.physicalId, contextFor(stack, resource));
        resource.status = "DELETE_COMPLETE";
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        blocked.push(`${resource.logicalId}: ${reason}`);
        resource.status = "DELETE_FAILED";
        resource.statusReason = reason;
        recordEvent(env, stack, { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type, status: "DELETE_FAILED", reason });
        continue;
      }
    }
    resource.lastUpdated = isoNow(env);
    recordEvent(env, stack, { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type, status: resource.status });
  }
  if (blocked.length > 0) {
    stack.statusReason = `The following resource(s) failed to delete: [${blocked.join("; ")}].`;
    setStackStatus(env, stack, "DELETE_FAILED", stack.statusReason);
    return;
  }
  delete stack.statusReason;
  stack.imports = [];
  setStackStatus(env, stack, "DELETE_COMPLETE");
  stack.deletedAt = isoNow(env);
  stack.changeSets = [];
}
