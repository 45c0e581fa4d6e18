import { existsSync, readdirSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import { detectResourceDrift } from "../../../functions/aws/cfn-drift.js";
import { spokeRoleActions } from "../../../functions/permissions.js";
import { createOwnershipLookup, OWNERSHIP_ACTIONS } from "../../../functions/remediation/ownership/lookup.js";
import { REMEDIATORS, remediatorFor } from "../../../functions/remediation/registry.js";
import type { Remediator } from "../../../functions/remediation/types.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { recordActions } from "../../permissions/recorder.js";
import { HUB, ORG_ID, sandboxSpokeClients, spokeSession, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";
import { remediateWith, TEST_SAFETY } from "./helpers.js";

/**
 * The spoke role is built from the declared actions, so a declaration that falls behind the code
 * is a runtime AccessDenied, and one ahead of it a grant nobody uses. These tests derive what each
 * remediator calls by running it: against an in-process sandbox, signed as the synthesized spoke
 * role, every remediator repairs each kind of drift it handles (plan, guards, apply, its own live
 * verification and tag read), and the IAM actions of the commands it sent (named from the SDK's
 * metadata, recorder.ts recordActions) must be exactly what it declares. Paginators, waiters and
 * shared helpers are seen because they all go through `send`.
 */

const ROOT = resolve(import.meta.dirname, "../../..");
const REMEDIATORS_DIR = join(ROOT, "functions/remediation/remediators");
const REGION = "us-east-1";
const TRUST = (service: string) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
const READ = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
const WIDENED = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] };
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
/** A customer managed policy the role's template attaches: its document is read for the invariants before it is attached again. */
const APPROVED = `arn:aws:iam::${WORKLOAD}:policy/meta-approved`;
const rule = (port: number, description: string) => ({ IpProtocol: "tcp", FromPort: port, ToPort: port, CidrIp: "10.0.0.0/8", Description: description });
const permission = (port: number, cidr = "10.0.0.0/8") => ({ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] });

async function remediatorFiles(): Promise<[string, Remediator][]> {
  const found: [string, Remediator][] = [];
  for (const name of readdirSync(REMEDIATORS_DIR).filter((f) => f.endsWith(".ts"))) {
    const mod = (await import(join(REMEDIATORS_DIR, name))) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (REMEDIATORS.includes(value as Remediator)) found.push([join(REMEDIATORS_DIR, name), value as Remediator]);
  }
  return found;
}

/**
 * One stack per remediator, and the hand changes that make it send every call it declares: each
 * kind of item missing, extra and changed. `drift` runs as the account's root, as a person would.
 */
