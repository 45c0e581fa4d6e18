import type { StackResourceDrift } from "@aws-sdk/client-cloudformation";
import { toResourceDrift } from "../../../functions/aws/cfn-drift.js";

/**
 * DescribeStackResourceDrifts entries as CloudFormation returns them: ExpectedProperties and
 * ActualProperties are JSON strings, PropertyDifferences carry the literal "null" for a side
 * that has no value.
 */

const STACK_ID = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-core/5f1e6a30-9b7d-11ef-8d3a-0affd1a2b3c4";
const TIMESTAMP = new Date("2026-03-02T09:14:07.512Z");

export const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
export const SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
export const CW_AGENT = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy";

export const TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

export const READ_ARTIFACTS = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::payments-artifacts/*" }],
};

export const WIDENED_READ_ARTIFACTS = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
};

/** The role gained AdministratorAccess, lost CloudWatchAgentServerPolicy, and its inline statement was widened. */
export const iamRoleDriftRaw: StackResourceDrift = {
  StackId: STACK_ID,
  LogicalResourceId: "AppInstanceRole",
  PhysicalResourceId: "payments-core-AppInstanceRole-1XK2L3M4N5O6P",
  ResourceType: "AWS::IAM::Role",
  ExpectedProperties: JSON.stringify({
    AssumeRolePolicyDocument: TRUST_POLICY,
    Description: "Instance role for the payments API",
    ManagedPolicyArns: [SSM_CORE, CW_AGENT],
    MaxSessionDuration: 3600,
    Policies: [{ PolicyDocument: READ_ARTIFACTS, PolicyName: "read-artifacts" }],
    Tags: [{ Key: "team", Value: "payments" }],
  }),
  ActualProperties: JSON.stringify({
    AssumeRolePolicyDocument: TRUST_POLICY,
    Description: "Instance role for the payments API",
    ManagedPolicyArns: [ADMIN, SSM_CORE],
    MaxSessionDuration: 3600,
    Policies: [{ PolicyDocument: WIDENED_READ_ARTIFACTS, PolicyName: "read-artifacts" }],
    Tags: [{ Key: "team", Value: "payments" }],
  }),
  PropertyDifferences: [
    { PropertyPath: "/ManagedPolicyArns/0", ExpectedValue: "null", ActualValue: ADMIN, DifferenceType: "ADD" },
    { PropertyPath: "/ManagedPolicyArns/1", ExpectedValue: CW_AGENT, ActualValue: "null", DifferenceType: "REMOVE" },
    { PropertyPath: "/Policies/0/PolicyDocument/Statement/0/Action", ExpectedValue: "s3:GetObject", ActualValue: "s3:*", DifferenceType: "NOT_EQUAL" },
    {
      PropertyPath: "/Policies/0/PolicyDocument/Statement/0/Resource",
      ExpectedValue: "arn:aws:s3:::payments-artifacts/*",
      ActualValue: "*",
      DifferenceType: "NOT_EQUAL",
    },
  ],
  StackResourceDriftStatus: "MODIFIED",
  Timestamp: TIMESTAMP,
};

export const SG_ID = "sg-0a1b2c3d4e5f60718";

/** The template of securityGroupDriftRaw's group (its ExpectedProperties), for tests that deploy it in the sandbox (in the default VPC). */
export const SECURITY_GROUP_TEMPLATE = {
  Resources: {
    WebSecurityGroup: {
      Type: "AWS::EC2::SecurityGroup",
      Properties: {
        GroupDescription: "Web tier",
        SecurityGroupIngress: [{ CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: 443, IpProtocol: "tcp", ToPort: 443 }],
        Tags: [{ Key: "Name", Value: "payments-web" }],
      },
    },
  },
};

