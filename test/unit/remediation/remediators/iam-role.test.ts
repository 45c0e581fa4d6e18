import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type Tag,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../../../functions/core/types.js";
import { IN_SYNC_REASON } from "../../../../functions/remediation/plan.js";
import { iamRoleRemediator } from "../../../../functions/remediation/remediators/iam-role.js";
import { ADMIN, CW_AGENT, iamRoleDrift, READ_ARTIFACTS, SSM_CORE, TRUST_POLICY, WIDENED_READ_ARTIFACTS } from "../fixtures.js";
import { awsError, spokeClients, writes, remediateWith } from "../helpers.js";

const iam = mockClient(IAMClient);
const clients = spokeClients();

/** The live role as IAM would hold it after the drift in the fixture. */
interface IamWorld {
  trust: unknown;
  description: string;
  maxSession: number;
  tags: Tag[];
  attached: string[];
  inline: Record<string, unknown>;
}

let world: IamWorld;

function driftedWorld(): IamWorld {
  return {
    trust: TRUST_POLICY,
    description: "Instance role for the payments API",
    maxSession: 3600,
    tags: [{ Key: "team", Value: "payments" }],
    attached: [ADMIN, SSM_CORE],
    inline: { "read-artifacts": WIDENED_READ_ARTIFACTS },
  };
}

/** IAM returns documents URL-encoded. */
const encoded = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));

function installFakeIam() {
  iam.reset();
  iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({
    Role: {
      RoleName,
      Path: "/",
      RoleId: "AROAEXAMPLE",
      Arn: `arn:aws:iam::111122223333:role/${RoleName}`,
      CreateDate: new Date(),
      AssumeRolePolicyDocument: encoded(world.trust),
      Description: world.description,
      MaxSessionDuration: world.maxSession,
      Tags: world.tags,
    },
  }));
  // One policy per page, to exercise the Marker loop.
  iam.on(ListAttachedRolePoliciesCommand).callsFake(({ Marker }) => {
    const i = Marker ? Number(Marker) : 0;
    const arn = world.attached[i];
    const more = i + 1 < world.attached.length;
    return { AttachedPolicies: arn ? [{ PolicyArn: arn, PolicyName: arn.split("/").pop() }] : [], IsTruncated: more, ...(more ? { Marker: String(i + 1) } : {}) };
  });
  iam.on(ListRolePoliciesCommand).callsFake(() => ({ PolicyNames: Object.keys(world.inline), IsTruncated: false }));
  iam.on(GetRolePolicyCommand).callsFake(({ RoleName, PolicyName }) => ({ RoleName, PolicyName, PolicyDocument: encoded(world.inline[PolicyName]) }));
  iam.on(AttachRolePolicyCommand).callsFake(({ PolicyArn }) => void world.attached.push(PolicyArn));
  iam.on(DetachRolePolicyCommand).callsFake(({ PolicyArn }) => void (world.attached = world.attached.filter((a) => a !== PolicyArn)));
  iam.on(PutRolePolicyCommand).callsFake(({ PolicyName, PolicyDocument }) => void (world.inline[PolicyName] = JSON.parse(PolicyDocument)));
  iam.on(DeleteRolePolicyCommand).callsFake(({ PolicyName }) => void delete world.inline[PolicyName]);
  iam.on(UpdateAssumeRolePolicyCommand).callsFake(({ PolicyDocument }) => void (world.trust = JSON.parse(PolicyDocument)));
  iam.on(UpdateRoleCommand).callsFake((input) => {
    if (input.Description !== undefined) world.description = input.Description;
    if (input.MaxSessionDuration !== undefined) world.maxSession = input.MaxSessionDuration;
  });
  iam.on(TagRoleCommand).callsFake(({ Tags }) => {
    for (const t of Tags as Tag[]) world.tags = [...world.tags.filter((x) => x.Key !== t.Key), t];
  });
}

beforeEach(() => {
  world = driftedWorld();
  installFakeIam();
});

function withExpected(patch: Record<string, unknown>, drop: string[] = []): ResourceDrift {
  const drift = iamRoleDrift();
  const expected = { ...drift.expected, ...patch };
  for (const key of drop) delete expected[key];
  return { ...drift, expected };
}

