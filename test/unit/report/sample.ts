import { buildReport } from "../../../functions/report/build.js";
import type { AccountReport, ErrorInfo, OrganizationSnapshot, ResourceReport, RunReport } from "../../../functions/core/types.js";
import { testConfig } from "../../support/config.js";
import { resourceDrift } from "../../support/drift.js";

export const config = testConfig(`
accounts:
  - { id: "222222222222", name: payments-prod, mode: remediate }
  - { id: "333333333333", name: data-dev }
`);

const stackArn = (account: string, name: string) => `arn:aws:cloudformation:us-east-1:${account}:stack/${name}/d0a825a0-e4cd-11ee-b9fb-061c69e99204`;

/**
 * A resource row; its differences are what CloudFormation reports between `expected` and
 * `actual` (test/support/drift.ts), unless the row gives its own (a cited AWS payload, or a
 * row whose properties are not the point).
 */
export function resource(overrides: Partial<ResourceReport> = {}): ResourceReport {
  const row: ResourceReport = {
    logicalResourceId: "AppRole",
    physicalResourceId: "payments-api-AppRole-1R2XMPL3Q4W5E",
    resourceType: "AWS::IAM::Role",
    status: "MODIFIED",
    expected: { ManagedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"] },
    actual: { ManagedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/AdministratorAccess"] },
    differences: [],
    detectedAt: "2026-01-02T03:05:00.000Z",
    exemption: { kind: "none" },
    action: {
      outcome: "remediated",
      reason: "detached arn:aws:iam::aws:policy/AdministratorAccess",
      steps: ["iam:DetachRolePolicy RoleName=payments-api-AppRole-1R2XMPL3Q4W5E PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess"],
      by: "AWS::IAM::Role",
    },
    changedBy: { arn: "arn:aws:sts::222222222222:assumed-role/Admin/alice", type: "AssumedRole", sourceIp: "203.0.113.7", eventName: "AttachRolePolicy", eventTime: "2026-01-02T02:00:00Z", source: "cloudtrail-lookup" },
    ...overrides,
  };
  if (overrides.differences !== undefined || row.expected === undefined || row.actual === undefined) return row;
  const drift = resourceDrift({ stackId: stackArn("222222222222", "payments-api"), logicalResourceId: row.logicalResourceId, physicalResourceId: row.physicalResourceId, resourceType: row.resourceType, expected: row.expected, actual: row.actual });
  return { ...row, differences: drift.differences };
}

/** Every status, outcome, exemption kind and optional field the report can carry. */
export function sampleAccounts(): AccountReport[] {
  return [
    {
      accountId: "222222222222",
      name: "payments-prod",
      status: "scanned",
      mode: "remediate",
      organizationalUnit: "ou-ab12-prod0001",
      enabledRegions: ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"],
      regions: [
        {
          region: "us-east-1",
          status: "scanned",
          stacks: [
            {
              stackName: "payments-api",
              stackId: stackArn("222222222222", "payments-api"),
              stackStatus: "UPDATE_COMPLETE",
              scan: "scanned",
              driftStatus: "DRIFTED",
              exemption: { kind: "expired", reason: "INC-1", until: "2025-12-31", on: "stack" },
              resources: [
                resource({
                  action: {
                    ...resource().action,
                    securityCritical: [{ class: "admin-policy", detail: "attached arn:aws:iam::aws:policy/AdministratorAccess" }],
                    contested: { scans: 3, lastRepairedAt: "2026-01-01T03:05:00.000Z", changedBy: ["arn:aws:sts::222222222222:assumed-role/Admin/alice"] },
                  },
                }),
                resource({
                  logicalResourceId: "WebSg",
                  resourceType: "AWS::EC2::SecurityGroup",
                  physicalResourceId: "sg-0a1b2c3d4e5f67890",
                  exemption: {
                    kind: "exempt",
                    reason: "INC-123 break-glass",
                    until: "2026-12-31",
                    on: "resource",
                    setBy: { arn: "arn:aws:sts::222222222222:assumed-role/Admin/bob", eventName: "CreateTags", eventTime: "2026-01-01T09:00:00Z", source: "cloudtrail-lookup" },
                  },
                  action: { outcome: "skipped", reason: "exempt until 2026-12-31: INC-123 break-glass", steps: [] },
                  changedBy: undefined,
                }),
                resource({
                  logicalResourceId: "Bucket",
                  resourceType: "AWS::S3::Bucket",
                  physicalResourceId: "payments-api-bucket-1vc62xmplgguf",
                  exemption: { kind: "invalid", raw: "until=tomorrow", problem: "until must be a date YYYY-MM-DD", on: "resource" },
                  action: {
                    outcome: "failed",
                    reason: "verification found a remaining difference",
                    steps: ["s3:PutBucketVersioning Status=Enabled"],
                    remaining: [{ propertyPath: "/VersioningConfiguration/Status", expectedValue: "Enabled", actualValue: "Suspended", differenceType: "NOT_EQUAL" }],
                  },
                  changedBy: undefined,
                }),
                // Shape of cloudformation-coverage-roadmap#2557: an account-id principal read back as its root ARN.
                resource({
                  logicalResourceId: "TrustRole",
                  physicalResourceId: "payments-api-TrustRole-9XMPL",
                  expected: { AssumeRolePolicyDocument: { Statement: [{ Effect: "Allow", Principal: { AWS: "222222222222" }, Action: "sts:AssumeRole" }] } },
                  actual: { AssumeRolePolicyDocument: { Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: "sts:AssumeRole" }] } },
                  differences: [{ propertyPath: "/AssumeRolePolicyDocument/Statement/0/Principal/AWS", expectedValue: "222222222222", actualValue: "arn:aws:iam::222222222222:root", differenceType: "NOT_EQUAL" }],
                  falsePositives: [{ propertyPath: "/AssumeRolePolicyDocument/Statement/0/Principal/AWS", differenceType: "NOT_EQUAL", classes: ["account-id-principal"], roadmapIssues: [2557] }],
                  action: { outcome: "in-sync", reason: "false positive: account-id-principal (cloudformation-coverage-roadmap#2557)", steps: [] },
                  changedBy: undefined,
                }),
                resource({
                  logicalResourceId: "TaggedBucket",
                  resourceType: "AWS::S3::Bucket",
                  physicalResourceId: "payments-api-taggedbucket-1xmpl",
                  expected: { Tags: [{ Key: "cost-center", Value: "payments" }] },
                  actual: { Tags: [{ Key: "cost-center", Value: "finance" }] },
                  ignored: [{ propertyPath: "/Tags/0/Value", differenceType: "NOT_EQUAL", reason: "cost-center tags are set by FinOps", rule: "/Tags", until: "2026-12-31" }],
                  action: { outcome: "ignored", reason: "ignored by accounts.yaml: /Tags/0/Value (cost-center tags are set by FinOps, until 2026-12-31)", steps: [] },
                  changedBy: undefined,
                }),
              ],
              unchecked: [
                { logicalResourceId: "AlarmTopicSubscription", resourceType: "AWS::SNS::Subscription", status: "NOT_CHECKED" },
                { logicalResourceId: "Dashboard", resourceType: "AWS::CloudWatch::Dashboard", status: "UNKNOWN" },
              ],
              stackAction: { outcome: "planned", reason: "REVERT_DRIFT change set", steps: ["cloudformation:CreateChangeSet DeploymentMode=REVERT_DRIFT"], by: "revert-drift-change-set" },
            },
            {
              stackName: "payments-api-Queues-1A2B",
              stackId: stackArn("222222222222", "payments-api-Queues-1A2B"),
              stackStatus: "UPDATE_COMPLETE",
              parentStackId: stackArn("222222222222", "payments-api"),
              scan: "scanned",
              driftStatus: "DRIFTED",
              detectionStatusReason: "Failed to detect drift on resource [Policy]: Internal Failure",
              exemption: { kind: "none" },
              resources: [
                resource({
                  logicalResourceId: "WorkQueue",
                  resourceType: "AWS::SQS::Queue",
                  status: "DELETED",
                  actual: undefined,
                  differences: [],
                  action: { outcome: "manual", reason: "deleted out of band; redeploy the stack", steps: [] },
                  changedBy: undefined,
                }),
                resource({ logicalResourceId: "Fn", resourceType: "AWS::Lambda::Function", action: { outcome: "planned", reason: "would restore /Timeout", steps: [] }, changedBy: undefined }),
                resource({
                  logicalResourceId: "FnRole",
                  action: { outcome: "skipped", reason: "blast radius: one more repair would exceed the limit of 10 per account in 222222222222 (10 made)", steps: ["iam:DetachRolePolicy"], guard: "blast-radius" },
                  changedBy: undefined,
                }),
              ],
            },
            {
              stackName: "core-network",
              scan: "scanned",
              driftStatus: "IN_SYNC",
              exemption: { kind: "none" },
              resources: [],
              uncheckedError: { code: "Throttling", message: "Rate exceeded" },
            },
            {
              stackName: "payments-api-Search-9Z8Y",
              parentStackId: stackArn("222222222222", "payments-api"),
              scan: "not-scanned",
              scanReason: "not started: the run stopped starting new work before the Lambda deadline",
              exemption: { kind: "none" },
              resources: [],
            },
            { stackName: "old-attempt", stackStatus: "ROLLBACK_COMPLETE", scan: "skipped", scanReason: "status ROLLBACK_COMPLETE does not allow drift detection", exemption: { kind: "none" }, resources: [] },
            { stackName: "gone", scan: "failed", error: { code: "ValidationError", message: "Stack with id gone does not exist" }, exemption: { kind: "none" }, resources: [] },
            { stackName: "late", scan: "not-scanned", scanReason: "not started: the run stopped starting new work before the Lambda deadline", exemption: { kind: "none" }, resources: [] },
          ],
        },
        { region: "eu-west-1", status: "failed", error: { code: "AccessDenied", message: "explicit deny in a service control policy" }, stacks: [] },
        {
          region: "eu-north-1",
          status: "scanned",
          retried: { error: { code: "ServiceUnavailable", message: "Service Unavailable" }, outcome: "recovered" },
          stacks: [],
          unmanaged: {
            status: "partial",
            listed: [{ resourceType: "AWS::EC2::SecurityGroup", count: 3, managed: 1 }],
            findings: [
              {
                guardrail: "open-ingress",
                resourceType: "AWS::EC2::SecurityGroup",
                physicalId: "sg-0a1b2c3d4e5f60718",
                exemption: { kind: "none" },
                action: { outcome: "remediated", reason: "security group sg-0a1b2c3d4e5f60718 allowed tcp 22 from 0.0.0.0/0", steps: ["RevokeSecurityGroupIngress GroupId=sg-0a1b2c3d4e5f60718 tcp 22 from 0.0.0.0/0"], by: "guardrail:open-ingress" },
                at: "2026-04-01T06:01:10.000Z",
                createdBy: { arn: "arn:aws:iam::222222222222:user/bob", eventName: "CreateSecurityGroup", eventTime: "2026-03-02T10:00:00Z", source: "cloudtrail-lookup" },
              },
            ],
            notSwept: [{ resourceType: "AWS::EC2::Instance", reason: "listing failed after 0 resource(s): UnauthorizedOperation", error: { code: "UnauthorizedOperation", message: "You are not authorized to perform this operation." } }],
          },
        },
        { region: "eu-central-1", status: "not-scanned", stacks: [] },
      ],
    },
    { accountId: "333333333333", name: "data-dev", status: "failed", mode: "report", error: { code: "AccessDenied", message: "cannot assume arn:aws:iam::333333333333:role/driftguard-spoke" }, regions: [] },
    { accountId: "444444444444", name: "suspended-team", status: "suspended", mode: "report", error: { code: "AccountNotActive", message: "Organizations reports account 444444444444 as SUSPENDED; it is not scanned" }, regions: [] },
    { accountId: "555555555555", name: "gone-team", status: "not-in-organization", mode: "report", error: { code: "AccountNotInOrganization", message: "not in the organization" }, regions: [] },
    { accountId: "666666666666", name: "late-team", status: "not-scanned", mode: "report", regions: [{ region: "us-east-1", status: "not-scanned", stacks: [] }] },
  ];
}

