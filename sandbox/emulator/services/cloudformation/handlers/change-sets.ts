import type {
  Change,
  ChangeSetSummary,
  CreateChangeSetCommandInput,
  CreateChangeSetCommandOutput,
  DeleteChangeSetCommandInput,
  DeleteChangeSetCommandOutput,
  DescribeChangeSetCommandInput,
  DescribeChangeSetCommandOutput,
  ExecuteChangeSetCommandInput,
  ExecuteChangeSetCommandOutput,
  ListChangeSetsCommandInput,
  ListChangeSetsCommandOutput,
} from "@aws-sdk/client-cloudformation";
import { AwsError, type ActionHandler, type CallContext, type SdkOutput } from "../../../protocol/types.js";
import type { CfnChangeSet, CfnStack } from "../../../state.js";
import { executeImport, planImport } from "../change-sets/import.js";
import { executeRevertDrift, planRevertDrift } from "../change-sets/revert-drift.js";
import { recordEvent } from "../events.js";
import { envOf, isoNow, type CfnEnv } from "../env.js";
import { changeSetNotFound, validationError } from "../errors.js";
import { changeSetArn, stackArn } from "../../shared/ids.js";
import { paginate } from "../pagination.js";
import { allStacks, findStack, lookupStack, notUpdatable, UPDATABLE_STATUSES } from "../stacks.js";
import { executeCreate } from "../lifecycle.js";
import { changeSetChanges, executeUpdate, isNoOp, planUpdate, type StackUpdate } from "../update.js";
import { requiredTemplateBody, stackUpdateOf } from "./template-input.js";
import { requireCapabilities } from "../template/capabilities.js";
import { bindParameters, type ParameterInput } from "../template/parameters.js";
import { parseTemplate } from "../template/parse.js";
import { capabilityList, flag, list, optionalText, parameterList, requiredText, tagList } from "./params.js";

const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";
const CHANGE_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const PAGE_SIZE = 100;

/**
 * Creation is asynchronous (API_CreateChangeSet.html: "After the call successfully completes,
 * AWS CloudFormation starts creating the change set. To check the status of the change set, use
 * DescribeChangeSet"): CREATE_PENDING, CREATE_IN_PROGRESS from halfway through, then
 * CREATE_COMPLETE or FAILED after a uniformly random time in `latency.changeSetMs`. The changes
 * are computed from the live state when the change set is first observed after that time, with the
 * permissions of the stack's service role or of CreateChangeSet's caller (its reads are authorized:
 * an import's lookups, a drift-aware change set's live reads), so a denied read FAILS the change set
 * with the resource handler's message.
 */
const settling = new WeakMap<CfnChangeSet, Promise<void>>();

async function settle(env: CfnEnv, stack: CfnStack, changeSet: CfnChangeSet): Promise<void> {
  if (changeSet.status !== "CREATE_PENDING" && changeSet.status !== "CREATE_IN_PROGRESS") return;
  const now = env.sandbox.now();
  if (now < (changeSet.completesAt ?? 0)) {
    if (now >= (changeSet.inProgressAt ?? 0)) changeSet.status = "CREATE_IN_PROGRESS";
    return;
  }
  let done = settling.get(changeSet);
  if (!done) {
    done = compute({ ...env, caller: changeSet.caller ?? env.caller }, stack, changeSet).finally(() => settling.delete(changeSet));
    settling.set(changeSet, done);
  }
  await done;
}

async function compute(env: CfnEnv, stack: CfnStack, changeSet: CfnChangeSet): Promise<void> {
  let changes: Change[];
  let noOp: boolean;
  try {
    if (changeSet.type === "IMPORT" || changeSet.deploymentMode === "REVERT_DRIFT") {
      changes = changeSet.type === "IMPORT" ? await planImport(env, stack, changeSet) : await planRevertDrift(env, stack);
      noOp = changes.length === 0;
    } else {
      const update = updateOf(changeSet);
      const planned = planUpdate(env, stack, update);
      changes = changeSetChanges(planned);
      noOp = changeSet.type !== "CREATE" && isNoOp(env, stack, update, planned);
    }
  } catch (error) {
    Object.assign(changeSet, { status: "FAILED", executionStatus: "UNAVAILABLE", statusReason: (error as Error).message, changes: [] });
    return;
  }
  changeSet.changes = changes;
  if (!noOp) Object.assign(changeSet, { status: "CREATE_COMPLETE", executionStatus: "AVAILABLE" });
  else Object.assign(changeSet, { status: "FAILED", executionStatus: "UNAVAILABLE", statusReason: NO_CHANGES });
}

