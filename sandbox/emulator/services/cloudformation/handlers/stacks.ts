import type {
  ContinueUpdateRollbackCommandInput,
  ContinueUpdateRollbackCommandOutput,
  CreateStackCommandInput,
  CreateStackCommandOutput,
  DeleteStackCommandInput,
  DeleteStackCommandOutput,
  DescribeStackEventsCommandInput,
  DescribeStackEventsCommandOutput,
  DescribeStacksCommandInput,
  DescribeStacksCommandOutput,
  GetTemplateCommandInput,
  GetTemplateCommandOutput,
  ListStacksCommandInput,
  ListStacksCommandOutput,
  Stack,
  StackDriftInformation,
  StackEvent,
  StackSummary,
  UpdateStackCommandInput,
  UpdateStackCommandOutput,
  ValidateTemplateCommandInput,
  ValidateTemplateCommandOutput,
} from "@aws-sdk/client-cloudformation";
import type { ActionHandler, CallContext, SdkOutput } from "../../../protocol/types.js";
import type { CfnStack, CfnStackEvent } from "../../../state.js";
import { envOf } from "../env.js";
import { validationError } from "../errors.js";
import { createStack, deleteStack } from "../lifecycle.js";
import { paginate } from "../pagination.js";
import { checkServiceRole } from "../resources/on-behalf.js";
import { continueUpdateRollback, executeUpdate, isNoOp, NO_UPDATES, planUpdate } from "../update.js";
import { notUpdatable, UPDATABLE_STATUSES } from "../stacks.js";
import { requiredTemplateBody, stackUpdateOf } from "./template-input.js";
import { allStacks, findStack, lookupStack } from "../stacks.js";
import { neededCapability } from "../template/capabilities.js";
import type { ParameterInput } from "../template/parameters.js";
import { parseTemplate } from "../template/parse.js";
import { capabilityList, list, optionalText, parameterList, requiredText, tagList, tags } from "./params.js";

/**
 * The stack operations, typed with the SDK's own input and output shapes (STYLE #19). Timestamps
 * are Dates here; the query protocol's XML writer renders them as ISO 8601 (protocol/xml.ts).
 */

const PAGE_SIZE = 100;

function driftInformation(stack: CfnStack): StackDriftInformation {
  return {
    StackDriftStatus: stack.lastDrift?.status ?? "NOT_CHECKED",
    ...(stack.lastDrift ? { LastCheckTimestamp: new Date(stack.lastDrift.at) } : {}),
  };
}

function lineage(stack: CfnStack): Pick<Stack, "ParentId" | "RootId"> {
  return { ...(stack.parentId ? { ParentId: stack.parentId } : {}), ...(stack.rootId ? { RootId: stack.rootId } : {}) };
}

function stackShape(stack: CfnStack): Stack {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ...(stack.description !== undefined ? { Description: stack.description } : {}),
    Parameters: parameterList(stack.parameters),
    CreationTime: new Date(stack.createdAt),
    ...(stack.deletedAt ? { DeletionTime: new Date(stack.deletedAt) } : {}),
    ...(stack.lastUpdated ? { LastUpdatedTime: new Date(stack.lastUpdated) } : {}),
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

function stackSummary(stack: CfnStack): StackSummary {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ...(stack.description !== undefined ? { TemplateDescription: stack.description } : {}),
    CreationTime: new Date(stack.createdAt),
    ...(stack.lastUpdated ? { LastUpdatedTime: new Date(stack.lastUpdated) } : {}),
    ...(stack.deletedAt ? { DeletionTime: new Date(stack.deletedAt) } : {}),
    StackStatus: stack.status,
    ...(stack.statusReason ? { StackStatusReason: stack.statusReason } : {}),
    ...lineage(stack),
    DriftInformation: driftInformation(stack),
  };
}

/**
 * One DescribeStackEvents entry. The SDK types ResourceStatus with the resource statuses only, but
 * a stack's own events carry stack statuses CloudFormation writes as they are (REVIEW_IN_PROGRESS,
 * UPDATE_COMPLETE_CLEANUP_IN_PROGRESS … — API_StackEvent.html: "ResourceStatus: Current status of
 * the resource"; the SDK's enums are open, unknown values pass through), so the value is cast here.
 */
function stackEvent(event: CfnStackEvent): StackEvent {
  return { ...event, Timestamp: new Date(event.Timestamp), ResourceStatus: event.ResourceStatus as StackEvent["ResourceStatus"] };
}

function withToken<T extends object>(body: T, nextToken: string | undefined): T & { NextToken?: string } {
  return nextToken ? { ...body, NextToken: nextToken } : body;
}

