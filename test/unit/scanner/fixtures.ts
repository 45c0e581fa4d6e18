import { stackResourceDrift } from "../../support/drift.js";
import { CloudFormationServiceException, type StackResourceDrift, type StackSummary } from "@aws-sdk/client-cloudformation";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  type Account,
} from "@aws-sdk/client-organizations";
import type { AwsStub } from "aws-sdk-client-mock";
import { STSServiceException } from "@aws-sdk/client-sts";

/** Shapes and values as the real APIs return them (AWS CLI / API reference examples). */

export const silentLogger = () => new Logger({ serviceName: "driftguard-test", logLevel: "SILENT" });

export function orgAccount(id: string, name: string, state: Account["State"] = "ACTIVE"): Account {
  return {
    Id: id,
    Arn: `arn:aws:organizations::111111111111:account/o-example0001/${id}`,
    Email: `aws+${name}@example.com`,
    Name: name,
    Status: state === "CLOSED" || state === "PENDING_ACTIVATION" ? undefined : state,
    State: state,
    JoinedMethod: "INVITED",
    JoinedTimestamp: new Date("2023-03-14T09:12:45.123Z"),
  };
}

/**
 * DescribeOrganization's answer, shaped as the Organizations API Reference example
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html).
 */
export function describeOrganizationOutput(id = "o-example0001") {
  return {
    Organization: {
      Id: id,
      Arn: `arn:aws:organizations::111111111111:organization/${id}`,
      FeatureSet: "ALL" as const,
      MasterAccountArn: `arn:aws:organizations::111111111111:account/${id}/111111111111`,
      MasterAccountId: "111111111111",
      MasterAccountEmail: "bill@example.com",
      AvailablePolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY" as const, Status: "ENABLED" as const }],
    },
  };
}

/** Members all directly under the root, as walkOrganization returns them. */
export function rootMembers(accounts: Account[], root = "r-exam"): { members: { account: Account; parents: string[] }[] } {
  return { members: accounts.map((account) => ({ account, parents: [root] })) };
}

/** An organization (o-example0001) with every member directly under its root, as the organization check and the OU walk read it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mockFlatOrganization(org: AwsStub<any, any, any>, accounts: Account[], root = "r-exam"): void {
  org
    .on(DescribeOrganizationCommand)
    .resolves(describeOrganizationOutput())
    .on(ListRootsCommand)
    .resolves({ Roots: [{ Id: root, Arn: `arn:aws:organizations::111111111111:root/o-example0001/${root}`, Name: "Root", PolicyTypes: [] }] })
    .on(ListOrganizationalUnitsForParentCommand)
    .resolves({ OrganizationalUnits: [] })
    .on(ListAccountsForParentCommand, { ParentId: root })
    .resolves({ Accounts: accounts });
}

export function stackId(account: string, region: string, name: string): string {
  return `arn:aws:cloudformation:${region}:${account}:stack/${name}/d0a825a0-e4cd-11ee-b9fb-061c69e99204`;
}

export function stackSummary(account: string, region: string, name: string, status: StackSummary["StackStatus"] = "CREATE_COMPLETE", parent?: string): StackSummary {
  return {
    StackId: stackId(account, region, name),
    StackName: name,
    TemplateDescription: `${name} stack`,
    CreationTime: new Date("2024-05-01T10:00:00.000Z"),
    LastUpdatedTime: new Date("2024-06-01T10:00:00.000Z"),
    StackStatus: status,
    ...(parent ? { ParentId: stackId(account, region, parent), RootId: stackId(account, region, parent) } : {}),
    DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
  };
}

/** The AWS CLI docs' describe-stack-resource-drifts example: a Lambda function whose memory and timeout changed. */
export function lambdaDrift(account: string, region: string, stack: string): StackResourceDrift {
  return {
    StackId: stackId(account, region, stack),
    LogicalResourceId: "function",
    PhysicalResourceId: "my-function-SEZV4XMPL4S5",
    ResourceType: "AWS::Lambda::Function",
    ExpectedProperties:
      '{"Description":"Write a file to S3.","Environment":{"Variables":{"bucket":"my-stack-bucket-1vc62xmplgguf"}},"Handler":"index.handler","MemorySize":128,"Role":"arn:aws:iam::123456789012:role/my-functionRole-HIZXMPLEOM9E","Runtime":"nodejs20.x","Timeout":900,"TracingConfig":{"Mode":"Active"}}',
    ActualProperties:
      '{"Description":"Write a file to S3.","Environment":{"Variables":{"bucket":"my-stack-bucket-1vc62xmplgguf"}},"Handler":"index.handler","MemorySize":256,"Role":"arn:aws:iam::123456789012:role/my-functionRole-HIZXMPLEOM9E","Runtime":"nodejs20.x","Timeout":22,"TracingConfig":{"Mode":"Active"}}',
    PropertyDifferences: [
      { PropertyPath: "/MemorySize", ExpectedValue: "128", ActualValue: "256", DifferenceType: "NOT_EQUAL" },
      { PropertyPath: "/Timeout", ExpectedValue: "900", ActualValue: "22", DifferenceType: "NOT_EQUAL" },
    ],
    StackResourceDriftStatus: "MODIFIED",
    Timestamp: new Date("2024-10-02T05:58:47.433Z"),
  };
}