/** What an UPDATE or CREATE change set applies, as stored when it was created. */
function updateOf(changeSet: CfnChangeSet): StackUpdate {
  return {
    template: parseTemplate(changeSet.templateBody!),
    templateBody: changeSet.templateBody!,
    parameters: changeSet.parameters ?? {},
    ...(changeSet.tags !== undefined ? { tags: changeSet.tags } : {}),
    capabilities: changeSet.capabilities ?? [],
    ...(changeSet.roleArn !== undefined ? { roleArn: changeSet.roleArn } : {}),
  };
}

async function findChangeSet(env: CfnEnv, nameOrArn: string, stackName: string | undefined): Promise<{ stack: CfnStack; changeSet: CfnChangeSet }> {
  const found = await (async (): Promise<{ stack: CfnStack; changeSet: CfnChangeSet }> => {
    if (nameOrArn.startsWith("arn:")) {
      for (const stack of await allStacks(env)) {
        const changeSet = stack.changeSets.find((candidate) => candidate.id === nameOrArn);
        if (changeSet) return { stack, changeSet };
      }
      throw changeSetNotFound(nameOrArn);
    }
    if (!stackName) throw validationError("StackName must be specified if ChangeSetName is not specified as an ARN.");
    const stack = await findStack(env, stackName);
    const changeSet = stack.changeSets.find((candidate) => candidate.name === nameOrArn);
    if (!changeSet) throw changeSetNotFound(nameOrArn);
    return { stack, changeSet };
  })();
  await settle(env, found.stack, found.changeSet);
  return found;
}

/** The time a change set takes to compute; the seeded random source is drawn only for a real range. */
function creationDelay(env: CfnEnv): number {
  const [shortest, longest] = env.sandbox.latency.changeSetMs ?? [0, 0];
  return longest > shortest ? shortest + env.sandbox.random() * (longest - shortest) : shortest;
}

/**
 * An IMPORT or CREATE change set's stack: the named one (IMPORT), or a new stack in
 * REVIEW_IN_PROGRESS (resource-import-new-stack.html, API_CreateChangeSet.html: "To create a
 * change set for a stack that doesn't exist, for the ChangeSetType parameter, specify CREATE";
 * the stack is REVIEW_IN_PROGRESS until the change set is executed).
 */
async function reviewTarget(env: CfnEnv, stackName: string, templateBody: string, type: "IMPORT" | "CREATE"): Promise<CfnStack> {
  const existing = await lookupStack(env, stackName);
  if (existing && (type === "IMPORT" || existing.status !== "REVIEW_IN_PROGRESS")) {
    if (type === "CREATE") throw new AwsError("AlreadyExistsException", `Stack [${stackName}] already exists`);
    return existing;
  }
  if (existing) return existing;
  const template = parseTemplate(templateBody);
  const stack: CfnStack = {
    stackId: stackArn(env.sandbox.random, env.region, env.account.id, stackName),
    stackName,
    status: "REVIEW_IN_PROGRESS",
    templateBody,
    parameters: {},
    tags: {},
    createdAt: isoNow(env),
    ...(template.Description !== undefined ? { description: template.Description } : {}),
    resources: [],
    detections: [],
    changeSets: [],
  };
  env.account.regions.get(env.region)!.stacks.push(stack);
  recordEvent(env, stack, { status: "REVIEW_IN_PROGRESS", reason: "User Initiated" });
  return stack;
}

/** Without IncludePropertyValues, DescribeChangeSet leaves out the before/after values and contexts. */
function withoutPropertyValues(change: Change): Change {
  if (!change.ResourceChange) return change;
  const { BeforeContext: _before, AfterContext: _after, PreviousDeploymentContext: _previous, ...rest } = change.ResourceChange;
  const details = (rest.Details ?? []).map((entry) => {
    if (!entry.Target) return entry;
    const { BeforeValue: _b, AfterValue: _a, Drift: _d, ...target } = entry.Target;
    return { ...entry, Target: target };
  });
  return { ...change, ResourceChange: { ...rest, Details: details } };
}

