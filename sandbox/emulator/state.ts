import type { Capability, Change, ChangeSetStatus, ExecutionStatus, StackStatus } from "@aws-sdk/client-cloudformation";
import type { _InstanceType } from "@aws-sdk/client-ec2";

/**
 * The sandbox's whole world: one in-memory organization. Services read and mutate these plain
 * objects; CloudFormation provisions into them and drift detection compares against them, so an
 * out-of-band API call and a remediation both show up in the next detection.
 */

export type Tags = Record<string, string>;

export interface IamRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  /** Parsed JSON policy document. */
  assumeRolePolicyDocument: unknown;
  description?: string;
  maxSessionDuration: number;
  managedPolicyArns: string[];
  /** policy name → parsed JSON document */
  inlinePolicies: Record<string, unknown>;
  /** ARN of the managed policy that bounds the role's permissions. */
  permissionsBoundary?: string;
  tags: Tags;
  createdAt: string;
}

/** A customer managed policy (CreatePolicy); AWS managed ones are vendored snapshots (authorization/managed-policies.ts). */
export interface ManagedPolicy {
  arn: string;
  policyName: string;
  policyId: string;
  path: string;
  description?: string;
  /** Parsed JSON document of the default version. */
  document: unknown;
  defaultVersionId: string;
  createdAt: string;
  /**
   * Every stored version, the default one included (services/iam/policy-versions.ts); absent until
   * the first CreatePolicyVersion: then the only version is the default (`document`, `defaultVersionId`).
   */
  versions?: PolicyVersionState[];
  /** The number of the last version created: IAM never reuses a version id. */
  lastVersion?: number;
}

export interface PolicyVersionState {
  versionId: string;
  document: unknown;
  createdAt: string;
}

export interface SecurityGroupRule {
  ipProtocol: string; // "tcp" | "udp" | "icmp" | "-1" | number as string
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  referencedGroupId?: string;
  description?: string;
  /** The sgr- id EC2 gave the rule; see ruleIdOf in services/ec2-permissions.ts for rules without one. */
  ruleId?: string;
}

export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
  tags: Tags;
}

export interface BucketEncryptionRule {
  sseAlgorithm: "AES256" | "aws:kms" | "aws:kms:dsse";
  kmsMasterKeyId?: string;
  bucketKeyEnabled?: boolean;
  /** S3 API Reference, BlockedEncryptionTypes: "Valid Values: NONE | SSE-C"; absent = nothing blocked. */
  blockedEncryptionTypes?: ("NONE" | "SSE-C")[];
}

export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

export interface Bucket {
  name: string;
  region: string;
  createdAt: string;
  /** undefined = no default encryption configured (real S3 now always encrypts, but the config can be deleted in the emulator to model drift). */
  encryption?: BucketEncryptionRule[];
  publicAccessBlock?: PublicAccessBlock;
  versioning?: "Enabled" | "Suspended";
  tags: Tags;
  objects: Map<string, S3Object>;
  /** Parsed bucket policy; undefined when the bucket has none. */
  policy?: unknown;
  /** Multipart uploads in progress, by upload id (sandbox/emulator/services/s3/multipart.ts). */
  uploads?: Map<string, MultipartUpload>;
}

/** How S3 encrypted an object at rest, as its response headers report it. */
export interface ObjectEncryption {
  algorithm: "AES256" | "aws:kms" | "aws:kms:dsse" | "SSE-C";
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
  /** SSE-C only: the base64 MD5 of the customer key, which every read must present again. */
  customerKeyMd5?: string;
}

/** The system and user metadata an object keeps from its upload (PutObject or CreateMultipartUpload). */
export interface ObjectMetadata {
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  /** x-amz-meta-* headers, keys lower-cased as S3 stores them. */
  userMetadata?: Record<string, string>;
  encryption?: ObjectEncryption;
}

export interface MultipartUpload {
  uploadId: string;
  key: string;
  initiated: string;
  metadata: ObjectMetadata;
  parts: Map<number, { body: Buffer; etag: string; lastModified: string }>;
}

