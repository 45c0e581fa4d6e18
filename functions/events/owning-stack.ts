import { DescribeStackResourcesCommand, DescribeStacksCommand, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { tagMap } from "../core/tags.js";
import { isErrorCode } from "../core/errors.js";
import type { AffectedResource } from "./resolve.js";

/** The stack that manages a resource, with what the remediation engine needs to know about it. */
export interface OwningStack {
  stackName: string;
  stackId: string;
  stackStatus?: string;
  tags: Record<string, string>;
  logicalId: string;
}

function isUnmanaged(error: unknown): boolean {
  // CloudFormation's answer for a physical id no stack owns: ValidationError "Stack for <id> does not exist".
  return isErrorCode(error, "ValidationError") && /does not exist/i.test((error as Error).message);
}

/**
 * Finds the stack in this account-region whose resource has the given physical id, or
 * undefined when none does. Asking CloudFormation is more reliable than the
 * aws:cloudformation:* tags, which not every resource type carries and anyone can edit.
 */
export async function findOwningStack(cfn: CloudFormationClient, resource: AffectedResource): Promise<OwningStack | undefined> {
  const { physicalId, resourceType } = resource;
  let resources;
  try {
    resources = (await cfn.send(new DescribeStackResourcesCommand({ PhysicalResourceId: physicalId }))).StackResources ?? [];
  } catch (error) {
    if (isUnmanaged(error)) return undefined;
    throw error;
  }
  // The answer lists every resource of the owning stack; pick ours. The type matters: a bucket
  // policy, say, may carry its bucket's name as physical id too.
  const own = resources.find((r) => r.PhysicalResourceId === physicalId && r.ResourceType === resourceType && r.ResourceStatus !== "DELETE_COMPLETE");
  if (!own?.StackName || !own.StackId || !own.LogicalResourceId) return undefined;

  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: own.StackId }))).Stacks?.[0];
  return { stackName: own.StackName, stackId: own.StackId, stackStatus: stack?.StackStatus, tags: tagMap(stack?.Tags), logicalId: own.LogicalResourceId };
}
