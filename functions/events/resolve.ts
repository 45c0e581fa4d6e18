import { z } from "zod";
import { EVENT_CATALOGUE, RESOLVED_EVENT_NAMES, type ResolverKind } from "../config/events.js";
import type { CloudTrailDetail } from "../aws/cloudtrail-record.js";
import { ec2TypeOfId, resourceArn } from "../aws/resource-types.js";

/**
 * Which resource an API call changed, per event name. Each entry reads the call's own
 * requestParameters / responseElements (the shapes CloudTrail records, EC2's `items` lists
 * included), so adding an event name is one line here plus a fixture.
 */

export interface AffectedResource {
  /** CloudFormation resource type, e.g. AWS::EC2::SecurityGroup. */
  resourceType: string;
  /** What CloudFormation reports as PhysicalResourceId for that type. */
  physicalId: string;
  arn?: string;
}

type Resolver = (detail: CloudTrailDetail, accountId: string) => AffectedResource[];

const items = <T extends z.ZodType>(item: T) => z.looseObject({ items: z.array(item) });
const id = z.string().min(1);

/** Parses a part of the event; a shape that does not fit resolves to no resource. */
function read<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** EC2 resources by id; the id's prefix (aws/resource-types.ts) says its type, ids of other kinds are not tracked. */
function ec2Resources(ids: ReadonlyArray<string | undefined>, detail: CloudTrailDetail, accountId: string): AffectedResource[] {
  return ids.flatMap((physicalId) => {
    const type = physicalId === undefined ? undefined : ec2TypeOfId(physicalId);
    if (physicalId === undefined || !type) return [];
    const arn = resourceArn(type.cfnType, physicalId, { accountId, region: detail.awsRegion });
    return [{ resourceType: type.cfnType, physicalId, ...(arn ? { arn } : {}) }];
  });
}

/** An EC2 resource whose id is one request parameter, e.g. `vpcId`. */
function ec2ByRequest(param: string): Resolver {
  const schema = z.looseObject({ [param]: id });
  return (detail, accountId) => ec2Resources([read(schema, detail.requestParameters)?.[param] as string | undefined], detail, accountId);
}

/** EC2 resources listed in `<field>.items[].<key>` of the request or the response. */
function ec2ByItems(part: "requestParameters" | "responseElements", field: string, key: string): Resolver {
  const schema = z.looseObject({ [field]: items(z.looseObject({ [key]: id })) });
  return (detail, accountId) => {
    const list = (read(schema, detail[part])?.[field] as { items: Record<string, string>[] } | undefined)?.items ?? [];
    return ec2Resources(list.map((i) => i[key]), detail, accountId);
  };
}

/** The resource created by the call, named in the response, e.g. `vpc.vpcId`. */
function ec2ByResponse(field: string, key: string): Resolver {
  const schema = z.looseObject({ [field]: z.looseObject({ [key]: id }) });
  return (detail, accountId) => {
    const created = read(schema, detail.responseElements)?.[field] as Record<string, string> | undefined;
    return ec2Resources([created?.[key]], detail, accountId);
  };
}

const groupRequest = z.looseObject({ groupId: id.optional(), groupName: id.optional() });
const ruleSetResponse = z.looseObject({ securityGroupRuleSet: items(z.looseObject({ groupId: id })) });

const securityGroup: Resolver = (detail, accountId) => {
  const req = read(groupRequest, detail.requestParameters);
  // Calls by group name (default VPC) still report the group id in the rules they created.
  const groupId = req?.groupId ?? read(ruleSetResponse, detail.responseElements)?.securityGroupRuleSet.items[0]?.groupId;
  if (groupId !== undefined) return ec2Resources([groupId], detail, accountId);
  return req?.groupName !== undefined ? [{ resourceType: "AWS::EC2::SecurityGroup", physicalId: req.groupName }] : [];
};

const modifyRulesRequest = z.looseObject({ ModifySecurityGroupRulesRequest: z.looseObject({ GroupId: id }) });
const modifiedRules: Resolver = (detail, accountId) =>
  ec2Resources([read(modifyRulesRequest, detail.requestParameters)?.ModifySecurityGroupRulesRequest.GroupId], detail, accountId);

const createdGroup: Resolver = (detail, accountId) =>
  ec2Resources([read(z.looseObject({ groupId: id }), detail.responseElements)?.groupId], detail, accountId);

/**
 * An IAM entity named by one request parameter; its name (or, for managed policies, its ARN) is
 * CloudFormation's physical id. The ARN is left out: the call does not show the entity's path.
 */
function iam(param: string, resourceType: string): Resolver {
  const schema = z.looseObject({ [param]: id });
  return (detail) => {
    const physicalId = read(schema, detail.requestParameters)?.[param] as string | undefined;
    return physicalId === undefined ? [] : [{ resourceType, physicalId }];
  };
}

const bucketRequest = z.looseObject({ bucketName: id });
const bucket: Resolver = (detail, accountId) => {
  const req = read(bucketRequest, detail.requestParameters);
  if (!req) return [];
  return [{ resourceType: "AWS::S3::Bucket", physicalId: req.bucketName, arn: resourceArn("AWS::S3::Bucket", req.bucketName, { accountId, region: detail.awsRegion }) }];
};

/**
 * One resolver per kind the event catalogue (config/events.ts) names; the compiler holds the two
 * to the same set of kinds. Route and network-ACL entry events have none: their CloudFormation
 * resources (AWS::EC2::Route, AWS::EC2::NetworkAclEntry) cannot be found from the call's
 * parameters by physical id.
 */
const BY_KIND: Readonly<Record<ResolverKind, Resolver>> = {
  securityGroup,
  modifiedRules,
  createdSecurityGroup: createdGroup,
  createdVpc: ec2ByResponse("vpc", "vpcId"),
  vpc: ec2ByRequest("vpcId"),
  createdSubnet: ec2ByResponse("subnet", "subnetId"),
  subnet: ec2ByRequest("subnetId"),
  launchedInstances: ec2ByItems("responseElements", "instancesSet", "instanceId"),
  listedInstances: ec2ByItems("requestParameters", "instancesSet", "instanceId"),
  instance: ec2ByRequest("instanceId"),
  taggedResources: ec2ByItems("requestParameters", "resourcesSet", "resourceId"),
  role: iam("roleName", "AWS::IAM::Role"),
  user: iam("userName", "AWS::IAM::User"),
  group: iam("groupName", "AWS::IAM::Group"),
  managedPolicy: iam("policyArn", "AWS::IAM::ManagedPolicy"),
  bucket,
};

/** Every event name driftguard can act on, with its resolver: derived from the event catalogue. */
export const RESOLVERS: Readonly<Record<string, Resolver>> = Object.fromEntries(
  RESOLVED_EVENT_NAMES.map((name) => [name, BY_KIND[EVENT_CATALOGUE[name].resolver]]),
);

export function hasResolver(eventName: string): boolean {
  return Object.hasOwn(RESOLVERS, eventName);
}

/** The resources a call changed, without duplicates; empty when the event does not say. */
export function resolveResources(detail: CloudTrailDetail, accountId: string): AffectedResource[] {
  const resolver = Object.hasOwn(RESOLVERS, detail.eventName) ? RESOLVERS[detail.eventName] : undefined;
  if (!resolver) return [];
  const seen = new Set<string>();
  return resolver(detail, accountId).filter((r) => {
    const key = `${r.resourceType}|${r.physicalId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
