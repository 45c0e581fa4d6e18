import { AwsError, type ActionHandler } from "../../protocol/types.js";
import type { CfnChangeSet, CfnStack } from "../../state.js";
import { executeRevertDrift, planRevertDrift } from "../change-sets/revert-drift.js";
import { envOf, isoNow, type CfnEnv } from "../env.js";
import { changeSetNotFound, validationError } from "../errors.js";
import { changeSetArn } from "../../services/ids.js";
import { paginate } from "../pagination.js";
import { allStacks, findStack } from "../stacks.js";
import { requireCapabilities } from "../template/capabilities.js";
import { bindParameters, type ParameterInput } from "../template/parameters.js";
import { parseTemplate } from "../template/parse.js";
import { flag, list, optionalText, parameterList, requiredText, tagList } from "./params.js";

const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";
const UPDATABLE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"]);
const CHANGE_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const PAGE_SIZE = 100;

function findChangeSet(env: CfnEnv, nameOrArn: string, stackName: string | undefined): { stack: CfnStack; changeSet: CfnChangeSet } {
  if (nameOrArn.startsWith("arn:")) {
    for (const stack of allStacks(env)) {
      const changeSet = stack.changeSets.find((candidate) => candidate.id === nameOrArn);
      if (changeSet) return { stack, changeSet };
    }
    throw changeSetNotFound(nameOrArn);
  }
  if (!stackName) throw validationError("StackName must be specified if ChangeSetName is not specified as an ARN.");
  const stack = findStack(env, stackName);
  const changeSet = stack.changeSets.find((candidate) => candidate.name === nameOrArn);
  if (!changeSet) throw changeSetNotFound(nameOrArn);
  return { stack, changeSet };
}

/** Without IncludePropertyValues, DescribeChangeSet leaves out the before/after values and contexts. */
function withoutPropertyValues(change: unknown): unknown {
  const { ResourceChange } = change as { ResourceChange: Record<string, unknown> };
  const { BeforeContext: _before, AfterContext: _after, PreviousDeploymentContext: _previous, ...rest } = ResourceChange;
  const details = (rest.Details as { Target: Record<string, unknown> }[]).map((entry) => {
    const { BeforeValue: _b, AfterValue: _a, Drift: _d, ...target } = entry.Target;
    return { ...entry, Target: target };
  });
  return { ...(change as object), ResourceChange: { ...rest, Details: details } };
}

function summary(stack: CfnStack, changeSet: CfnChangeSet): Record<string, unknown> {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ChangeSetId: changeSet.id,
    ChangeSetName: changeSet.name,
    ExecutionStatus: changeSet.executionStatus,
    Status: changeSet.status,
    ...(changeSet.statusReason ? { StatusReason: changeSet.statusReason } : {}),
    CreationTime: changeSet.createdAt,
    ...(changeSet.description !== undefined ? { Description: changeSet.description } : {}),
    IncludeNestedStacks: false,
  };
}

/**
 * Change sets on the stack's current template. A REVERT_DRIFT (drift-aware) change set holds one
 * change per drifted resource; a standard one on an unchanged template has no changes and FAILS,
 * as in CloudFormation. Creation and execution complete within the call.
 */