/** An IAM role with a managed policy attached out of band. */
/** roleDrift's AppRole as its template declares it, for tests that deploy it in the sandbox and widen it out of band. */
export const APP_ROLE_RESOURCE = {
  Type: "AWS::IAM::Role",
  Properties: {
    AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] },
    ManagedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  },
};

export function roleDrift(account: string, region: string, stack: string): StackResourceDrift {
  const trust = { Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" } }], Version: "2012-10-17" };
  const basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
  return stackResourceDrift({
    stackId: stackId(account, region, stack),
    logicalResourceId: "AppRole",
    physicalResourceId: `${stack}-AppRole-1R2XMPL3Q4W5E`,
    resourceType: "AWS::IAM::Role",
    expected: { AssumeRolePolicyDocument: trust, ManagedPolicyArns: [basic] },
    actual: { AssumeRolePolicyDocument: trust, ManagedPolicyArns: [basic, "arn:aws:iam::aws:policy/AdministratorAccess"] },
    timestamp: new Date("2024-10-02T05:58:48.101Z"),
  });
}

/** A queue deleted out of band: DELETED drifts carry no ActualProperties. */
export function deletedQueueDrift(account: string, region: string, stack: string): StackResourceDrift {
  return {
    StackId: stackId(account, region, stack),
    LogicalResourceId: "WorkQueue",
    PhysicalResourceId: `https://sqs.${region}.amazonaws.com/${account}/${stack}-WorkQueue-9XMPL`,
    ResourceType: "AWS::SQS::Queue",
    ExpectedProperties: '{"VisibilityTimeout":60}',
    PropertyDifferences: [],
    StackResourceDriftStatus: "DELETED",
    Timestamp: new Date("2024-10-02T05:58:49.000Z"),
  };
}

export function cfnError(name: string, message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({ name, $fault: "client", $metadata: { httpStatusCode: 400, requestId: "4e1b0d2a-8b1c-4c2e-9f1d-1f2e3d4c5b6a" }, message });
}

export function detectionInProgressError(id: string): CloudFormationServiceException {
  return cfnError("ValidationError", `Drift detection is already in progress for stack [${id}]`);
}

export function accessDenied(account: string): STSServiceException {
  return new STSServiceException({
    name: "AccessDenied",
    $fault: "client",
    $metadata: { httpStatusCode: 403, requestId: "c6104cbe-af31-11e0-8154-cbc7ccf896c7" },
    message: `User: arn:aws:sts::111111111111:assumed-role/driftguard-hub/driftguard-scan is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${account}:role/driftguard-spoke`,
  });
}

export function assumeRoleOutput(account: string, expiration: Date) {
  return {
    Credentials: {
      AccessKeyId: `ASIA${account}EXAMPLE`,
      SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
      SessionToken: "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
      Expiration: expiration,
    },
    AssumedRoleUser: {
      AssumedRoleId: "AROA3XFRBF535PLBIFPI4:driftguard-run",
      Arn: `arn:aws:sts::${account}:assumed-role/driftguard-spoke/driftguard-run`,
    },
  };
}