interface DriftCase {
  resourceType: string;
  stack: string;
  logicalId: string;
  template: Record<string, unknown>;
  drift(call: (service: string, action: string, params: Record<string, unknown>) => Promise<any>, ids: Record<string, string>): Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const ROLE_TEMPLATE = {
  Type: "AWS::IAM::Role",
  Properties: {
    RoleName: "meta-role",
    AssumeRolePolicyDocument: TRUST("ec2.amazonaws.com"),
    Description: "payments",
    ManagedPolicyArns: [READ_ONLY, APPROVED],
    Policies: [{ PolicyName: "read", PolicyDocument: READ }],
    Tags: [{ Key: "team", Value: "core" }],
  },
};

const CASES: DriftCase[] = [
  {
    resourceType: "AWS::IAM::Role",
    stack: "meta-role",
    logicalId: "Role",
    template: { Resources: { Role: ROLE_TEMPLATE } },
    async drift(call) {
      const RoleName = "meta-role";
      await call("iam", "UpdateAssumeRolePolicy", { RoleName, PolicyDocument: JSON.stringify(TRUST("lambda.amazonaws.com")) });
      await call("iam", "UpdateRole", { RoleName, Description: "changed", MaxSessionDuration: 3600 });
      await call("iam", "DetachRolePolicy", { RoleName, PolicyArn: READ_ONLY });
      await call("iam", "DetachRolePolicy", { RoleName, PolicyArn: APPROVED });
      const extra = await call("iam", "CreatePolicy", { PolicyName: "meta-extra", PolicyDocument: JSON.stringify(READ) });
      await call("iam", "AttachRolePolicy", { RoleName, PolicyArn: extra.Policy.Arn });
      await call("iam", "PutRolePolicy", { RoleName, PolicyName: "read", PolicyDocument: JSON.stringify(WIDENED) });
      await call("iam", "PutRolePolicy", { RoleName, PolicyName: "extra", PolicyDocument: JSON.stringify(READ) });
      await call("iam", "TagRole", { RoleName, Tags: [{ Key: "team", Value: "other" }] });
    },
  },
  {
    resourceType: "AWS::EC2::SecurityGroup",
    stack: "meta-sg",
    logicalId: "Sg",
    template: {
      Resources: {
        Sg: {
          Type: "AWS::EC2::SecurityGroup",
          Properties: {
            GroupDescription: "web",
            SecurityGroupIngress: [rule(443, "https"), rule(80, "http")],
            SecurityGroupEgress: [rule(443, "out"), rule(80, "out-http")],
            Tags: [{ Key: "team", Value: "core" }],
          },
        },
      },
    },
    async drift(call, { Sg: GroupId }) {
      const rules = (await call("ec2", "DescribeSecurityGroupRules", { Filters: [{ Name: "group-id", Values: [GroupId!] }] })).SecurityGroupRules as { SecurityGroupRuleId: string; IsEgress: boolean; FromPort: number }[];
      const id = (egress: boolean, port: number) => rules.find((r) => r.IsEgress === egress && r.FromPort === port)!.SecurityGroupRuleId;
      await call("ec2", "RevokeSecurityGroupIngress", { GroupId, SecurityGroupRuleIds: [id(false, 80)] });
      await call("ec2", "RevokeSecurityGroupEgress", { GroupId, SecurityGroupRuleIds: [id(true, 80)] });
      await call("ec2", "AuthorizeSecurityGroupIngress", { GroupId, IpPermissions: [permission(5432, "10.1.0.0/16")] });
      await call("ec2", "AuthorizeSecurityGroupEgress", { GroupId, IpPermissions: [permission(5432, "10.1.0.0/16")] });
      await call("ec2", "UpdateSecurityGroupRuleDescriptionsIngress", { GroupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: id(false, 443), Description: "changed" }] });
      await call("ec2", "UpdateSecurityGroupRuleDescriptionsEgress", { GroupId, SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: id(true, 443), Description: "changed" }] });
      await call("ec2", "CreateTags", { Resources: [GroupId], Tags: [{ Key: "team", Value: "other" }] });
    },
  },
  ...(["Ingress", "Egress"] as const).map(
    (direction): DriftCase => ({
      resourceType: `AWS::EC2::SecurityGroup${direction}`,
      stack: `meta-rule-${direction.toLowerCase()}`,
      logicalId: "Rule",
      template: {
        Resources: {
          Group: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "rules" } },
          Rule: {
            Type: `AWS::EC2::SecurityGroup${direction}`,
            Properties: { GroupId: { "Fn::GetAtt": ["Group", "GroupId"] }, IpProtocol: "tcp", FromPort: 8443, ToPort: 8443, CidrIp: "10.0.0.0/8" },
          },
        },
      },
      async drift(call, { Group: GroupId, Rule: ruleId }) {
        await call("ec2", `RevokeSecurityGroup${direction}`, { GroupId, SecurityGroupRuleIds: [ruleId] });
      },
    }),
  ),
  {
    resourceType: "AWS::IAM::RolePolicy",
    stack: "meta-role-policy",
    logicalId: "Policy",
    template: {
      Resources: {
        Role: { Type: "AWS::IAM::Role", Properties: { RoleName: "meta-role-policy", AssumeRolePolicyDocument: TRUST("ec2.amazonaws.com") } },
        Policy: { Type: "AWS::IAM::RolePolicy", Properties: { RoleName: { Ref: "Role" }, PolicyName: "read", PolicyDocument: READ } },
      },
    },
    async drift(call) {
      await call("iam", "PutRolePolicy", { RoleName: "meta-role-policy", PolicyName: "read", PolicyDocument: JSON.stringify(WIDENED) });
    },
  },
  {
    resourceType: "AWS::IAM::ManagedPolicy",
    stack: "meta-managed-policy",
    logicalId: "Policy",
    template: {
      Resources: {
        Role: { Type: "AWS::IAM::Role", Properties: { RoleName: "meta-managed-policy", AssumeRolePolicyDocument: TRUST("ec2.amazonaws.com") } },
        Policy: { Type: "AWS::IAM::ManagedPolicy", Properties: { PolicyDocument: READ, Roles: [{ Ref: "Role" }] } },
      },
    },
    async drift(call, { Policy: PolicyArn }) {
      await call("iam", "DetachRolePolicy", { RoleName: "meta-managed-policy", PolicyArn });
      // A document widened by hand, at IAM's limit of five versions: the restore must delete the
      // oldest non-default version before it creates the template's as the new default.
      for (let v = 2; v <= 5; v++) await call("iam", "CreatePolicyVersion", { PolicyArn, PolicyDocument: JSON.stringify(WIDENED), SetAsDefault: v === 5 });
    },
  },
  {
    resourceType: "AWS::S3::Bucket",
    stack: "meta-bucket",
    logicalId: "Bucket",
    template: {
      Resources: {
        Bucket: {
          Type: "AWS::S3::Bucket",
          Properties: {
            BucketName: "driftguard-meta-bucket-222222222222",
            BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }] },
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
            VersioningConfiguration: { Status: "Enabled" },
            Tags: [{ Key: "team", Value: "core" }],
          },
        },
      },
    },
    async drift(call, { Bucket }) {
      await call("s3", "PutBucketEncryption", { Bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } });
      await call("s3", "PutPublicAccessBlock", {
        Bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: false, BlockPublicPolicy: false, IgnorePublicAcls: false, RestrictPublicBuckets: false },
      });
      await call("s3", "PutBucketVersioning", { Bucket, VersioningConfiguration: { Status: "Suspended" } });
      await call("s3", "PutBucketTagging", { Bucket, Tagging: { TagSet: [{ Key: "team", Value: "other" }] } });
    },
  },
];

