/**
 * The event catalogue: every CloudTrail management event driftguard can forward, the EventBridge
 * `source` it arrives with, and the resolver (events/resolve.ts) that names the resource it
 * changed. It is the one table of events: the names accounts.yaml accepts, the names forwarded by
 * default, the spoke rules' sources and events/resolve.ts's resolver table are all derived from
 * it, so they cannot disagree.
 *
 * An event with a resolver, or a stack operation, is forwarded by default. A resolved resource goes to stack repair when
 * a stack owns it and to a guardrail otherwise; a guardrail can only claim a resolved event (its
 * `eventNames` are typed ResolvedEventName), so leaving any resolved event out of the default list
 * would make that repair wait for the next scheduled scan, as ModifySecurityGroupRules once did.
 * A stack operation names nothing to repair: it refreshes what the event path knows of attachments.
 */

/** How events/resolve.ts finds the changed resource; each kind is one resolver there. */
export const RESOLVER_KINDS = [
  /** groupId in the request, else the group of the rules created, else groupName (default VPC). */
  "securityGroup",
  /** ModifySecurityGroupRulesRequest.GroupId. */
  "modifiedRules",
  /** responseElements.groupId of CreateSecurityGroup. */
  "createdSecurityGroup",
  "createdVpc",
  "vpc",
  "createdSubnet",
  "subnet",
  /** responseElements.instancesSet of RunInstances. */
  "launchedInstances",
  /** requestParameters.instancesSet of TerminateInstances. */
  "listedInstances",
  "instance",
  /** requestParameters.resourcesSet of CreateTags/DeleteTags: any tracked EC2 id kind. */
  "taggedResources",
  "role",
  "user",
  "group",
  "managedPolicy",
  "bucket",
] as const;
export type ResolverKind = (typeof RESOLVER_KINDS)[number];

type Source = "aws.ec2" | "aws.iam" | "aws.s3" | "aws.cloudformation";
interface CatalogueEntry {
  source: Source;
  /** null: forwardable, but the call does not name a resource CloudFormation knows by physical id. */
  resolver: ResolverKind | null;
  /**
   * A stack operation: nothing to repair, but it may change which attachments own what, so the
   * event path drops its ownership cache for the account-region (events/stack-operations.ts).
   */
  stackOperation?: true;
}

const ec2 = <R extends ResolverKind | null>(resolver: R) => ({ source: "aws.ec2", resolver }) as const;
const iam = <R extends ResolverKind>(resolver: R) => ({ source: "aws.iam", resolver }) as const;
const s3 = { source: "aws.s3", resolver: "bucket" } as const;
/**
 * "All CloudFormation actions are logged by CloudTrail" (CloudFormation User Guide, Logging AWS
 * CloudFormation API calls with AWS CloudTrail); delivered to EventBridge with source
 * aws.cloudformation (EventBridge Events Reference, AWS CloudFormation events). These are the
 * calls that start an operation changing a stack's template or resources.
 */
const stackOperation = { source: "aws.cloudformation", resolver: null, stackOperation: true } as const;