export const changeSetHandlers: Record<string, ActionHandler> = {
  CreateChangeSet(params, ctx) {
    const env = envOf(ctx);
    const name = requiredText(params.ChangeSetName, "changeSetName");
    if (!CHANGE_SET_NAME.test(name)) {
      throw validationError(
        `1 validation error detected: Value '${name}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
    const type = optionalText(params.ChangeSetType) ?? "UPDATE";
    if (type !== "UPDATE") throw validationError(`ChangeSetType ${type} is not emulated by the sandbox; only UPDATE change sets are`);
    const stack = findStack(env, requiredText(params.StackName, "stackName"));
    const templateBody = optionalText(params.TemplateBody);
    if (!flag(params.UsePreviousTemplate) && templateBody !== stack.templateBody) {
      throw validationError("The sandbox emulates change sets on the stack's current template only: pass UsePreviousTemplate=true");
    }
    const template = parseTemplate(stack.templateBody);
    requireCapabilities(template, list(params.Capabilities));
    const parameters = bindParameters(template, list<ParameterInput>(params.Parameters), stack.parameters);
    if (JSON.stringify(parameters) !== JSON.stringify(stack.parameters)) {
      throw validationError("The sandbox emulates change sets on the stack's current parameter values only: pass UsePreviousValue=true for each");
    }
    if (!UPDATABLE.has(stack.status)) {
      throw validationError(`Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
    }
    if (stack.changeSets.some((changeSet) => changeSet.name === name)) {
      throw new AwsError("AlreadyExistsException", `ChangeSet ${name} already exists`);
    }
    const deploymentMode = optionalText(params.DeploymentMode);
    if (deploymentMode !== undefined && deploymentMode !== "REVERT_DRIFT") {
      throw validationError(`Invalid DeploymentMode ${deploymentMode}`);
    }
    const changes = deploymentMode === "REVERT_DRIFT" ? planRevertDrift(env, stack) : [];
    const changeSet: CfnChangeSet = {
      id: changeSetArn(env.sandbox.random, env.region, env.account.id, name),
      name,
      stackId: stack.stackId,
      ...(deploymentMode ? { deploymentMode: "REVERT_DRIFT" as const } : {}),
      status: changes.length > 0 ? "CREATE_COMPLETE" : "FAILED",
      executionStatus: changes.length > 0 ? "AVAILABLE" : "UNAVAILABLE",
      ...(changes.length > 0 ? {} : { statusReason: NO_CHANGES }),
      changes,
      createdAt: isoNow(env),
      ...(optionalText(params.Description) !== undefined ? { description: optionalText(params.Description) } : {}),
    };
    stack.changeSets.push(changeSet);
    return { Id: changeSet.id, StackId: stack.stackId };
  },

  DescribeChangeSet(params, ctx) {
    const env = envOf(ctx);
    const { stack, changeSet } = findChangeSet(env, requiredText(params.ChangeSetName, "changeSetName"), optionalText(params.StackName));
    const changes = flag(params.IncludePropertyValues) ? changeSet.changes : changeSet.changes.map(withoutPropertyValues);
    const { page, nextToken } = paginate(changes, optionalText(params.NextToken), PAGE_SIZE);
    return {
      ChangeSetName: changeSet.name,
      ChangeSetId: changeSet.id,
      StackId: stack.stackId,
      StackName: stack.stackName,
      ...(changeSet.description !== undefined ? { Description: changeSet.description } : {}),
      Parameters: parameterList(stack.parameters),
      CreationTime: changeSet.createdAt,
      ExecutionStatus: changeSet.executionStatus,
      Status: changeSet.status,
      ...(changeSet.statusReason ? { StatusReason: changeSet.statusReason } : {}),
      ...(changeSet.deploymentMode ? { StackDriftStatus: changeSet.changes.length > 0 ? "DRIFTED" : "IN_SYNC" } : {}),
      NotificationARNs: [],
      ...(stack.capabilities ? { Capabilities: stack.capabilities } : {}),
      Tags: tagList(stack.tags),
      Changes: page,
      ...(nextToken ? { NextToken: nextToken } : {}),
      IncludeNestedStacks: false,
      ...(changeSet.deploymentMode ? { DeploymentMode: changeSet.deploymentMode } : {}),
    };
  },

  ExecuteChangeSet(params, ctx) {
    const env = envOf(ctx);
    const { stack, changeSet } = findChangeSet(env, requiredText(params.ChangeSetName, "changeSetName"), optionalText(params.StackName));
    if (changeSet.executionStatus !== "AVAILABLE") {
      throw new AwsError(
        "InvalidChangeSetStatus",
        `ChangeSet [${changeSet.id}] cannot be executed in its current execution status of [${changeSet.executionStatus}]`,
      );
    }
    executeRevertDrift(env, stack, changeSet);
    changeSet.executionStatus = "EXECUTE_COMPLETE";
    // Executing a change set removes the stack's other change sets.
    stack.changeSets = [changeSet];
    return {};
  },

  DeleteChangeSet(params, ctx) {
    const env = envOf(ctx);
    const { stack, changeSet } = findChangeSet(env, requiredText(params.ChangeSetName, "changeSetName"), optionalText(params.StackName));
    stack.changeSets = stack.changeSets.filter((candidate) => candidate !== changeSet);
    return {};
  },

  ListChangeSets(params, ctx) {
    const stack = findStack(envOf(ctx), requiredText(params.StackName, "stackName"));
    const { page, nextToken } = paginate(stack.changeSets, optionalText(params.NextToken), PAGE_SIZE);
    return { Summaries: page.map((changeSet) => summary(stack, changeSet)), ...(nextToken ? { NextToken: nextToken } : {}) };
  },
};