describe("remediator registry", () => {
  it("lists every remediator file once, one per resource type", async () => {
    const files = await remediatorFiles();
    expect(files.map(([, r]) => r).sort((a, b) => a.resourceType.localeCompare(b.resourceType))).toEqual(
      [...REMEDIATORS].sort((a, b) => a.resourceType.localeCompare(b.resourceType)),
    );
    expect(new Set(REMEDIATORS.map((r) => r.resourceType)).size).toBe(REMEDIATORS.length);
    expect(remediatorFor("AWS::IAM::Role")?.resourceType).toBe("AWS::IAM::Role");
    expect(remediatorFor("AWS::SQS::Queue")).toBeUndefined();
  });

  it("has a test file for every remediator", async () => {
    for (const [file] of await remediatorFiles()) {
      expect(existsSync(join(ROOT, "test/unit/remediation/remediators", basename(file).replace(/\.ts$/, ".test.ts"))), basename(file)).toBe(true);
    }
  });

  it("puts every remediator action in the spoke role", () => {
    const granted = new Set(spokeRoleActions());
    expect(REMEDIATORS.flatMap((r) => r.actions).filter((a) => !granted.has(a))).toEqual([]);
  });
});

describe("what each remediator sends, run against the sandbox as the spoke role", () => {
  let sandbox: Sandbox;
  let clients: SpokeClients;
  const sent = new Map<string, Set<string>>();
  let ownershipActions: Set<string>;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION, { credentials: spokeSession(sandbox, WORKLOAD, "driftguard") });
    const root = (service: string, action: string, params: Record<string, unknown>) => sandbox.dispatch(WORKLOAD, REGION, service, action, params) as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const safety = { ...TEST_SAFETY, organizationId: ORG_ID, accountIds: new Set([HUB, WORKLOAD]) };
    const ownership = createOwnershipLookup({ accountId: WORKLOAD, regions: [REGION], cloudformationFor: () => clients.cloudformation });

    await root("iam", "CreatePolicy", { PolicyName: "meta-approved", PolicyDocument: JSON.stringify(READ) });
    for (const c of CASES) {
      await root("cloudformation", "CreateStack", { StackName: c.stack, TemplateBody: JSON.stringify(c.template), Capabilities: ["CAPABILITY_NAMED_IAM"] });
      const listed = (await root("cloudformation", "DescribeStackResources", { StackName: c.stack })).StackResources as { LogicalResourceId: string; PhysicalResourceId: string }[];
      await c.drift(root, Object.fromEntries(listed.map((r) => [r.LogicalResourceId, r.PhysicalResourceId])));
    }
    // An attachment that imports its group from another stack's export, so the reader resolves exports too.
    const exporting = { Resources: { Shared: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "shared" } } }, Outputs: { Id: { Value: { "Fn::GetAtt": ["Shared", "GroupId"] }, Export: { Name: "meta-shared-group" } } } };
    const importing = { Resources: { In: { Type: "AWS::EC2::SecurityGroupIngress", Properties: { GroupId: { "Fn::ImportValue": "meta-shared-group" }, IpProtocol: "tcp", FromPort: 9000, ToPort: 9000, CidrIp: "10.0.0.0/8" } } } };
    await root("cloudformation", "CreateStack", { StackName: "meta-export", TemplateBody: JSON.stringify(exporting) });
    await root("cloudformation", "CreateStack", { StackName: "meta-import", TemplateBody: JSON.stringify(importing) });
    // The ownership lookup reads every stack once; its own calls are the attachment reader's.
    ownershipActions = (await recordActions(() => ownership.declaredBy(REGION, "meta-role", "Role"))).actions;

    for (const c of CASES) {
      const remediator = remediatorFor(c.resourceType)!;
      const drift = await detectResourceDrift(clients.cloudformation, c.stack, c.logicalId);
      const owned = await ownership.forResource(REGION, drift.resourceType, drift.physicalResourceId);
      const declared = remediator.attachment ? await ownership.declaredBy(REGION, c.stack, c.logicalId) : undefined;
      // The engine's part of a repair (plan, guards, apply), the remediator's live verification and its tag read.
      const { result, actions } = await recordActions(async () => {
        const action = await remediateWith(remediator, drift, clients, { owned, safety, ...(declared ? { declared } : {}) });
        if (remediator.verifyLive) await remediator.verifyLive({ drift, clients, owned, ...(declared ? { declared } : {}) });
        if (remediator.readTags) await remediator.readTags(drift, clients);
        return action;
      });
      expect(result, `${c.resourceType}: ${JSON.stringify(result)}`).toMatchObject({ outcome: "remediated" });
      sent.set(c.resourceType, new Set([...(sent.get(c.resourceType) ?? []), ...actions]));
    }
  }, 120_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    clients?.destroy();
    await sandbox?.close();
  });

  it("runs a drift case for every registered remediator", () => {
    expect(REMEDIATORS.map((r) => r.resourceType).filter((t) => !sent.has(t))).toEqual([]);
  });

  it("declares exactly the actions each remediator sent while repairing every kind of drift it handles", () => {
    for (const remediator of REMEDIATORS) {
      expect([...remediator.actions].sort(), remediator.resourceType).toEqual([...(sent.get(remediator.resourceType) ?? [])].sort());
    }
  });

  it("declares exactly the actions the attachment reader sends", () => {
    expect([...ownershipActions].sort()).toEqual([...OWNERSHIP_ACTIONS].sort());
  });
});