describe("AWS::IAM::Role remediator", () => {
  it("detaches AdministratorAccess, narrows the widened inline policy and re-attaches the lost policy", async () => {
    const result = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: false });

    expect(result.outcome).toBe("remediated");
    expect(result.steps).toEqual([
      `DetachRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P PolicyArn=${ADMIN}`,
      "PutRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P PolicyName=read-artifacts",
      `AttachRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P PolicyArn=${CW_AGENT}`,
    ]);
    expect(result.reason).toBe(`applied: detach ${ADMIN}; restore inline policy read-artifacts; attach ${CW_AGENT}`);
    expect(world.attached.sort()).toEqual([CW_AGENT, SSM_CORE].sort());
    expect(world.inline["read-artifacts"]).toEqual(READ_ARTIFACTS);
    expect(iam.commandCalls(PutRolePolicyCommand)[0]?.args[0].input.PolicyDocument).toBe(JSON.stringify(READ_ARTIFACTS));
  });

  it("detaches every extra managed policy and attaches every missing one (the classic demo: two attached, one detached)", async () => {
    const POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess";
    const IAM_FULL = "arn:aws:iam::aws:policy/IAMFullAccess";
    const XRAY = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
    world = { ...driftedWorld(), attached: [ADMIN, SSM_CORE, POWER_USER, IAM_FULL], inline: { "read-artifacts": READ_ARTIFACTS } };
    const drift = withExpected({ ManagedPolicyArns: [SSM_CORE, CW_AGENT, XRAY] });

    const result = await remediateWith(iamRoleRemediator, drift, clients, { dryRun: false });

    expect(result.outcome).toBe("remediated");
    expect([...world.attached].sort()).toEqual([CW_AGENT, SSM_CORE, XRAY].sort());
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn).sort()).toEqual([ADMIN, IAM_FULL, POWER_USER].sort());
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn).sort()).toEqual([CW_AGENT, XRAY].sort());
    // Nothing the template keeps is touched.
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).not.toContain(SSM_CORE);
  });

  it("deletes every extra inline policy, recreates every missing one and narrows every widened one", async () => {
    const WRITE_LEDGER = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::payments-ledger/*" }] };
    const READ_QUEUE = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: "*" }] };
    world = {
      ...driftedWorld(),
      attached: [SSM_CORE, CW_AGENT],
      inline: { "read-artifacts": WIDENED_READ_ARTIFACTS, "debug-access": WIDENED_READ_ARTIFACTS, "break-glass": WIDENED_READ_ARTIFACTS, "read-queue": READ_QUEUE },
    };
    const drift = withExpected({
      Policies: [
        { PolicyName: "read-artifacts", PolicyDocument: READ_ARTIFACTS },
        { PolicyName: "write-ledger", PolicyDocument: WRITE_LEDGER },
        { PolicyName: "read-queue", PolicyDocument: READ_QUEUE },
        { PolicyName: "write-ledger-2", PolicyDocument: WRITE_LEDGER },
      ],
    });

    const result = await remediateWith(iamRoleRemediator, drift, clients, { dryRun: false });

    expect(result.outcome).toBe("remediated");
    expect(world.inline).toEqual({ "read-artifacts": READ_ARTIFACTS, "write-ledger": WRITE_LEDGER, "read-queue": READ_QUEUE, "write-ledger-2": WRITE_LEDGER });
    expect(iam.commandCalls(DeleteRolePolicyCommand).map((c) => c.args[0].input.PolicyName).sort()).toEqual(["break-glass", "debug-access"]);
    // The unchanged one is not rewritten.
    expect(iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input.PolicyName).sort()).toEqual(["read-artifacts", "write-ledger", "write-ledger-2"]);
  });

  it("restores every drifted managed tag, not only the first", async () => {
    world = { ...driftedWorld(), attached: [SSM_CORE, CW_AGENT], inline: { "read-artifacts": READ_ARTIFACTS } };
    world.tags = [{ Key: "team", Value: "platform" }, { Key: "cost-center", Value: "0000" }];
    const drift = withExpected({ Tags: [{ Key: "team", Value: "payments" }, { Key: "cost-center", Value: "4410" }, { Key: "tier", Value: "api" }] });

    await remediateWith(iamRoleRemediator, drift, clients, { dryRun: false });

    expect([...world.tags].sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: "cost-center", Value: "4410" },
      { Key: "team", Value: "payments" },
      { Key: "tier", Value: "api" },
    ]);
  });

  it("is idempotent: a second run reads, finds nothing to do and sends no write", async () => {
    await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: false });
    iam.resetHistory();

    const second = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: false });

    expect(second).toEqual({ outcome: "skipped", reason: IN_SYNC_REASON, steps: [] });
    expect(writes(iam)).toEqual([]);
    expect(iam.commandCalls(ListAttachedRolePoliciesCommand).length).toBeGreaterThan(0);
  });

  it("dry run lists the same steps and changes nothing", async () => {
    const plan = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: true });

    expect(plan.steps).toHaveLength(3);
    expect(plan.reason).toMatch(/^planned: detach /);
    expect(writes(iam)).toEqual([]);
    expect(world).toEqual(driftedWorld());
  });

  it("compares policy documents by meaning: key order, string vs one-element list, account id vs root ARN", async () => {
    world = { ...driftedWorld(), attached: [SSM_CORE, CW_AGENT] };
    world.inline["read-artifacts"] = { Statement: [{ Resource: ["arn:aws:s3:::payments-artifacts/*"], Action: ["s3:GetObject"], Effect: "Allow" }], Version: "2012-10-17" };
    world.trust = { Version: "2012-10-17", Statement: { Action: ["sts:AssumeRole"], Principal: { AWS: "arn:aws:iam::444455556666:root" }, Effect: "Allow" } };
    const drift = withExpected({
      AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "444455556666" }, Action: "sts:AssumeRole" }] },
    });

    const result = await remediateWith(iamRoleRemediator, drift, clients, { dryRun: false });

    expect(result.outcome).toBe("skipped");
    expect(writes(iam)).toEqual([]);
  });

  it("restores the trust policy, description and max session, in one UpdateRole", async () => {
    world = { ...driftedWorld(), attached: [SSM_CORE, CW_AGENT], inline: { "read-artifacts": READ_ARTIFACTS } };
    world.trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] };
    world.description = "temporary";
    world.maxSession = 43200;

    const result = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: false });

    expect(result.steps).toEqual([
      "UpdateAssumeRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P",
      "UpdateRole RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P Description=Instance role for the payments API MaxSessionDuration=3600",
    ]);
    expect(world.trust).toEqual(TRUST_POLICY);
    expect(iam.commandCalls(UpdateRoleCommand)).toHaveLength(1);
    expect(world).toMatchObject({ description: "Instance role for the payments API", maxSession: 3600 });
  });

  it("deletes inline policies the template does not list, and recreates missing ones", async () => {
    world = { ...driftedWorld(), attached: [SSM_CORE, CW_AGENT], inline: { "debug-access": WIDENED_READ_ARTIFACTS } };

    const result = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: false });

    expect(result.steps).toEqual([
      "DeleteRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P PolicyName=debug-access",
      "PutRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P PolicyName=read-artifacts",
    ]);
    expect(world.inline).toEqual({ "read-artifacts": READ_ARTIFACTS });
  });

  it("leaves attachments and inline policies alone when the template does not set those properties", async () => {
    const drift = withExpected({}, ["ManagedPolicyArns", "Policies"]);

    const result = await remediateWith(iamRoleRemediator, drift, clients, { dryRun: false });

    expect(result.outcome).toBe("skipped");
    expect(iam.commandCalls(ListAttachedRolePoliciesCommand)).toHaveLength(0);
    expect(iam.commandCalls(ListRolePoliciesCommand)).toHaveLength(0);
    expect(world.attached).toContain(ADMIN);
  });

  it("restores managed tags only, keeping tags the template does not set", async () => {
    world = { ...driftedWorld(), attached: [SSM_CORE, CW_AGENT], inline: { "read-artifacts": READ_ARTIFACTS } };
    world.tags = [
      { Key: "team", Value: "platform" },
      { Key: "owner", Value: "alice" },
      { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
    ];
    const drift = withExpected({ Tags: [{ Key: "team", Value: "payments" }, { Key: "aws:cloudformation:logical-id", Value: "AppInstanceRole" }] });

    const result = await remediateWith(iamRoleRemediator, drift, clients, { dryRun: false });

    expect(result.steps).toEqual(["TagRole RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P team=payments"]);
    expect(iam.commandCalls(TagRoleCommand)[0]?.args[0].input.Tags).toEqual([{ Key: "team", Value: "payments" }]);
    expect(world.tags).toEqual(expect.arrayContaining([{ Key: "owner", Value: "alice" }, { Key: "team", Value: "payments" }]));
    expect(writes(iam)).toEqual(["TagRole"]);
  });

  it("reports the failing call and the steps completed before it", async () => {
    iam.on(AttachRolePolicyCommand).rejects(awsError("LimitExceededException", "Cannot exceed quota for PoliciesPerRole: 10"));

    const result = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { dryRun: false });

    expect(result.outcome).toBe("failed");
    expect(result.reason).toBe(
      `LimitExceededException: Cannot exceed quota for PoliciesPerRole: 10 (at AttachRolePolicy RoleName=payments-core-AppInstanceRole-1XK2L3M4N5O6P PolicyArn=${CW_AGENT})`,
    );
    expect(result.steps).toHaveLength(2);
  });

  it("reads the role's tags for the exemption check", async () => {
    world.tags = [{ Key: "driftguard:exempt", Value: "reason=INC-9 until=2026-12-31" }];
    await expect(iamRoleRemediator.readTags?.(iamRoleDrift(), clients)).resolves.toEqual({ "driftguard:exempt": "reason=INC-9 until=2026-12-31" });
  });
});

describe("AWS::IAM::Role remediator with attachments", () => {
  const defaultPolicy = { stackName: "payments-core", logicalId: "AppInstanceRoleDefaultPolicy5FFB7DAB", resourceType: "AWS::IAM::Policy" };
  const managed = { stackName: "payments-shared", logicalId: "ReadLedger1C2D3E4F", resourceType: "AWS::IAM::ManagedPolicy" };
  const LEDGER = "arn:aws:iam::111122223333:policy/payments-shared-ReadLedger1C2D3E4F-1AB";
  const ROLE = "payments-core-AppInstanceRole-1XK2L3M4N5O6P";

  it("keeps the DefaultPolicy and a ManagedPolicy attachment while repairing the real drift", async () => {
    world.inline.AppInstanceRoleDefaultPolicy5FFB7DAB = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" }] };
    world.attached.push(LEDGER);
    const owned = {
      attachments: [
        { kind: "inline-policy" as const, origin: defaultPolicy, role: ROLE, policyName: "AppInstanceRoleDefaultPolicy5FFB7DAB" },
        { kind: "managed-policy" as const, origin: managed, role: ROLE, policyArn: LEDGER },
      ],
    };
    const result = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { owned });

    expect(result.outcome).toBe("remediated");
    expect(result.steps).toEqual([
      `DetachRolePolicy RoleName=${ROLE} PolicyArn=${ADMIN}`,
      `PutRolePolicy RoleName=${ROLE} PolicyName=read-artifacts`,
      `AttachRolePolicy RoleName=${ROLE} PolicyArn=${CW_AGENT}`,
    ]);
    expect(world.attached).toContain(LEDGER);
    expect(Object.keys(world.inline)).toContain("AppInstanceRoleDefaultPolicy5FFB7DAB");
    expect(result.honoured).toEqual([
      `${LEDGER} from AWS::IAM::ManagedPolicy ReadLedger1C2D3E4F in stack payments-shared`,
      "inline policy AppInstanceRoleDefaultPolicy5FFB7DAB from AWS::IAM::Policy AppInstanceRoleDefaultPolicy5FFB7DAB in stack payments-core",
    ]);
  });

  it("detaches nothing when a ManagedPolicy attachment's ARN could not be resolved", async () => {
    const result = await remediateWith(iamRoleRemediator, iamRoleDrift(), clients, { owned: { attachments: [{ kind: "managed-policy", origin: managed, role: ROLE }] } });
    expect(result.outcome).toBe("manual");
    expect(result.reason).toContain(`cannot tell whether a managed policy (ARN unresolved) from AWS::IAM::ManagedPolicy ReadLedger1C2D3E4F in stack payments-shared owns ${ADMIN}`);
    expect(writes(iam)).toEqual([]);
  });

  it("refuses to restore a template that attaches AdministratorAccess, and sends nothing", async () => {
    world.attached = [SSM_CORE, CW_AGENT];
    const result = await remediateWith(iamRoleRemediator, withExpected({ ManagedPolicyArns: [SSM_CORE, CW_AGENT, ADMIN] }), clients);
    expect(result).toMatchObject({ outcome: "refused" });
    expect(result.reason).toMatch(new RegExp(`^would attach ${ADMIN} to ${ROLE}: ${ADMIN} is administrator-equivalent`));
    expect(writes(iam)).toEqual([]);
  });
});