export interface S3Object extends ObjectMetadata {
  body: Buffer;
  lastModified: string;
  /** Quoted, as S3 returns it: the MD5 of the body in hex, or for a multipart object the MD5 of its parts' MD5s and "-<parts>". */
  etag: string;
  /** Set for objects assembled by CompleteMultipartUpload. */
  partsCount?: number;
}

/** One message handed to one SNS subscription (sns/delivery.ts). */
export interface SnsDelivery {
  messageId: string;
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  type: "Notification" | "SubscriptionConfirmation";
  /** What the endpoint receives: the envelope, the raw message, the Lambda event or the email body. */
  body: string;
  outcome: "delivered" | "failed";
  error?: string;
}

export interface Topic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
  /** As published; `structure: "json"` when Message holds one message per protocol (sns/delivery.ts). */
  published: { messageId: string; subject?: string; message: string; structure?: "json"; at: string }[];
  /**
   * `pendingConfirmation` until the endpoint confirms with the token of its SubscriptionConfirmation
   * (`confirmationToken`, sns/delivery.ts): email and HTTP/S endpoints.
   * attributes: SetSubscriptionAttributes (sandbox/emulator/services/sns/subscriptions.ts).
   */
  subscriptions: { arn: string; protocol: string; endpoint: string; pendingConfirmation?: boolean; confirmationToken?: string; attributes?: Record<string, string> }[];
  /** What each subscription received, oldest first (sns/delivery.ts). */
  deliveries?: SnsDelivery[];
}

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
  tags: Tags;
}

export interface Instance {
  instanceId: string;
  imageId: string;
  instanceType: _InstanceType;
  tags: Tags;
  /** ISO 8601; EC2's LaunchTime. */
  launchedAt: string;
}

/**
 * DELETE_SKIPPED: a DeletionPolicy Retain resource its stack's deletion left in place.
 * DELETE_FAILED: a resource a create rollback or a stack deletion could not remove (ROLLBACK_FAILED,
 * DELETE_FAILED stacks); UPDATE_FAILED: one an update rollback could not restore (UPDATE_ROLLBACK_FAILED).
 */
export type CfnResourceStatus = "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" | "DELETE_COMPLETE" | "DELETE_SKIPPED" | "DELETE_FAILED" | "UPDATE_FAILED";

/**
 * The template's DeletionPolicy attribute (aws-attribute-deletionpolicy.html): Retain keeps the
 * resource when it is removed from the stack or the stack is deleted, RetainExceptOnCreate too
 * except when a failed create rolls back; Delete (the default) and Snapshot remove it.
 */
export type CfnDeletionPolicy = "Delete" | "Retain" | "RetainExceptOnCreate" | "Snapshot";

/** One DescribeStackEvents entry in CloudFormation's own shape (API_StackEvent.html). */
export interface CfnStackEvent {
  StackId: string;
  EventId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType: string;
  Timestamp: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
}

export interface CfnStackResource {
  logicalId: string;
  physicalId: string;
  type: string;
  status: CfnResourceStatus;
  /** Template properties with intrinsic functions resolved: what drift detection expects. */
  properties: Record<string, unknown>;
  /** For AWS::CloudFormation::Stack resources: the nested stack's id. */
  nestedStackId?: string;
  /** Fn::GetAtt values captured when the resource was created (Arn, GroupId, RoleId …). */
  attributes?: Record<string, string>;
  lastUpdated: string;
  /** ResourceStatusReason: why a *_FAILED resource failed (the handler's message). */
  statusReason?: string;
  deletionPolicy?: CfnDeletionPolicy;
  drift?: {
    status: "IN_SYNC" | "MODIFIED" | "DELETED" | "NOT_CHECKED";
    checkedAt: string;
    /** The last check's StackResourceDrift documents, as DescribeStackResourceDrifts returns them. */
    expectedProperties?: string;
    actualProperties?: string;
    propertyDifferences?: CfnPropertyDifference[];
  };
}

