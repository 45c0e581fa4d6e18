/**
 * The CloudFormation stacks driftguard itself deploys into member accounts: the instances of its
 * StackSets (spoke.deployment: stackset). modules/names.ts names the stack sets from here, and the
 * scanner recognises their instances, so the two can never disagree.
 */
export const OWN_STACK_SETS = {
  spokeRole: "driftguard-spoke-role",
  forwarding: "driftguard-spoke-forwarding",
} as const;

/**
 * CloudFormation names a stack set's instance StackSet-<stack set name>-<uuid>
 * (AWS CloudFormation User Guide, "StackSets concepts": stack instances).
 */
export function stackSetInstancePrefix(stackSetName: string): string {
  return `StackSet-${stackSetName}-`;
}

/** The stack set a stack is an instance of, when it is one of driftguard's own; undefined otherwise. */
export function ownStackSetOf(stackName: string): string | undefined {
  return Object.values(OWN_STACK_SETS).find((name) => stackName.startsWith(stackSetInstancePrefix(name)) && /^[0-9a-f-]{36}$/.test(stackName.slice(stackSetInstancePrefix(name).length)));
}
