import type { CfnStack, CfnStackResource, World } from "../../state.js";
import { regionOf } from "../../state.js";
import { settleDetections } from "./drift/detections.js";
import { stacksOf, type CfnEnv } from "./env.js";
import { stackNotFound, validationError } from "./errors.js";

/**
 * Every stack of the account-region, with due drift detections completed first so that any read
 * sees them: the one place time advances for CloudFormation. Asynchronous because a detection's
 * reads are IAM-evaluated as they complete (drift/detections.ts).
 */
export async function allStacks(env: CfnEnv): Promise<CfnStack[]> {
  const stacks = stacksOf(env);
  for (const stack of stacks) await settleDetections(env, stack);
  return stacks;
}

/** The statuses a stack can be updated from (UpdateStack, CreateChangeSet): API_UpdateStack.html's errors. */
export const UPDATABLE_STATUSES: ReadonlySet<string> = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"]);

export function notUpdatable(stack: CfnStack): Error {
  return validationError(`Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
}

/** A stack by name (running stacks only) or by stack id (deleted ones too), as CloudFormation resolves StackName. */
export async function lookupStack(env: CfnEnv, nameOrId: string): Promise<CfnStack | undefined> {
  const stack = stacksOf(env).find((candidate) =>
    nameOrId.startsWith("arn:") ? candidate.stackId === nameOrId : candidate.stackName === nameOrId && candidate.status !== "DELETE_COMPLETE",
  );
  if (stack) await settleDetections(env, stack);
  return stack;
}

export async function findStack(env: CfnEnv, nameOrId: string | undefined): Promise<CfnStack> {
  if (!nameOrId) throw validationError("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null");
  const stack = await lookupStack(env, nameOrId);
  if (!stack) throw stackNotFound(nameOrId);
  return stack;
}

export function findResource(stack: CfnStack, logicalId: string | undefined): CfnStackResource {
  const resource = stack.resources.find((candidate) => candidate.logicalId === logicalId);
  if (!resource) throw validationError(`Resource ${logicalId} does not exist for stack ${stack.stackName}`);
  return resource;
}

/** The running stack that owns a physical resource id, as DescribeStackResources resolves PhysicalResourceId. */
export async function findStackByPhysicalId(env: CfnEnv, physicalId: string): Promise<CfnStack> {
  const stack = stacksOf(env).find(
    (candidate) =>
      candidate.status !== "DELETE_COMPLETE" &&
      candidate.resources.some((resource) => resource.physicalId === physicalId && resource.status !== "DELETE_COMPLETE"),
  );
  if (!stack) throw validationError(`Stack for ${physicalId} does not exist`);
  await settleDetections(env, stack);
  return stack;
}

/**
 * For scenario files and tests: the physical id of `<stackName>/<logicalId>` in an account-region
 * (what `${physical:<stack>/<LogicalId>}` expands to). Undefined when there is no such resource.
 */
export function physicalIdOf(world: World, accountId: string, region: string, stackName: string, logicalId: string): string | undefined {
  const account = world.accounts.get(accountId);
  if (!account) return undefined;
  const stack = regionOf(account, region).stacks.find(
    (candidate) => candidate.stackName === stackName && candidate.status !== "DELETE_COMPLETE",
  );
  return stack?.resources.find((resource) => resource.logicalId === logicalId && resource.status !== "DELETE_COMPLETE")?.physicalId;
}
