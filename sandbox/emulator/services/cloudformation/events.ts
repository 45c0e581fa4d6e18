import type { StackStatus } from "@aws-sdk/client-cloudformation";
import type { CfnStack, CfnStackEvent } from "../../state.js";
import { createHash } from "node:crypto";
import { isoNow, type CfnEnv } from "./env.js";

/**
 * Stack events as CloudFormation writes them while it works (API_DescribeStackEvents.html,
 * API_StackEvent.html): the stack's own events carry the stack name as LogicalResourceId, the
 * stack id as PhysicalResourceId and type AWS::CloudFormation::Stack; a stack operation starts
 * with "User Initiated".
 */
export function recordEvent(
  env: CfnEnv,
  stack: CfnStack,
  event: { logicalId?: string; physicalId?: string; type?: string; status: string; reason?: string },
): void {
  const own = event.logicalId === undefined;
  // Derived, not drawn from the seeded random source, so recording events moves no other id.
  const digest = createHash("sha256").update(`${stack.stackId}#${stack.events?.length ?? 0}`).digest("hex");
  const id = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  const entry: CfnStackEvent = {
    StackId: stack.stackId,
    EventId: own ? id : `${event.logicalId}-${id}`,
    StackName: stack.stackName,
    LogicalResourceId: event.logicalId ?? stack.stackName,
    ...(own ? { PhysicalResourceId: stack.stackId } : event.physicalId !== undefined ? { PhysicalResourceId: event.physicalId } : {}),
    ResourceType: event.type ?? "AWS::CloudFormation::Stack",
    Timestamp: isoNow(env),
    ResourceStatus: event.status,
    ...(event.reason !== undefined ? { ResourceStatusReason: event.reason } : {}),
  };
  (stack.events ??= []).push(entry);
}

/** A stack status change, with its event. */
export function setStackStatus(env: CfnEnv, stack: CfnStack, status: StackStatus, reason?: string): void {
  stack.status = status;
  recordEvent(env, stack, { status, ...(reason !== undefined ? { reason } : {}) });
}
