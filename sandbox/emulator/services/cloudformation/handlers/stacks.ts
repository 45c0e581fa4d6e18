import type { ActionHandler } from "../../../protocol/types.js";
import type { CfnStack } from "../../../state.js";
import { envOf } from "../env.js";
import { validationError } from "../errors.js";
import { createStack, deleteStack } from "../lifecycle.js";
import { paginate } from "../pagination.js";
import { checkServiceRole } from "../resources/on-behalf.js";
import { executeUpdate, isNoOp, NO_UPDATES, planUpdate } from "../update.js";
import { notUpdatable, UPDATABLE_STATUSES } from "../stacks.js";
import { requiredTemplateBody, stackUpdateOf } from "./template-input.js";
import { allStacks, findStack, lookupStack } from "../stacks.js";
import { neededCapability } from "../template/capabilities.js";
import type { ParameterInput } from "../template/parameters.js";
import { parseTemplate } from "../template/parse.js";
import { list, optionalText, parameterList, requiredText, tagList, tags } from "./params.js";

const PAGE_SIZE = 100;

function driftInformation(stack: CfnStack): Record<string, unknown> {
  return {
    StackDriftStatus: stack.lastDrift?.status ?? "NOT_CHECKED",
    ...(stack.lastDrift ? { LastCheckTimestamp: stack.lastDrift.at } : {}),
  };
}

function lineage(stack: CfnStack): Record<string, unknown> {
  return { ...(stack.parentId ? { ParentId: stack.parentId } : {}), ...(stack.rootId ? { RootId: stack.rootId } : {}) };
}

function stackShape(stack: CfnStack): Record<string, unknown> {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ...(stack.description !== undefined ? { Description: stack.description } : {}),
    Parameters: parameterList(stack.parameters),
    CreationTime: stack.createdAt,
    ...(stack.deletedAt ? { DeletionTime: stack.deletedAt } : {}),
    ...(stack.lastUpdated ? { LastUpdatedTime: stack.lastUpdated } : {}),
    StackStatus: stack.status,
    ...(stack.statusReason ? { StackStatusReason: stack.statusReason } : {}),
    DisableRollback: false,
    NotificationARNs: [],
    ...(stack.capabilities ? { Capabilities: stack.capabilities } : {}),
    // API_Stack.html RoleARN: the service role CloudFormation uses for the stack's operations (what driftguard's REVERT_DRIFT precondition reads).
    ...(stack.roleArn ? { RoleARN: stack.roleArn } : {}),
    ...(stack.outputs?.length
      ? {
          Outputs: stack.outputs.map((output) => ({
            OutputKey: output.key,
            OutputValue: output.value,
            ...(output.description !== undefined ? { Description: output.description } : {}),
            ...(output.exportName !== undefined ? { ExportName: output.exportName } : {}),
          })),
        }
      : {}),
    Tags: tagList(stack.tags),
    EnableTerminationProtection: false,
    ...lineage(stack),
    DriftInformation: driftInformation(stack),
  };
}

function stackSummary(stack: CfnStack): Record<string, unknown> {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ...(stack.description !== undefined ? { TemplateDescription: stack.description } : {}),
    CreationTime: stack.createdAt,
    ...(stack.lastUpdated ? { LastUpdatedTime: stack.lastUpdated } : {}),
    ...(stack.deletedAt ? { DeletionTime: stack.deletedAt } : {}),
    StackStatus: stack.status,
    ...(stack.statusReason ? { StackStatusReason: stack.statusReason } : {}),
    ...lineage(stack),
    DriftInformation: driftInformation(stack),
  };
}

function withToken<T extends object>(body: T, nextToken: string | undefined): T & { NextToken?: string } {
  return nextToken ? { ...body, NextToken: nextToken } : body;
}