const SAMPLE_RUN_ERROR: ErrorInfo = { code: "GuardStateUnreadable", message: "flapping record s3://reports/state/flapping.json unreadable (SyntaxError: Unexpected token)" };

/** The sample run, which by default also met an unreadable flapping record (a run error). */
export function sampleReport(accounts: AccountReport[] = sampleAccounts(), runErrors: ErrorInfo[] = [SAMPLE_RUN_ERROR]): RunReport {
  return buildReport({
    runId: "20260102T030405Z-a1b2c3",
    trigger: "schedule",
    mode: "remediate",
    startedAt: new Date("2026-01-02T03:04:05.000Z"),
    finishedAt: new Date("2026-01-02T03:12:40.000Z"),
    config,
    accounts,
    organization: SAMPLE_ORGANIZATION,
    runErrors,
  });
}

const ROOT = { id: "r-ab12", name: "Root", path: "Root" };
/** The organization of the sample: the onboarded accounts, one member nobody onboarded, the closed one. */
export const SAMPLE_ORGANIZATION: OrganizationSnapshot = {
  available: true,
  members: [
    { accountId: "111111111111", name: "driftguard-hub", state: "ACTIVE", organizationalUnit: ROOT },
    { accountId: "222222222222", name: "payments-prod", state: "ACTIVE", organizationalUnit: { id: "ou-ab12-prod0001", name: "Prod", path: "Root/Prod" } },
    { accountId: "333333333333", name: "data-dev", state: "ACTIVE", organizationalUnit: ROOT },
    { accountId: "444444444444", name: "suspended-team", state: "SUSPENDED", organizationalUnit: ROOT },
    { accountId: "666666666666", name: "late-team", state: "ACTIVE", organizationalUnit: ROOT },
    { accountId: "777777777777", name: "marketing", state: "ACTIVE", organizationalUnit: { id: "ou-ab12-mktg0001", name: "Marketing", path: "Root/Marketing" } },
  ],
};

/** The sample plus one resource whose every field carries HTML and Markdown meant to break out. */
export function hostileReport() {
  const accounts = sampleAccounts();
  accounts[0]!.regions[0]!.stacks[0]!.resources.push(
    resource({
      logicalResourceId: "<script>alert(1)</script>",
      actual: { Description: "``` injected fence", Tags: [{ Key: "owner", Value: "a|b\nc" }] },
      action: { outcome: "planned", reason: 'would restore "x" & <y>', steps: ["echo '<b>'"] },
    }),
  );
  return sampleReport(accounts);
}
