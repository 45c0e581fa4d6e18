import { STACK_OPERATION_NAMES } from "../config/events.js";
import type { ParsedChange } from "./parse.js";

/**
 * Stack operations (the catalogue's `stackOperation` entries: CreateStack, UpdateStack,
 * ExecuteChangeSet, …) name no resource to repair; they may change which attachments own what
 * in their account-region, so the event path drops its ownership cache there
 * (remediation/ownership/cache.ts). They are acted on before any screening: CloudFormation's own
 * calls (a nested stack's CreateStack is invoked by cloudformation.amazonaws.com) and driftguard's
 * own change sets change ownership as much as anyone's. The cache does not rely on them for
 * safety — every use re-reads DescribeStacks — they only make it forget sooner.
 */

const STACK_OPERATIONS: ReadonlySet<string> = new Set(STACK_OPERATION_NAMES);

export function isStackOperation(eventName: string): boolean {
  return STACK_OPERATIONS.has(eventName);
}

/** Where the operation ran: CloudFormation is regional, the event's awsRegion is the stack's. */
export function stackOperationScope(change: ParsedChange): { accountId: string; region: string } {
  return { accountId: change.account, region: change.detail.awsRegion };
}