/** One PropertyDifferences entry in CloudFormation's own shape. */
export interface CfnPropertyDifference {
  PropertyPath: string;
  ExpectedValue: string;
  ActualValue: string;
  DifferenceType: "ADD" | "REMOVE" | "NOT_EQUAL";
}

export interface CfnDriftDetection {
  id: string;
  stackId: string;
  /** undefined while in progress. */
  result?: {
    detectionStatus: "DETECTION_COMPLETE" | "DETECTION_FAILED";
    stackDriftStatus: "DRIFTED" | "IN_SYNC" | "NOT_CHECKED" | "UNKNOWN";
    reason?: string;
    driftedCount: number;
  };
  startedAt: string;
  completesAt: number; // epoch ms
  /** DetectStackDrift's LogicalResourceIds; undefined = every resource. */
  logicalResourceIds?: string[];
  /** Who called DetectStackDrift: the detection reads the resources with that principal's permissions. */
  caller?: Principal;
}

export interface CfnChangeSet {
  id: string;
  name: string;
  stackId: string;
  /** CreateChangeSet's ChangeSetType; UPDATE when absent. */
  type?: "UPDATE" | "IMPORT" | "CREATE";
  /** For IMPORT, CREATE and UPDATE: the template the change set applies (UPDATE: the stack's own with UsePreviousTemplate). */
  templateBody?: string;
  /** The parameter values the change set applies (UPDATE and CREATE). */
  parameters?: Record<string, string>;
  capabilities?: Capability[];
  tags?: Tags;
  roleArn?: string;
  resourcesToImport?: { ResourceType: string; LogicalResourceId: string; ResourceIdentifier: Record<string, string> }[];
  /** Creation is asynchronous: CREATE_IN_PROGRESS from `inProgressAt`, computed at `completesAt` (epoch ms). */
  inProgressAt?: number;
  completesAt?: number;
  deploymentMode?: "REVERT_DRIFT";
  /** The SDK's enums: the old hand-typed union listed EXECUTE_COMPLETE, an ExecutionStatus, as a change set Status. */
  status: ChangeSetStatus;
  executionStatus: ExecutionStatus;
  statusReason?: string;
  /** DescribeChangeSet's Changes, in the SDK's shape (IncludePropertyValues=true: with before/after values). */
  changes: Change[];
  createdAt: string;
  description?: string;
  /** Who called CreateChangeSet: its changes are computed with that principal's permissions (or the stack's service role). */
  caller?: Principal;
}

export interface CfnStack {
  stackId: string;
  stackName: string;
  /** The SDK's StackStatus: the compiler checks every status the sandbox sets against CloudFormation's own list. */
  status: StackStatus;
  templateBody: string;
  parameters: Record<string, string>;
  tags: Tags;
  parentId?: string;
  rootId?: string;
  createdAt: string;
  lastUpdated?: string;
  deletedAt?: string;
  statusReason?: string;
  /** The template's Description. */
  description?: string;
  capabilities?: Capability[];
  /** CreateStack/UpdateStack RoleARN: the service role CloudFormation provisions with instead of the caller's credentials. */
  roleArn?: string;
  outputs?: { key: string; value: string; description?: string; exportName?: string }[];
  /** Export names the template's Fn::ImportValue read: while imported, an export cannot go. */
  imports?: string[];
  /** Newest last; DescribeStackEvents answers newest first. */
  events?: CfnStackEvent[];
  resources: CfnStackResource[];
  lastDrift?: { status: "DRIFTED" | "IN_SYNC" | "NOT_CHECKED" | "UNKNOWN"; at: string };
  detections: CfnDriftDetection[];
  changeSets: CfnChangeSet[];
  /**
   * UPDATE_ROLLBACK_FAILED: what the update rollback still has to do, for ContinueUpdateRollback
   * (update.ts): the resources to write back to their previous properties, and those the failed
   * update created, deleted in the cleanup that follows.
   */
  rollbackPending?: { writeBack: CfnRollbackWriteBack[]; cleanup: CfnStackResource[] };
}

