/**
 * CloudTrail management events driftguard can forward, grouped by the EventBridge `source` they
 * arrive with. The spoke forwarding rules are built from this table, so an event name in
 * accounts.yaml must appear here: otherwise no rule would ever match it.
 */
export const EVENT_CATALOG = {
  "aws.ec2": [
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "CreateVpc",
    "DeleteVpc",
    "ModifyVpcAttribute",
    "CreateSubnet",
    "DeleteSubnet",
    "ModifySubnetAttribute",
    "CreateRoute",
    "DeleteRoute",
    "ReplaceRoute",
    "CreateNetworkAclEntry",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "RunInstances",
    "TerminateInstances",
    "ModifyInstanceAttribute",
    "CreateTags",
    "DeleteTags",
  ],
  "aws.iam": [
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "UpdateRoleDescription",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "TagRole",
    "UntagRole",
    "CreatePolicyVersion",
    "SetDefaultPolicyVersion",
    "DeletePolicyVersion",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "PutUserPolicy",
    "DeleteUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "PutGroupPolicy",
    "DeleteGroupPolicy",
    "CreateAccessKey",
  ],
  "aws.s3": [
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketVersioning",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "PutBucketLogging",
    "PutBucketLifecycle",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "PutBucketTagging",
    "DeleteBucketTagging",
  ],
} as const satisfies Record<string, readonly string[]>;

/** The EventBridge detail-type of every CloudTrail management event. */
export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

export type EventSource = keyof typeof EVENT_CATALOG;
export const EVENT_SOURCES = Object.keys(EVENT_CATALOG) as EventSource[];
export const KNOWN_EVENT_NAMES: readonly string[] = Object.values(EVENT_CATALOG).flat();

/** Sources whose events CloudTrail delivers only in the partition's global-service region. */
export const GLOBAL_EVENT_SOURCES: ReadonlySet<EventSource> = new Set(["aws.iam"]);

const sourceByName = new Map<string, EventSource>(
  EVENT_SOURCES.flatMap((source) => EVENT_CATALOG[source].map((name) => [name, source] as const)),
);

export const eventSourceOf = (eventName: string): EventSource | undefined => sourceByName.get(eventName);

/** Groups configured event names by source, keeping the catalog's source order. */
export function eventNamesBySource(eventNames: readonly string[]): Map<EventSource, string[]> {
  const grouped = new Map<EventSource, string[]>();
  for (const source of EVENT_SOURCES) {
    const names = eventNames.filter((n) => sourceByName.get(n) === source);
    if (names.length > 0) grouped.set(source, names);
  }
  return grouped;
}