export const stackHandlers: Record<string, ActionHandler> = {
  async CreateStack(params: CreateStackCommandInput, ctx: CallContext): Promise<SdkOutput<CreateStackCommandOutput>> {
    const env = envOf(ctx);
    const stack = await createStack(env, {
      stackName: requiredText(params.StackName, "stackName"),
      templateBody: requiredTemplateBody(env, params),
      parameters: list<ParameterInput>(params.Parameters),
      tags: tags(params.Tags),
      capabilities: capabilityList(params.Capabilities),
      roleArn: checkServiceRole(env, optionalText(params.RoleARN)),
    });
    return { StackId: stack.stackId };
  },

  /**
   * API_UpdateStack.html: the update runs within the call (update.ts); a stack that is not in a
   * state that can be updated, or an update that changes nothing, is a ValidationError.
   */
  async UpdateStack(params: UpdateStackCommandInput, ctx: CallContext): Promise<SdkOutput<UpdateStackCommandOutput>> {
    const env = envOf(ctx);
    const stack = await findStack(env, requiredText(params.StackName, "stackName"));
    if (!UPDATABLE_STATUSES.has(stack.status)) throw notUpdatable(stack);
    const update = stackUpdateOf(env, stack, params);
    if (isNoOp(env, stack, update, planUpdate(env, stack, update))) throw validationError(NO_UPDATES);
    await executeUpdate(env, stack, update);
    return { StackId: stack.stackId };
  },

  /** API_ContinueUpdateRollback.html: runs within the call, as UpdateStack does (update.ts continueUpdateRollback). */
  async ContinueUpdateRollback(params: ContinueUpdateRollbackCommandInput, ctx: CallContext): Promise<SdkOutput<ContinueUpdateRollbackCommandOutput>> {
    const env = envOf(ctx);
    const stack = await findStack(env, requiredText(params.StackName, "stackName"));
    const roleArn = checkServiceRole(env, optionalText(params.RoleARN));
    await continueUpdateRollback(env, stack, { resourcesToSkip: list<string>(params.ResourcesToSkip), ...(roleArn !== undefined ? { roleArn } : {}) });
    return {};
  },

  async DeleteStack(params: DeleteStackCommandInput, ctx: CallContext): Promise<SdkOutput<DeleteStackCommandOutput>> {
    const env = envOf(ctx);
    // Deleting a stack that doesn't exist succeeds, as in CloudFormation.
    const stack = await lookupStack(env, requiredText(params.StackName, "stackName"));
    if (stack && stack.status !== "DELETE_COMPLETE") await deleteStack(env, stack);
    return {};
  },

  async DescribeStacks(params: DescribeStacksCommandInput, ctx: CallContext): Promise<SdkOutput<DescribeStacksCommandOutput>> {
    const env = envOf(ctx);
    const name = optionalText(params.StackName);
    const stacks = name ? [await findStack(env, name)] : (await allStacks(env)).filter((stack) => stack.status !== "DELETE_COMPLETE");
    const { page, nextToken } = paginate(stacks, optionalText(params.NextToken), PAGE_SIZE);
    return withToken({ Stacks: page.map(stackShape) }, nextToken);
  },

  async ListStacks(params: ListStacksCommandInput, ctx: CallContext): Promise<SdkOutput<ListStacksCommandOutput>> {
    const filter: string[] = list(params.StackStatusFilter);
    const stacks = (await allStacks(envOf(ctx))).filter((stack) => filter.length === 0 || filter.includes(stack.status));
    const { page, nextToken } = paginate(stacks, optionalText(params.NextToken), PAGE_SIZE);
    return withToken({ StackSummaries: page.map(stackSummary) }, nextToken);
  },

  /** API_DescribeStackEvents.html: "in reverse chronological order", deleted stacks by their id. */
  async DescribeStackEvents(params: DescribeStackEventsCommandInput, ctx: CallContext): Promise<SdkOutput<DescribeStackEventsCommandOutput>> {
    const stack = await findStack(envOf(ctx), optionalText(params.StackName));
    const { page, nextToken } = paginate([...(stack.events ?? [])].reverse(), optionalText(params.NextToken), PAGE_SIZE);
    return withToken({ StackEvents: page.map(stackEvent) }, nextToken);
  },

  /**
   * API_ValidateTemplate.html: a template that parses answers its parameters, description and
   * the capabilities its IAM resources need; a malformed one is a ValidationError.
   */
  ValidateTemplate(params: ValidateTemplateCommandInput, ctx: CallContext): SdkOutput<ValidateTemplateCommandOutput> {
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

  async GetTemplate(params: GetTemplateCommandInput, ctx: CallContext): Promise<SdkOutput<GetTemplateCommandOutput>> {
    const stack = await findStack(envOf(ctx), optionalText(params.StackName));
    return { TemplateBody: stack.templateBody, StagesAvailable: ["Original", "Processed"] };
  },
};