/** One resource an update rollback must bring back: its properties before the update and what the update attempted. */
export interface CfnRollbackWriteBack {
  logicalId: string;
  previous: Record<string, unknown>;
  attempted: Record<string, unknown>;
}

/** One management event as CloudTrail records it; `record` is the CloudTrailEvent JSON object. */
export interface TrailEvent {
  eventId: string;
  eventName: string;
  /** e.g. iam.amazonaws.com */
  eventSource: string;
  eventTime: string;
  readOnly: boolean;
  accessKeyId: string;
  username: string;
  resources: { type: string; name: string }[];
  record: Record<string, unknown>;
}

/** Everything that lives in one region of one account. */
export interface RegionState {
  stacks: CfnStack[];
  securityGroups: Map<string, SecurityGroup>;
  vpcs: Map<string, Vpc>;
  instances: Map<string, Instance>;
  /** By topic ARN. */
  topics: Map<string, Topic>;
  /** Newest last. IAM events live in us-east-1, as in real CloudTrail. */
  cloudTrail?: TrailEvent[];
  /**
   * State of the services terraform deploys driftguard with (logs, events, kms, sqs, lambda,
   * states), keyed by signing name; each service owns its shape (sandbox/emulator/services/shared/regional.ts).
   */
  services?: Record<string, unknown>;
}

export interface AccountState {
  id: string;
  name: string;
  email: string;
  status: "ACTIVE" | "SUSPENDED" | "PENDING_CLOSURE" | "CLOSED";
  /** The OU (or root) the account sits in directly; the root when absent. */
  parentId?: string;
  roles: Map<string, IamRole>;
  /** Customer managed policies by ARN. */
  policies: Map<string, ManagedPolicy>;
  regions: Map<string, RegionState>;
}

export interface OrganizationalUnitState {
  id: string;
  name: string;
  /** The root or the OU above. */
  parentId: string;
}

export interface World {
  organization: {
    id: string;
    managementAccountId: string;
    arn: string;
    /** Accounts allowed to call the Organizations read APIs besides the management account. */
    delegatedAdministrators?: string[];
    /** The one root (r-…), and the OUs below it by id; worlds built without them have a root only. */
    rootId?: string;
    units?: Map<string, OrganizationalUnitState>;
  };
  accounts: Map<string, AccountState>;
  /** S3 bucket names are global. */
  buckets: Map<string, Bucket & { accountId: string }>;
  /** access key id → the principal it authenticates as. */
  credentials: Map<string, Principal>;
  /** CloudFormation false-positive classes the scenario turns on (cloudformation/drift/false-positives.ts). */
  falsePositives?: ReadonlySet<string>;
  /** Accounts that exist outside the organization: valid account principals, nothing more (iam/principal-existence.ts). */
  accountsOutsideOrganization?: ReadonlySet<string>;
  /** Service control policies beside FullAWSAccess, each attached to the root, OUs or accounts by id (authorization/evaluate.ts). */
  serviceControlPolicies?: readonly ServiceControlPolicyState[];
}

export interface ServiceControlPolicyState {
  name: string;
  document: unknown;
  /** The root (r-…), OUs (ou-…) and accounts it is attached to. */
  targets: readonly string[];
}

export interface Principal {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  /** arn:aws:iam::<acct>:root, or arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  arn: string;
  /** For assumed roles: the role ARN (what trust policies and aws:PrincipalArn see). */
  roleArn?: string;
  /** Epoch ms when a role session was issued (CloudTrail's sessionContext.attributes.creationDate). */
  issuedAt?: number;
  expiresAt?: number;
}

export function emptyRegion(): RegionState {
  return { stacks: [], securityGroups: new Map(), vpcs: new Map(), instances: new Map(), topics: new Map(), cloudTrail: [] };
}

export function regionOf(account: AccountState, region: string): RegionState {
  let r = account.regions.get(region);
  if (!r) {
    r = emptyRegion();
    account.regions.set(region, r);
  }
  return r;
}