export const stackHandlers: Record<string, ActionHandler> = {
  async CreateStack(params, ctx) {
    const env = envOf(ctx);
    const stack = await createStack(env, {
      stackName: requiredText(params.StackName, "stackName"),
      templateBody: requiredTemplateBody(env, params),
      parameters: list<ParameterInput>(params.Parameters),
      tags: tags(params.Tags),
      capabilities: list(params.Capabilities),
      roleArn: checkServiceRole(env, optionalText(params.RoleARN)),
    });
    return { StackId: stack.stackId };
  },

  /**
   * API_UpdateStack.html: the update runs within the call (update.ts); a stack that is not in a
   * state that can be updated, or an update that changes nothing, is a ValidationError.
   */
  async UpdateStack(params, ctx) {
    const env = envOf(ctx);
    const stack = findStack(env, requiredText(params.StackName, "stackName"));
    if (!UPDATABLE_STATUSES.has(stack.status)) throw notUpdatable(stack);
    const update = stackUpdateOf(env, stack, params);
    if (isNoOp(env, stack, update, planUpdate(env, stack, update))) throw validationError(NO_UPDATES);
    await executeUpdate(env, stack, update);
    return { StackId: stack.stackId };
  },

  async DeleteStack(params, ctx) {
    const env = envOf(ctx);
    // Deleting a stack that doesn't exist succeeds, as in CloudFormation.
    const stack = lookupStack(env, requiredText(params.StackName, "stackName"));
    if (stack && stack.status !== "DELETE_COMPLETE") await deleteStack(env, stack);
    return {};
  },

  DescribeStacks(params, ctx) {
    const env = envOf(ctx);
    const name = optionalText(params.StackName);
    const stacks = name ? [findStack(env, name)] : allStacks(env).filter((stack) => stack.status !== "DELETE_COMPLETE");
    const { page, nextToken } = paginate(stacks, optionalText(params.NextToken), PAGE_SIZE);
    return withToken({ Stacks: page.map(stackShape) }, nextToken);
  },

  ListStacks(params, ctx) {
    const filter = list(params.StackStatusFilter);
    const stacks = allStacks(envOf(ctx)).filter((stack) => filter.length === 0 || filter.includes(stack.status));
    const { page, nextToken } = paginate(stacks, optionalText(params.NextToken), PAGE_SIZE);
    return withToken({ StackSummaries: page.map(stackSummary) }, nextToken);
  },

  /** API_DescribeStackEvents.html: "in reverse chronological order", deleted stacks by their id. */
  DescribeStackEvents(params, ctx) {
    const stack = findStack(envOf(ctx), optionalText(params.StackName));
    const { page, nextToken } = paginate([...(stack.events ?? [])].reverse(), optionalText(params.NextToken), PAGE_SIZE);
    return withToken({ StackEvents: page }, nextToken);
  },

  /**
   * API_ValidateTemplate.html: a template that parses answers its parameters, description and
   * the capabilities its IAM resources need; a malformed one is a ValidationError.
   */
  ValidateTemplate(params, ctx) {
    const template = parseTemplate(requiredTemplateBody(envOf(ctx), params));
    const needed = neededCapability(template);
    const transforms = template.Transform === undefined ? [] : Array.isArray(template.Transform) ? template.Transform : [template.Transform];
    return {
      Parameters: Object.entries(template.Parameters ?? {}).map(([ParameterKey, declaration]) => ({
        ParameterKey,
        ...(declaration.Default !== undefined ? { DefaultValue: Array.isArray(declaration.Default) ? declaration.Default.join(",") : String(declaration.Default) } : {}),
        NoEcho: declaration.NoEcho === true || String(declaration.NoEcho) === "true",
        ...(declaration.Description !== undefined ? { Description: declaration.Description } : {}),
      })),
      ...(template.Description !== undefined ? { Description: template.Description } : {}),
      ...(needed
        ? { Capabilities: [needed.capability], CapabilitiesReason: `The following resource(s) require capabilities: [${needed.types.join(", ")}]` }
        : {}),
      ...(transforms.length > 0 ? { DeclaredTransforms: transforms } : {}),
    };
  },

  GetTemplate(params, ctx) {
    const stack = findStack(envOf(ctx), optionalText(params.StackName));
    return { TemplateBody: stack.templateBody, StagesAvailable: ["Original", "Processed"] };
  },
};
