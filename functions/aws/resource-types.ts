import { partitionOf } from "../config/regions.js";

/**
 * What driftguard knows about each CloudFormation resource type, in one table: the service
 * (ARN segment), how the ARN follows from CloudFormation's physical id, and for EC2 the id
 * prefix that tells one kind of id from another. The event resolver, the tag reader and the
 * security-group lookup all read it here, so a new type is one row.
 *
 * ARN formats: Service Authorization Reference, "Resource types defined by <service>"; EC2 id
 * prefixes: EC2 API Reference (e.g. `sg-` for GroupId, `vpc-` for VpcId).
 */

export interface ArnScope {
  accountId: string;
  region: string;
}

export interface ResourceType {
  cfnType: string;
  /** The ARN's service segment. */
  service: string;
  /** The ARN's resource part from the physical id; absent when the id does not determine it (IAM paths). */
  arnResource?: (physicalId: string) => string;
  /** The ARN has no region or account (S3 buckets). */
  global?: boolean;
  /** EC2 ids start with it; resolving an id by prefix only works for types that have one. */
  idPrefix?: string;
}

const ec2 = (cfnType: string, idPrefix: string, arnType: string): ResourceType => ({
  cfnType,
  service: "ec2",
  idPrefix,
  arnResource: (id) => `${arnType}/${id}`,
});

export const RESOURCE_TYPES: readonly ResourceType[] = [
  ec2("AWS::EC2::Instance", "i-", "instance"),
  ec2("AWS::EC2::SecurityGroup", "sg-", "security-group"),
  ec2("AWS::EC2::VPC", "vpc-", "vpc"),
  ec2("AWS::EC2::Subnet", "subnet-", "subnet"),
  ec2("AWS::EC2::Volume", "vol-", "volume"),
  ec2("AWS::EC2::InternetGateway", "igw-", "internet-gateway"),
  ec2("AWS::EC2::RouteTable", "rtb-", "route-table"),
  ec2("AWS::EC2::NetworkInterface", "eni-", "network-interface"),
  ec2("AWS::EC2::NetworkAcl", "acl-", "network-acl"),
  ec2("AWS::EC2::NatGateway", "nat-", "natgateway"),
  // A rule attachment's physical id is its security group rule id (sgr-…), whose ARN resource type
  // is security-group-rule; no id prefix here, since both directions share "sgr-".
  { cfnType: "AWS::EC2::SecurityGroupIngress", service: "ec2", arnResource: (id) => `security-group-rule/${id}` },
  { cfnType: "AWS::EC2::SecurityGroupEgress", service: "ec2", arnResource: (id) => `security-group-rule/${id}` },
  { cfnType: "AWS::S3::Bucket", service: "s3", global: true, arnResource: (name) => name },
  // The physical id of a queue is its URL; the name is its last path segment.
  { cfnType: "AWS::SQS::Queue", service: "sqs", arnResource: (url) => url.slice(url.lastIndexOf("/") + 1) },
  { cfnType: "AWS::Lambda::Function", service: "lambda", arnResource: (id) => `function:${id}` },
  { cfnType: "AWS::DynamoDB::Table", service: "dynamodb", arnResource: (id) => `table/${id}` },
  { cfnType: "AWS::KMS::Key", service: "kms", arnResource: (id) => `key/${id}` },
  { cfnType: "AWS::Logs::LogGroup", service: "logs", arnResource: (id) => `log-group:${id}` },
  // IAM names do not carry the entity's path, so the ARN cannot be built from them.
  { cfnType: "AWS::IAM::Role", service: "iam" },
  { cfnType: "AWS::IAM::User", service: "iam" },
  { cfnType: "AWS::IAM::Group", service: "iam" },
  { cfnType: "AWS::IAM::ManagedPolicy", service: "iam" },
  // An inline policy has no ARN of its own.
  { cfnType: "AWS::IAM::RolePolicy", service: "iam" },
];

const BY_CFN_TYPE = new Map(RESOURCE_TYPES.map((t) => [t.cfnType, t]));

export function resourceType(cfnType: string): ResourceType | undefined {
  return BY_CFN_TYPE.get(cfnType);
}

/** The EC2 type an id belongs to, by its prefix; undefined for ids of kinds driftguard does not track. */
export function ec2TypeOfId(id: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.idPrefix !== undefined && id.startsWith(t.idPrefix));
}

/** The resource's ARN when the physical id is one or the type's table row can build it. */
export function resourceArn(cfnType: string, physicalId: string, scope: ArnScope): string | undefined {
  if (physicalId.startsWith("arn:")) return physicalId;
  const type = BY_CFN_TYPE.get(cfnType);
  if (type?.arnResource === undefined) return undefined;
  const where = type.global ? ":" : `${scope.region}:${scope.accountId}`;
  return `arn:${partitionOf(scope.region)}:${type.service}:${where}:${type.arnResource(physicalId)}`;
}