export const EVENT_CATALOGUE = {
  AuthorizeSecurityGroupIngress: ec2("securityGroup"),
  AuthorizeSecurityGroupEgress: ec2("securityGroup"),
  RevokeSecurityGroupIngress: ec2("securityGroup"),
  RevokeSecurityGroupEgress: ec2("securityGroup"),
  ModifySecurityGroupRules: ec2("modifiedRules"),
  CreateSecurityGroup: ec2("createdSecurityGroup"),
  DeleteSecurityGroup: ec2("securityGroup"),
  CreateVpc: ec2("createdVpc"),
  DeleteVpc: ec2("vpc"),
  ModifyVpcAttribute: ec2("vpc"),
  CreateSubnet: ec2("createdSubnet"),
  DeleteSubnet: ec2("subnet"),
  ModifySubnetAttribute: ec2("subnet"),
  // AWS::EC2::Route and AWS::EC2::NetworkAclEntry have no physical id the call names.
  CreateRoute: ec2(null),
  DeleteRoute: ec2(null),
  ReplaceRoute: ec2(null),
  CreateNetworkAclEntry: ec2(null),
  DeleteNetworkAclEntry: ec2(null),
  ReplaceNetworkAclEntry: ec2(null),
  RunInstances: ec2("launchedInstances"),
  TerminateInstances: ec2("listedInstances"),
  ModifyInstanceAttribute: ec2("instance"),
  CreateTags: ec2("taggedResources"),
  DeleteTags: ec2("taggedResources"),

  AttachRolePolicy: iam("role"),
  DetachRolePolicy: iam("role"),
  PutRolePolicy: iam("role"),
  DeleteRolePolicy: iam("role"),
  UpdateAssumeRolePolicy: iam("role"),
  UpdateRole: iam("role"),
  UpdateRoleDescription: iam("role"),
  PutRolePermissionsBoundary: iam("role"),
  DeleteRolePermissionsBoundary: iam("role"),
  TagRole: iam("role"),
  UntagRole: iam("role"),
  CreatePolicyVersion: iam("managedPolicy"),
  SetDefaultPolicyVersion: iam("managedPolicy"),
  DeletePolicyVersion: iam("managedPolicy"),
  AttachUserPolicy: iam("user"),
  DetachUserPolicy: iam("user"),
  PutUserPolicy: iam("user"),
  DeleteUserPolicy: iam("user"),
  AttachGroupPolicy: iam("group"),
  DetachGroupPolicy: iam("group"),
  PutGroupPolicy: iam("group"),
  DeleteGroupPolicy: iam("group"),
  CreateAccessKey: iam("user"),

  PutBucketEncryption: s3,
  DeleteBucketEncryption: s3,
  PutBucketPublicAccessBlock: s3,
  DeleteBucketPublicAccessBlock: s3,
  PutBucketVersioning: s3,
  PutBucketPolicy: s3,
  DeleteBucketPolicy: s3,
  PutBucketAcl: s3,
  PutBucketLogging: s3,
  PutBucketLifecycle: s3,
  PutBucketOwnershipControls: s3,
  DeleteBucketOwnershipControls: s3,
  PutBucketTagging: s3,
  DeleteBucketTagging: s3,

  CreateStack: stackOperation,
  UpdateStack: stackOperation,
  DeleteStack: stackOperation,
  // Change sets of every type: UPDATE, CREATE and IMPORT (resource import adopts resources).
  ExecuteChangeSet: stackOperation,
  RollbackStack: stackOperation,
  ContinueUpdateRollback: stackOperation,
  CancelUpdateStack: stackOperation,
  // Stack refactoring moves resources between stacks (CloudFormation User Guide, Stack refactoring).
  ExecuteStackRefactor: stackOperation,
} as const satisfies Record<string, CatalogueEntry>;

type Catalogue = typeof EVENT_CATALOGUE;
export type KnownEventName = keyof Catalogue;
/** Event names with a resolver: the only ones a guardrail may claim. */
export type ResolvedEventName = { [N in KnownEventName]: Catalogue[N]["resolver"] extends null ? never : N }[KnownEventName];

/** The EventBridge detail-type of every CloudTrail management event. */
export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

const ENTRIES = Object.entries(EVENT_CATALOGUE) as [KnownEventName, CatalogueEntry][];

export type EventSource = Catalogue[KnownEventName]["source"];
/** Sources in catalogue order. */
export const EVENT_SOURCES: readonly EventSource[] = [...new Set(ENTRIES.map(([, e]) => e.source))];
export const KNOWN_EVENT_NAMES: readonly string[] = ENTRIES.map(([name]) => name);

/** Every event name with a resolver: the ones that name a resource to repair. */
export const RESOLVED_EVENT_NAMES: readonly ResolvedEventName[] = ENTRIES.filter(([, e]) => e.resolver !== null).map(
  ([name]) => name as ResolvedEventName,
);

/** Stack operations: each drops the event path's ownership cache for its account-region. */
export const STACK_OPERATION_NAMES: readonly KnownEventName[] = ENTRIES.filter(([, e]) => e.stackOperation === true).map(([name]) => name);

/** What the spoke rules forward when accounts.yaml does not say: every event driftguard acts on. */
export const DEFAULT_FORWARDED_NAMES: readonly KnownEventName[] = ENTRIES.filter(([, e]) => e.resolver !== null || e.stackOperation === true).map(([name]) => name);

/** Sources whose events CloudTrail delivers only in the partition's global-service region. */
export const GLOBAL_EVENT_SOURCES: ReadonlySet<EventSource> = new Set(["aws.iam"]);

export function isKnownEventName(eventName: string): eventName is KnownEventName {
  return Object.hasOwn(EVENT_CATALOGUE, eventName);
}

export const eventSourceOf = (eventName: string): EventSource | undefined =>
  isKnownEventName(eventName) ? EVENT_CATALOGUE[eventName].source : undefined;

/** Known event names of one source, in catalogue order. */
export const eventNamesOf = (source: EventSource): KnownEventName[] => ENTRIES.filter(([, e]) => e.source === source).map(([name]) => name);

/** Groups configured event names by source, keeping the catalogue's source order. */
export function eventNamesBySource(eventNames: readonly string[]): Map<EventSource, string[]> {
  const grouped = new Map<EventSource, string[]>();
  for (const source of EVENT_SOURCES) {
    const names = eventNames.filter((n) => eventSourceOf(n) === source);
    if (names.length > 0) grouped.set(source, names);
  }
  return grouped;
}