function summary(stack: CfnStack, changeSet: CfnChangeSet): ChangeSetSummary {
  return {
    StackId: stack.stackId,
    StackName: stack.stackName,
    ChangeSetId: changeSet.id,
    ChangeSetName: changeSet.name,
    ExecutionStatus: changeSet.executionStatus,
    Status: changeSet.status,
    ...(changeSet.statusReason ? { StatusReason: changeSet.statusReason } : {}),
    CreationTime: new Date(changeSet.createdAt),
    ...(changeSet.description !== undefined ? { Description: changeSet.description } : {}),
    IncludeNestedStacks: false,
  };
}

/**
 * Change sets on the stack's current template. A REVERT_DRIFT (drift-aware) change set holds one
 * change per drifted resource; a standard one on an unchanged template has no changes and FAILS,
 * as in CloudFormation; an IMPORT one adopts existing resources (change-sets/import.ts).
 * Creation is asynchronous (settle above); execution completes within the call.
 */
export const changeSetHandlers: Record<string, ActionHandler> = {
  async CreateChangeSet(params: CreateChangeSetCommandInput, ctx: CallContext): Promise<SdkOutput<CreateChangeSetCommandOutput>> {
    const env = envOf(ctx);
    const name = requiredText(params.ChangeSetName, "changeSetName");
    if (!CHANGE_SET_NAME.test(name)) {
      throw validationError(
        `1 validation error detected: Value '${name}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
    const type = optionalText(params.ChangeSetType) ?? "UPDATE";
    if (type !== "UPDATE" && type !== "IMPORT" && type !== "CREATE") {
      throw validationError(`1 validation error detected: Value '${type}' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [UPDATE, IMPORT, CREATE]`);
    }
    const stackName = requiredText(params.StackName, "stackName");
    let stack: CfnStack;
    let applies: Pick<CfnChangeSet, "templateBody" | "resourcesToImport" | "parameters" | "capabilities" | "tags" | "roleArn"> = {};
    if (type === "IMPORT") {
      const body = requiredTemplateBody(env, params);
      const resourcesToImport = list<NonNullable<CfnChangeSet["resourcesToImport"]>[number]>(params.ResourcesToImport);
      if (resourcesToImport.length === 0) throw validationError("ResourcesToImport must be specified for a change set of type IMPORT");
      const template = parseTemplate(body);
      requireCapabilities(template, capabilityList(params.Capabilities));
      stack = await reviewTarget(env, stackName, body, "IMPORT");
      if (stack.status !== "REVIEW_IN_PROGRESS") bindParameters(template, list<ParameterInput>(params.Parameters), stack.parameters);
      else stack.parameters = bindParameters(template, list<ParameterInput>(params.Parameters));
      applies = { templateBody: body, resourcesToImport };
    } else if (type === "CREATE") {
      const body = requiredTemplateBody(env, params);
      stack = await reviewTarget(env, stackName, body, "CREATE");
      const update = stackUpdateOf(env, stack, params);
      applies = { templateBody: update.templateBody, parameters: update.parameters, capabilities: update.capabilities, tags: update.tags ?? {}, ...(update.roleArn ? { roleArn: update.roleArn } : {}) };
    } else {
      stack = await findStack(env, stackName);
      if (optionalText(params.DeploymentMode) === "REVERT_DRIFT") {
        // A drift-aware change set reverts to the stack's current template and parameters.
        const update = stackUpdateOf(env, stack, params);
        if (update.templateBody !== stack.templateBody || JSON.stringify(update.parameters) !== JSON.stringify(stack.parameters)) {
          throw validationError("The sandbox emulates REVERT_DRIFT change sets on the stack's current template and parameters only: pass UsePreviousTemplate=true and UsePreviousValue=true");
        }
      } else {
        const update = stackUpdateOf(env, stack, params);
        applies = { templateBody: update.templateBody, parameters: update.parameters, capabilities: update.capabilities, ...(update.tags ? { tags: update.tags } : {}), ...(update.roleArn ? { roleArn: update.roleArn } : {}) };
      }
    }
    if (!UPDATABLE_STATUSES.has(stack.status) && !(type !== "UPDATE" && stack.status === "REVIEW_IN_PROGRESS")) throw notUpdatable(stack);
    if (stack.changeSets.some((changeSet) => changeSet.name === name)) {
      throw new AwsError("AlreadyExistsException", `ChangeSet ${name} already exists`);
    }
    const deploymentMode = optionalText(params.DeploymentMode);
    if (deploymentMode !== undefined && (deploymentMode !== "REVERT_DRIFT" || type !== "UPDATE")) {
      throw validationError(`Invalid DeploymentMode ${deploymentMode}`);
    }
    const delay = creationDelay(env);
    const changeSet: CfnChangeSet = {
      id: changeSetArn(env.sandbox.random, env.region, env.account.id, name),
      name,
      stackId: stack.stackId,
      type,
      ...applies,
      ...(deploymentMode ? { deploymentMode: "REVERT_DRIFT" as const } : {}),
      status: "CREATE_PENDING",
      executionStatus: "UNAVAILABLE",
      changes: [],
      createdAt: isoNow(env),
      inProgressAt: env.sandbox.now() + delay / 2,
      completesAt: env.sandbox.now() + delay,
      ...(optionalText(params.Description) !== undefined ? { description: optionalText(params.Description) } : {}),
      ...(env.caller ? { caller: env.caller } : {}),
    };
    stack.changeSets.push(changeSet);
    return { Id: changeSet.id, StackId: stack.stackId };
  },

  async DescribeChangeSet(params: DescribeChangeSetCommandInput, ctx: CallContext): Promise<SdkOutput<DescribeChangeSetCommandOutput>> {
    const env = envOf(ctx);
    const { stack, changeSet } = await findChangeSet(env, requiredText(params.ChangeSetName, "changeSetName"), optionalText(params.StackName));
    const changes = flag(params.IncludePropertyValues) ? changeSet.changes : changeSet.changes.map(withoutPropertyValues);
    const { page, nextToken } = paginate(changes, optionalText(params.NextToken), PAGE_SIZE);
    return {
      ChangeSetName: changeSet.name,
      ChangeSetId: changeSet.id,
      StackId: stack.stackId,
      StackName: stack.stackName,
      ...(changeSet.description !== undefined ? { Description: changeSet.description } : {}),
      Parameters: parameterList(changeSet.parameters ?? stack.parameters),
      CreationTime: new Date(changeSet.createdAt),
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

  async ExecuteChangeSet(params: ExecuteChangeSetCommandInput, ctx: CallContext): Promise<SdkOutput<ExecuteChangeSetCommandOutput>> {
    const env = envOf(ctx);
    const { stack, changeSet } = await findChangeSet(env, requiredText(params.ChangeSetName, "changeSetName"), optionalText(params.StackName));
    if (changeSet.executionStatus !== "AVAILABLE") {
      throw new AwsError(
        "InvalidChangeSetStatus",
        `ChangeSet [${changeSet.id}] cannot be executed in its current execution status of [${changeSet.executionStatus}]`,
      );
    }
    changeSet.executionStatus = "EXECUTE_IN_PROGRESS";
    if (changeSet.type === "IMPORT") await executeImport(env, stack, changeSet);
    else if (changeSet.deploymentMode === "REVERT_DRIFT") await executeRevertDrift(env, stack, changeSet);
    else if (changeSet.type === "CREATE") await executeCreate(env, stack, updateOf(changeSet));
    else await executeUpdate(env, stack, updateOf(changeSet));
    if (changeSet.executionStatus === "EXECUTE_IN_PROGRESS") changeSet.executionStatus = "EXECUTE_COMPLETE";
    // Executing a change set removes the stack's other change sets.
    stack.changeSets = [changeSet];
    return {};
  },

  async DeleteChangeSet(params: DeleteChangeSetCommandInput, ctx: CallContext): Promise<SdkOutput<DeleteChangeSetCommandOutput>> {
    const env = envOf(ctx);
    const { stack, changeSet } = await findChangeSet(env, requiredText(params.ChangeSetName, "changeSetName"), optionalText(params.StackName));
    stack.changeSets = stack.changeSets.filter((candidate) => candidate !== changeSet);
    return {};
  },

  async ListChangeSets(params: ListChangeSetsCommandInput, ctx: CallContext): Promise<SdkOutput<ListChangeSetsCommandOutput>> {
    const env = envOf(ctx);
    const stack = await findStack(env, requiredText(params.StackName, "stackName"));
    for (const changeSet of stack.changeSets) await settle(env, stack, changeSet);
    const { page, nextToken } = paginate(stack.changeSets, optionalText(params.NextToken), PAGE_SIZE);
    return { Summaries: page.map((changeSet) => summary(stack, changeSet)), ...(nextToken ? { NextToken: nextToken } : {}) };
  },
};