/** Someone opened 22/tcp to the world on the web tier's group. */
export const securityGroupDriftRaw: StackResourceDrift = {
  StackId: STACK_ID,
  LogicalResourceId: "WebSecurityGroup",
  PhysicalResourceId: SG_ID,
  ResourceType: "AWS::EC2::SecurityGroup",
  ExpectedProperties: JSON.stringify({
    GroupDescription: "Web tier",
    SecurityGroupIngress: [{ CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: 443, IpProtocol: "tcp", ToPort: 443 }],
    Tags: [{ Key: "Name", Value: "payments-web" }],
    VpcId: "vpc-0c80f2c9f367876c4",
  }),
  ActualProperties: JSON.stringify({
    GroupDescription: "Web tier",
    SecurityGroupIngress: [
      { CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: 443, IpProtocol: "tcp", ToPort: 443 },
      { CidrIp: "0.0.0.0/0", FromPort: 22, IpProtocol: "tcp", ToPort: 22 },
    ],
    Tags: [{ Key: "Name", Value: "payments-web" }],
    VpcId: "vpc-0c80f2c9f367876c4",
  }),
  PropertyDifferences: [
    {
      PropertyPath: "/SecurityGroupIngress/1",
      ExpectedValue: "null",
      ActualValue: '{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}',
      DifferenceType: "ADD",
    },
  ],
  StackResourceDriftStatus: "MODIFIED",
  Timestamp: TIMESTAMP,
};

export const BUCKET = "payments-ledger-111122223333";
export const LEDGER_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** DeleteBucketEncryption: S3 falls back to SSE-S3, so the KMS default encryption is gone. */
export const bucketDriftRaw: StackResourceDrift = {
  StackId: STACK_ID,
  LogicalResourceId: "LedgerBucket",
  PhysicalResourceId: BUCKET,
  ResourceType: "AWS::S3::Bucket",
  ExpectedProperties: JSON.stringify({
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { KMSMasterKeyID: LEDGER_KEY, SSEAlgorithm: "aws:kms" } }],
    },
    BucketName: BUCKET,
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    Tags: [{ Key: "data-class", Value: "confidential" }],
    VersioningConfiguration: { Status: "Enabled" },
  }),
  ActualProperties: JSON.stringify({
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: false, ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
    BucketName: BUCKET,
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    Tags: [{ Key: "data-class", Value: "confidential" }],
    VersioningConfiguration: { Status: "Enabled" },
  }),
  PropertyDifferences: [
    {
      PropertyPath: "/BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled",
      ExpectedValue: "true",
      ActualValue: "false",
      DifferenceType: "NOT_EQUAL",
    },
    {
      PropertyPath: "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID",
      ExpectedValue: LEDGER_KEY,
      ActualValue: "null",
      DifferenceType: "REMOVE",
    },
    {
      PropertyPath: "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
      ExpectedValue: "aws:kms",
      ActualValue: "AES256",
      DifferenceType: "NOT_EQUAL",
    },
  ],
  StackResourceDriftStatus: "MODIFIED",
  Timestamp: TIMESTAMP,
};

export const queueDriftRaw: StackResourceDrift = {
  StackId: STACK_ID,
  LogicalResourceId: "SettlementQueue",
  PhysicalResourceId: "https://sqs.us-east-1.amazonaws.com/111122223333/payments-core-SettlementQueue-Ab12Cd34",
  ResourceType: "AWS::SQS::Queue",
  ExpectedProperties: JSON.stringify({ VisibilityTimeout: 30 }),
  ActualProperties: JSON.stringify({ VisibilityTimeout: 60 }),
  PropertyDifferences: [{ PropertyPath: "/VisibilityTimeout", ExpectedValue: "30", ActualValue: "60", DifferenceType: "NOT_EQUAL" }],
  StackResourceDriftStatus: "MODIFIED",
  Timestamp: TIMESTAMP,
};

export const deletedTopicRaw: StackResourceDrift = {
  StackId: STACK_ID,
  LogicalResourceId: "AlertsTopic",
  PhysicalResourceId: "arn:aws:sns:us-east-1:111122223333:payments-core-AlertsTopic-9ZYX8WVU",
  ResourceType: "AWS::SNS::Topic",
  ExpectedProperties: JSON.stringify({ DisplayName: "alerts" }),
  PropertyDifferences: [],
  StackResourceDriftStatus: "DELETED",
  Timestamp: TIMESTAMP,
};

export const iamRoleDrift = () => toResourceDrift(iamRoleDriftRaw);
export const securityGroupDrift = () => toResourceDrift(securityGroupDriftRaw);
export const bucketDrift = () => toResourceDrift(bucketDriftRaw);
export const queueDrift = () => toResourceDrift(queueDriftRaw);
export const deletedTopicDrift = () => toResourceDrift(deletedTopicRaw);

/** DetectStackResourceDrift's answer once the resource matches its template again. */
export function inSync(raw: StackResourceDrift): StackResourceDrift {
  return { ...raw, ActualProperties: raw.ExpectedProperties, PropertyDifferences: [], StackResourceDriftStatus: "IN_SYNC" };
}
