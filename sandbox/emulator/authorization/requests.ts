import { kmsState } from "../services/kms/service.js";
import type { World } from "../state.js";
import { secretsState } from "../services/secretsmanager/service.js";

/**
 * What IAM authorizes for each API operation the sandbox serves: the action (`service:Action`,
 * which is not always the operation's name) and the resource ARN, as the Service Authorization
 * Reference lists them (docs.aws.amazon.com/service-authorization/latest/reference/
 * reference_policies_actions-resources-contextkeys.html). Operations whose action has no
 * resource-level permissions authorize `*`.
 */

export interface AuthorizedRequest {
  /** e.g. s3:GetEncryptionConfiguration for GetBucketEncryption. */
  action: string;
  /** The resource ARN, or `*`. */
  resource: string;
  /** The account that owns the resource (aws:ResourceAccount), when it is not the caller's. */
  resourceAccount?: string;
}

export interface RequestScope {
  world: World;
  accountId: string;
  region: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Params = Record<string, any>;
type Resolver = (params: Params, scope: RequestScope) => Omit<AuthorizedRequest, "action"> | string;

/** The IAM service prefix of each SigV4 signing name the sandbox serves (they differ for the tagging API). */
export const IAM_PREFIX: Readonly<Record<string, string>> = {
  sts: "sts",
  organizations: "organizations",
  iam: "iam",
  s3: "s3",
  sns: "sns",
  ec2: "ec2",
  tagging: "tag",
  cloudtrail: "cloudtrail",
  cloudformation: "cloudformation",
  logs: "logs",
  events: "events",
  kms: "kms",
  sqs: "sqs",
  ssm: "ssm",
  secretsmanager: "secretsmanager",
  monitoring: "cloudwatch",
  states: "states",
  lambda: "lambda",
};

/**
 * S3 operations whose IAM action is named otherwise. Source: "Required permissions for Amazon S3
 * API operations" (docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html)
 * and each operation's Permissions section in the S3 API Reference.
 */
export const S3_ACTIONS: Readonly<Record<string, string>> = {
  HeadBucket: "ListBucket",
  ListObjectsV2: "ListBucket",
  ListObjects: "ListBucket",
  ListBuckets: "ListAllMyBuckets",
  GetBucketEncryption: "GetEncryptionConfiguration",
  PutBucketEncryption: "PutEncryptionConfiguration",
  DeleteBucketEncryption: "PutEncryptionConfiguration",
  GetPublicAccessBlock: "GetBucketPublicAccessBlock",
  PutPublicAccessBlock: "PutBucketPublicAccessBlock",
  DeletePublicAccessBlock: "PutBucketPublicAccessBlock",
  DeleteBucketTagging: "PutBucketTagging",
  HeadObject: "GetObject",
  CreateMultipartUpload: "PutObject",
  UploadPart: "PutObject",
  CompleteMultipartUpload: "PutObject",
  ListParts: "ListMultipartUploadParts",
  GetBucketPolicy: "GetBucketPolicy",
  PutBucketPolicy: "PutBucketPolicy",
  DeleteBucketPolicy: "DeleteBucketPolicy",
  // The bucket sub-resources terraform manages (services/s3/bucket-subresources.ts).
  PutBucketLifecycleConfiguration: "PutLifecycleConfiguration",
  GetBucketLifecycleConfiguration: "GetLifecycleConfiguration",
  DeleteBucketLifecycle: "PutLifecycleConfiguration",
  DeleteBucketOwnershipControls: "PutBucketOwnershipControls",
  GetBucketCors: "GetBucketCORS",
  GetBucketAccelerateConfiguration: "GetAccelerateConfiguration",
  GetBucketReplication: "GetReplicationConfiguration",
  GetObjectLockConfiguration: "GetBucketObjectLockConfiguration",
};

/**
 * Lambda operations whose IAM action is named otherwise: Invoke is lambda:InvokeFunction
 * ("Actions, resources, and condition keys for AWS Lambda", Service Authorization Reference).
 */
const LAMBDA_ACTIONS: Readonly<Record<string, string>> = { Invoke: "InvokeFunction" };

/** The IAM action an operation of a service (by signing name) is authorized as. */
export function iamActionOf(service: string, operation: string): string {
  const prefix = IAM_PREFIX[service];
  if (prefix === undefined) throw new Error(`no IAM service prefix known for the ${service} signing name`);
  const named = prefix === "s3" ? S3_ACTIONS[operation] : prefix === "lambda" ? LAMBDA_ACTIONS[operation] : undefined;
  return `${prefix}:${named ?? operation}`;
}

function roleArn(scope: RequestScope, roleName: unknown): string {
  const name = String(roleName ?? "");
  return scope.world.accounts.get(scope.accountId)?.roles.get(name)?.arn ?? `arn:aws:iam::${scope.accountId}:role/${name}`;
}

function stackArn(scope: RequestScope, nameOrId: unknown): string {
  if (typeof nameOrId !== "string" || nameOrId === "") return "*";
  if (nameOrId.startsWith("arn:")) return nameOrId;
  const stacks = scope.world.accounts.get(scope.accountId)?.regions.get(scope.region)?.stacks ?? [];
  const live = stacks.find((s) => s.stackName === nameOrId && s.status !== "DELETE_COMPLETE");
  // A stack that does not exist yet (CreateStack) is authorized on its name with any id.
  return live?.stackId ?? `arn:aws:cloudformation:${scope.region}:${scope.accountId}:stack/${nameOrId}/*`;
}

function ec2Arn(scope: RequestScope, id: string): string {
  const type = id.startsWith("sg-") ? "security-group" : id.startsWith("vpc-") ? "vpc" : id.startsWith("i-") ? "instance" : id.startsWith("sgr-") ? "security-group-rule" : undefined;
  return type ? `arn:aws:ec2:${scope.region}:${scope.accountId}:${type}/${id}` : "*";
}

function securityGroupArn(params: Params, scope: RequestScope): string {
  let id = params.GroupId as string | undefined;
  if (!id && params.GroupName) {
    const groups = scope.world.accounts.get(scope.accountId)?.regions.get(scope.region)?.securityGroups;
    id = [...(groups?.values() ?? [])].find((g) => g.groupName === params.GroupName)?.groupId;
  }
  return id ? ec2Arn(scope, id) : "*";
}

function bucket(params: Params, scope: RequestScope): Omit<AuthorizedRequest, "action"> {
  return { resource: `arn:aws:s3:::${String(params.Bucket ?? "")}`, resourceAccount: scope.world.buckets.get(String(params.Bucket))?.accountId };
}

function object(params: Params, scope: RequestScope): Omit<AuthorizedRequest, "action"> {
  return { resource: `arn:aws:s3:::${String(params.Bucket ?? "")}/${String(params.Key ?? "")}`, resourceAccount: scope.world.buckets.get(String(params.Bucket))?.accountId };
}

const ROLE: Resolver = (p, s) => roleArn(s, p.RoleName);
const STACK: Resolver = (p, s) => stackArn(s, p.StackName);
const SG: Resolver = securityGroupArn;
const TOPIC: Resolver = (p) => String(p.TopicArn ?? "*");
/** Parameter Store names a parameter by name or ARN (Systems Manager User Guide, sysman-paramstore-access.html). */
const PARAMETER: Resolver = (p, s) => {
  const name = String(p.Name ?? "");
  return name.startsWith("arn:") ? name : `arn:aws:ssm:${s.region}:${s.accountId}:parameter/${name.replace(/^\//, "")}`;
};
/** A secret by name or ARN; IAM evaluates its full ARN, suffix included (Secrets Manager User Guide, reference_iam-permissions). */
const SECRET: Resolver = (p, s) => {
  const id = String(p.SecretId ?? p.Name ?? "");
  if (id.startsWith("arn:")) return id;
  const account = s.world.accounts.get(s.accountId);
  const secret = account ? secretsState.at(account, s.region).secrets.get(id) : undefined;
  return secret?.arn ?? `arn:aws:secretsmanager:${s.region}:${s.accountId}:secret:${id}`;
};

/** Resources of the services the deployment adds, as the Service Authorization Reference's resource types name them. */
const arnIn = (service: string, s: RequestScope, resource: string) => `arn:aws:${service}:${s.region}:${s.accountId}:${resource}`;

/** EventBridge names a bus by name or ARN; rules on a custom bus are `rule/<bus>/<name>`, on the default bus `rule/<name>` ("Resource types defined by Amazon EventBridge"). */
function eventBusName(nameOrArn: unknown): string {
  const v = typeof nameOrArn === "string" && nameOrArn !== "" ? nameOrArn : "default";
  return v.startsWith("arn:") ? v.split("/").pop()! : v;
}
const EVENT_BUS: Resolver = (p, s) => arnIn("events", s, `event-bus/${eventBusName(p.EventBusName ?? p.Name)}`);
const EVENT_RULE: Resolver = (p, s) => {
  const bus = eventBusName(p.EventBusName);
  return arnIn("events", s, bus === "default" ? `rule/${String(p.Name ?? p.Rule ?? "")}` : `rule/${bus}/${String(p.Name ?? p.Rule ?? "")}`);
};

/** KMS key operations authorize the key's ARN, whichever of key id, key ARN, alias name or alias ARN the call gives. */
function kmsKeyArn(p: Params, s: RequestScope): string {
  const id = typeof p.KeyId === "string" ? p.KeyId : typeof p.TargetKeyId === "string" ? p.TargetKeyId : "";
  if (id === "") return "*";
  let resolved = id.startsWith("arn:") ? id.split(":").slice(5).join(":") : id;
  const account = s.world.accounts.get(s.accountId);
  if (resolved.startsWith("alias/")) {
    const target = account ? kmsState.at(account, s.region).aliases.get(resolved)?.targetKeyId : undefined;
    if (target === undefined) return arnIn("kms", s, resolved);
    resolved = target;
  }
  return arnIn("kms", s, `key/${resolved.replace(/^key\//, "")}`);
}
const KMS_KEY: Resolver = kmsKeyArn;

/** SQS authorizes the queue ARN; a QueueUrl ends in the queue's name. */
const SQS_QUEUE: Resolver = (p, s) => arnIn("sqs", s, String(p.QueueName ?? String(p.QueueUrl ?? "").split("/").pop() ?? ""));

/** CloudWatch Logs' log-group resource is the group ARN without `:*` ("Resource types defined by Amazon CloudWatch Logs"). */
const LOG_GROUP: Resolver = (p, s) => arnIn("logs", s, `log-group:${String(p.logGroupName ?? "*")}`);
/**
 * GetLogEvents is authorized on the log stream (resource type log-stream*,
 * arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}),
 * DescribeLogStreams on the group (log-group*): Service Authorization Reference, "Actions, resources,
 * and condition keys for Amazon CloudWatch Logs" (list_amazoncloudwatchlogs.html; the two ARN
 * formats also quoted in repost.aws QULInT7WNvRYafkTh1hi8SdQ).
 */
const LOG_STREAM: Resolver = (p, s) => arnIn("logs", s, `log-group:${String(p.logGroupName ?? "*")}:log-stream:${String(p.logStreamName ?? "*")}`);
const BY_RESOURCE_ARN: Resolver = (p) => String(p.resourceArn ?? p.ResourceARN ?? p.ResourceArn ?? "*").replace(/:\*$/, "");

/** CloudWatch alarms: one ARN per named alarm; DescribeAlarms without names covers every alarm. */
const ALARM: Resolver = (p, s) => {
  const names = (p.AlarmNames as string[] | undefined) ?? [];
  return arnIn("cloudwatch", s, `alarm:${names.length === 1 ? names[0] : p.AlarmName ?? "*"}`);
};

/** Step Functions: the state machine's ARN (CreateStateMachine: the one it will have). */
const STATE_MACHINE: Resolver = (p, s) => String(p.stateMachineArn ?? arnIn("states", s, `stateMachine:${String(p.name ?? "*")}`));

/**
 * Lambda authorizes every function operation on the function's ARN, qualified when the call names
 * a version or alias ("Actions, resources, and condition keys for AWS Lambda", Service
 * Authorization Reference: resource type "function"). FunctionName may be a name, a partial ARN
 * or a full ARN (API_GetFunction.html).
 */
function lambdaFunctionArn(p: Params, s: RequestScope): string {
  const name = String(p.FunctionName ?? "");
  const full = /^arn:aws[\w-]*:lambda:([a-z0-9-]+):(\d{12}):function:(.+)$/.exec(name);
  const partial = /^(\d{12}):function:(.+)$/.exec(name);
  const [region, account, rest] = full ? [full[1]!, full[2]!, full[3]!] : partial ? [s.region, partial[1]!, partial[2]!] : [s.region, s.accountId, name];
  const qualifier = typeof p.Qualifier === "string" && p.Qualifier !== "" && !rest.includes(":") ? `:${p.Qualifier}` : "";
  return `arn:aws:lambda:${region}:${account}:function:${rest}${qualifier}`;
}

const LAMBDA_FUNCTION_OPERATIONS = [
  "CreateFunction",
  "GetFunction",
  "GetFunctionConfiguration",
  "UpdateFunctionCode",
  "UpdateFunctionConfiguration",
  "DeleteFunction",
  "PublishVersion",
  "ListVersionsByFunction",
  "AddPermission",
  "RemovePermission",
  "GetPolicy",
  "PutFunctionEventInvokeConfig",
  "UpdateFunctionEventInvokeConfig",
  "GetFunctionEventInvokeConfig",
  "DeleteFunctionEventInvokeConfig",
  "GetFunctionCodeSigningConfig",
  "GetFunctionConcurrency",
  "PutFunctionConcurrency",
  "DeleteFunctionConcurrency",
  "Invoke",
];

/** Resource of each operation that has resource-level permissions; every other operation authorizes `*`. */
const RESOURCES: Readonly<Record<string, Readonly<Record<string, Resolver>>>> = {
  sts: { AssumeRole: (p) => String(p.RoleArn ?? "*") },
  iam: {
    ...Object.fromEntries(
    [
      "GetRole",
      "ListInstanceProfilesForRole",
      "CreateRole",
      "DeleteRole",
      "ListAttachedRolePolicies",
      "AttachRolePolicy",
      "DetachRolePolicy",
      "ListRolePolicies",
      "GetRolePolicy",
      "PutRolePolicy",
      "DeleteRolePolicy",
      "UpdateAssumeRolePolicy",
      "UpdateRole",
      "UpdateRoleDescription",
      "TagRole",
      "UntagRole",
      "ListRoleTags",
      "PutRolePermissionsBoundary",
      "DeleteRolePermissionsBoundary",
    ].map((a) => [a, ROLE]),
    ),
    ...Object.fromEntries(["GetPolicy", "GetPolicyVersion", "DeletePolicy", "CreatePolicyVersion", "ListPolicyVersions", "SetDefaultPolicyVersion", "DeletePolicyVersion", "ListEntitiesForPolicy"].map((a) => [a, ((p) => String(p.PolicyArn ?? "*")) as Resolver])),
    CreatePolicy: (p, s) => `arn:aws:iam::${s.accountId}:policy${String(p.Path ?? "/")}${String(p.PolicyName ?? "")}`,
    // iam:PassRole, which no API operation has: a service checks it for the caller on the role ARN it is given (id_roles_use_passrole.html).
    PassRole: (p) => String(p.RoleArn ?? "*"),
  },
  s3: {
    CreateBucket: bucket,
    HeadBucket: bucket,
    GetBucketEncryption: bucket,
    PutBucketEncryption: bucket,
    DeleteBucketEncryption: bucket,
    GetPublicAccessBlock: bucket,
    PutPublicAccessBlock: bucket,
    DeletePublicAccessBlock: bucket,
    GetBucketVersioning: bucket,
    PutBucketVersioning: bucket,
    GetBucketTagging: bucket,
    PutBucketTagging: bucket,
    DeleteBucketTagging: bucket,
    GetBucketPolicy: bucket,
    PutBucketPolicy: bucket,
    DeleteBucketPolicy: bucket,
    ...Object.fromEntries(
      [
        "DeleteBucket",
        "PutBucketLifecycleConfiguration",
        "GetBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
        "PutBucketOwnershipControls",
        "GetBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        "GetBucketAcl",
        "GetBucketCors",
        "GetBucketWebsite",
        "GetBucketLogging",
        "GetBucketAccelerateConfiguration",
        "GetBucketRequestPayment",
        "GetBucketReplication",
        "GetObjectLockConfiguration",
      ].map((a) => [a, bucket]),
    ),
    GetObjectTagging: object,
    PutObjectTagging: object,
    DeleteObjectTagging: object,
    ListObjectsV2: bucket,
    PutObject: object,
    GetObject: object,
    HeadObject: object,
    DeleteObject: object,
    CreateMultipartUpload: object,
    UploadPart: object,
    CompleteMultipartUpload: object,
    AbortMultipartUpload: object,
    ListParts: object,
  },
  sns: {
    CreateTopic: (p, s) => `arn:aws:sns:${s.region}:${s.accountId}:${String(p.Name ?? "")}`,
    Publish: (p) => String(p.TopicArn ?? p.TargetArn ?? "*"),
    GetTopicAttributes: TOPIC,
    SetTopicAttributes: TOPIC,
    DeleteTopic: TOPIC,
    Subscribe: TOPIC,
    ListSubscriptionsByTopic: TOPIC,
    // The tag APIs authorize the topic named by ResourceArn, the subscription APIs the subscription's topic.
    ListTagsForResource: (p) => String(p.ResourceArn ?? "*"),
    TagResource: (p) => String(p.ResourceArn ?? "*"),
    UntagResource: (p) => String(p.ResourceArn ?? "*"),
    ...Object.fromEntries(["GetSubscriptionAttributes", "SetSubscriptionAttributes", "Unsubscribe"].map((a) => [a, ((p) => String(p.SubscriptionArn ?? "*").split(":").slice(0, 6).join(":")) as Resolver])),
  },
  ec2: {
    DeleteSecurityGroup: SG,
    AuthorizeSecurityGroupIngress: SG,
    AuthorizeSecurityGroupEgress: SG,
    RevokeSecurityGroupIngress: SG,
    RevokeSecurityGroupEgress: SG,
    UpdateSecurityGroupRuleDescriptionsIngress: SG,
    UpdateSecurityGroupRuleDescriptionsEgress: SG,
    ModifySecurityGroupRules: SG,
    CreateTags: (p, s) => ec2Arn(s, String((p.Resources as string[] | undefined)?.[0] ?? "")),
    DeleteTags: (p, s) => ec2Arn(s, String((p.Resources as string[] | undefined)?.[0] ?? "")),
  },
  ssm: { GetParameter: PARAMETER, PutParameter: PARAMETER, DeleteParameter: PARAMETER },
  secretsmanager: { GetSecretValue: SECRET, CreateSecret: SECRET, DeleteSecret: SECRET },
  logs: {
    ...Object.fromEntries(["CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "AssociateKmsKey", "DisassociateKmsKey", "ListTagsLogGroup", "DescribeLogStreams"].map((a) => [a, LOG_GROUP])),
    GetLogEvents: LOG_STREAM,
    ListTagsForResource: BY_RESOURCE_ARN,
    TagResource: BY_RESOURCE_ARN,
    UntagResource: BY_RESOURCE_ARN,
  },
  events: {
    ...Object.fromEntries(["CreateEventBus", "UpdateEventBus", "DescribeEventBus", "DeleteEventBus"].map((a) => [a, EVENT_BUS])),
    // PutEvents is authorized on the bus the entries go to (events: resource type event-bus); the
    // receiving account is the resource's, so another account's bus needs its bus policy.
    PutEvents: (p, s) => {
      const target = String((p.Entries as { EventBusName?: string }[] | undefined)?.[0]?.EventBusName ?? "default");
      const arn = target.startsWith("arn:") ? target : `arn:aws:events:${s.region}:${s.accountId}:event-bus/${target}`;
      return { resource: arn, resourceAccount: arn.split(":")[4] };
    },
    ...Object.fromEntries(["PutRule", "DescribeRule", "DeleteRule", "EnableRule", "DisableRule", "PutTargets", "ListTargetsByRule", "RemoveTargets"].map((a) => [a, EVENT_RULE])),
    ListTagsForResource: BY_RESOURCE_ARN,
    TagResource: BY_RESOURCE_ARN,
    UntagResource: BY_RESOURCE_ARN,
  },
  kms: {
    ...Object.fromEntries(
      [
        "DescribeKey",
        "GetKeyPolicy",
        "PutKeyPolicy",
        "ListKeyPolicies",
        "UpdateKeyDescription",
        "GetKeyRotationStatus",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "EnableKey",
        "DisableKey",
        "ScheduleKeyDeletion",
        "CancelKeyDeletion",
        "ListResourceTags",
        "TagResource",
        "UntagResource",
        "Encrypt",
        "Decrypt",
        "GenerateDataKey",
      ].map((a) => [a, KMS_KEY]),
    ),
    // An alias operation is authorized on the alias; kms/service.ts then authorizes it on each
    // affected key (alias-access.html), calling without AliasName so this resolves the key.
    ...Object.fromEntries(["CreateAlias", "UpdateAlias", "DeleteAlias"].map((a) => [a, ((p, s) => (p.AliasName === undefined ? kmsKeyArn(p, s) : arnIn("kms", s, String(p.AliasName)))) as Resolver])),
  },
  sqs: Object.fromEntries(
    ["CreateQueue", "GetQueueUrl", "GetQueueAttributes", "SetQueueAttributes", "DeleteQueue", "ListQueueTags", "TagQueue", "UntagQueue", "SendMessage", "ReceiveMessage", "DeleteMessage", "PurgeQueue"].map((a) => [a, SQS_QUEUE]),
  ),
  monitoring: {
    PutMetricAlarm: ALARM,
    DescribeAlarms: ALARM,
    DeleteAlarms: ALARM,
    DescribeAlarmHistory: ALARM,
    ListTagsForResource: BY_RESOURCE_ARN,
    TagResource: BY_RESOURCE_ARN,
    UntagResource: BY_RESOURCE_ARN,
  },
  states: {
    ...Object.fromEntries(["CreateStateMachine", "DescribeStateMachine", "UpdateStateMachine", "DeleteStateMachine", "ListStateMachineVersions", "StartExecution", "StartSyncExecution"].map((a) => [a, STATE_MACHINE])),
    ...Object.fromEntries(["DescribeExecution", "StopExecution", "GetExecutionHistory", "RedriveExecution", "ListMapRuns"].map((a) => [a, ((p) => String(p.executionArn ?? "*")) as Resolver])),
    ListExecutions: (p) => String(p.stateMachineArn ?? p.mapRunArn ?? "*"),
    DescribeMapRun: (p) => String(p.mapRunArn ?? "*"),
    ListTagsForResource: BY_RESOURCE_ARN,
    TagResource: BY_RESOURCE_ARN,
    UntagResource: BY_RESOURCE_ARN,
  },
  lambda: {
    ...Object.fromEntries(LAMBDA_FUNCTION_OPERATIONS.map((a) => [a, lambdaFunctionArn as Resolver])),
    ListTags: (p) => String(p.Resource ?? "*"),
    TagResource: (p) => String(p.Resource ?? "*"),
    UntagResource: (p) => String(p.Resource ?? "*"),
  },
  cloudformation: {
    CreateStack: STACK,
    DeleteStack: STACK,
    UpdateStack: STACK,
    DescribeStacks: STACK,
    GetTemplate: STACK,
    DescribeStackResources: STACK,
    DescribeStackResource: STACK,
    ListStackResources: STACK,
    DetectStackDrift: STACK,
    DetectStackResourceDrift: STACK,
    DescribeStackResourceDrifts: STACK,
    DescribeStackEvents: STACK,
    CreateChangeSet: STACK,
    DescribeChangeSet: STACK,
    ExecuteChangeSet: STACK,
    DeleteChangeSet: STACK,
    ListChangeSets: STACK,
  },
};

/** The action and resource IAM evaluates for one call. */
export function authorizedRequest(service: string, operation: string, params: unknown, scope: RequestScope): AuthorizedRequest {
  const resolver = RESOURCES[service]?.[operation];
  const found = resolver ? resolver((params ?? {}) as Params, scope) : "*";
  const shaped = typeof found === "string" ? { resource: found } : found;
  return { action: iamActionOf(service, operation), ...shaped };
}
