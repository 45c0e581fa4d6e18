import {
  type Change,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
  ExecuteChangeSetCommand,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { Reservation } from "../../../functions/remediation/guards.js";
import { REMEDIATORS } from "../../../functions/remediation/registry.js";
import { beyondSpokeRole, changeSetName, planRevert, revertDrift } from "../../../functions/remediation/revert-drift.js";
import { type EngineTiming, withDefaults } from "../../../functions/remediation/timing.js";
import { queueDrift, securityGroupDrift } from "./fixtures.js";
import { awsError, TEST_SAFETY } from "./helpers.js";

const cfn = mockClient(CloudFormationClient);
const NAME = "driftguard-revert-20260302T090000Z-a1b2c3";
const drifts = [securityGroupDrift(), queueDrift()];

let sleeps: number[];
let timing: EngineTiming;
let reservations: number[];

const modify = (id: string, type: string, extra: Partial<NonNullable<Change["ResourceChange"]>> = {}): Change => ({
  Type: "Resource",
  ResourceChange: { Action: "Modify", LogicalResourceId: id, ResourceType: type, Replacement: "False", Scope: ["Properties"], ...extra },
});
/**
 * With IncludePropertyValues, each change carries the resource's properties before and after as
 * JSON, scalars as strings (CloudFormation User Guide, "View a change set": the DescribeChangeSet
 * example with BeforeContext/AfterContext): before is the live resource, after the template.
 * Reverting the group takes the added SSH rule away.
 */
const WEB_RULE = { CidrIp: "10.20.0.0/16", Description: "HTTPS from the VPC", FromPort: "443", IpProtocol: "tcp", ToPort: "443" };
const SSH_RULE = { IpProtocol: "tcp", FromPort: "22", ToPort: "22", CidrIp: "0.0.0.0/0" };
const SG_TEMPLATE = { GroupDescription: "Web tier", SecurityGroupIngress: [WEB_RULE], Tags: [{ Key: "Name", Value: "payments-web" }], VpcId: "vpc-0c80f2c9f367876c4" };
const contexts = (before: object, after: object) => ({ BeforeContext: JSON.stringify({ Properties: before }), AfterContext: JSON.stringify({ Properties: after }) });
const SG_CHANGE = modify("WebSecurityGroup", "AWS::EC2::SecurityGroup", {
  PhysicalResourceId: "sg-0a1b2c3d4e5f60718",
  ...contexts({ ...SG_TEMPLATE, SecurityGroupIngress: [WEB_RULE, SSH_RULE] }, SG_TEMPLATE),
});
const QUEUE_CHANGE = modify("SettlementQueue", "AWS::SQS::Queue", contexts({ VisibilityTimeout: "60" }, { VisibilityTimeout: "30" }));

/** The stack's CloudFormation service role; `stack(..., { roleArn: null })` has none. */
const SERVICE_ROLE = "arn:aws:iam::111122223333:role/payments-core-cfn-deploy";

function stack(status: StackStatus, reason?: string, { roleArn = SERVICE_ROLE as string | null } = {}): DescribeStacksCommandOutput {
  return {
    Stacks: [
      {
        StackName: "payments-core",
        ...(roleArn ? { RoleARN: roleArn } : {}),
        StackId: "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-core/5f1e6a30",
        CreationTime: new Date(),
        StackStatus: status,
        ...(reason ? { StackStatusReason: reason } : {}),
        Parameters: [
          { ParameterKey: "Env", ParameterValue: "prod" },
          { ParameterKey: "DbPassword", ParameterValue: "****" },
        ],
      },
    ],
    $metadata: {},
  };
}

/** The change set goes IN_PROGRESS → COMPLETE; its changes come in two pages. */
function changeSetWith(pages: Change[][]) {
  const [first = [], ...rest] = pages;
  const mock = cfn.on(DescribeChangeSetCommand, { NextToken: undefined });
  mock.resolvesOnce({ Status: "CREATE_IN_PROGRESS", ExecutionStatus: "UNAVAILABLE" }).resolves({
    Status: "CREATE_COMPLETE",
    ExecutionStatus: "AVAILABLE",
    Changes: first,
    ...(rest.length ? { NextToken: "page-1" } : {}),
  });
  rest.forEach((changes, i) => {
    cfn.on(DescribeChangeSetCommand, { NextToken: `page-${i + 1}` }).resolves({ Changes: changes, ...(i + 1 < rest.length ? { NextToken: `page-${i + 2}` } : {}) });
  });
}

beforeEach(() => {
  cfn.reset();
  sleeps = [];
  reservations = [];
  timing = withDefaults({ sleep: async (ms) => void sleeps.push(ms), pollMs: 1000, maxPollMs: 4000, changeSetTimeoutMs: 20_000, stackUpdateTimeoutMs: 20_000 });
  install(SERVICE_ROLE);
});

/** The stack (with or without a service role) updates in one poll; change set calls succeed. */
function install(roleArn: string | null): void {
  cfn.reset();
  cfn
    .on(DescribeStacksCommand)
    .resolvesOnce(stack("UPDATE_COMPLETE", undefined, { roleArn }))
    .resolvesOnce(stack("UPDATE_IN_PROGRESS", undefined, { roleArn }))
    .resolves(stack("UPDATE_COMPLETE", undefined, { roleArn }));
  cfn.on(CreateChangeSetCommand).resolves({ Id: `arn:aws:cloudformation:us-east-1:111122223333:changeSet/${NAME}/1`, StackId: "stack-id" });
  cfn.on(ExecuteChangeSetCommand).resolves({});
  cfn.on(DeleteChangeSetCommand).resolves({});
}

const WHERE = { accountId: "111122223333", region: "us-east-1" };
/** A REVERT_DRIFT the precondition held back: no change set created, a person to act. */
const notStarted = (reason: unknown) => ({ kind: "not-executed", action: { outcome: "manual", by: "revert-drift-change-set", steps: [], reason } });
const reserveOk = (count: number): Reservation => (reservations.push(count), { ok: true });
const run = (reserve = reserveOk) =>
  revertDrift({ runId: "20260302T090000Z-a1b2c3", stackName: "payments-core", drifts, cloudformation: new CloudFormationClient({ region: "us-east-1" }), safety: TEST_SAFETY, reserve, timing, where: WHERE });

describe("REVERT_DRIFT change sets", () => {
  it("creates a drift-aware change set on the current template and values, then executes it", async () => {
    changeSetWith([[SG_CHANGE], [QUEUE_CHANGE]]);

    const result = await run();

    expect(cfn.commandCalls(CreateChangeSetCommand)[0]?.args[0].input).toEqual({
      StackName: "payments-core",
      ChangeSetName: NAME,
      ChangeSetType: "UPDATE",
      UsePreviousTemplate: true,
      DeploymentMode: "REVERT_DRIFT",
      Parameters: [
        { ParameterKey: "Env", UsePreviousValue: true },
        { ParameterKey: "DbPassword", UsePreviousValue: true },
      ],
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
      Description: "driftguard run 20260302T090000Z-a1b2c3: revert drift of 2 resource(s)",
    });
    expect(cfn.commandCalls(ExecuteChangeSetCommand)[0]?.args[0].input).toEqual({ StackName: "payments-core", ChangeSetName: NAME });
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(0);
    expect(reservations).toEqual([2]);
    expect(result).toEqual({
      kind: "executed",
      changeSetName: NAME,
      steps: [
        `CreateChangeSet StackName=payments-core ChangeSetName=${NAME} ChangeSetType=UPDATE UsePreviousTemplate=true DeploymentMode=REVERT_DRIFT`,
        `ExecuteChangeSet StackName=payments-core ChangeSetName=${NAME}`,
      ],
      stackStatus: "UPDATE_COMPLETE",
    });
    expect(sleeps).toEqual([1000, 1000]);
  });

  const refusals: [string, Change[][], RegExp][] = [
    ["a replacement", [[modify("WebSecurityGroup", "AWS::EC2::SecurityGroup", { Replacement: "True" })]], /WebSecurityGroup \(AWS::EC2::SecurityGroup\): replacement True/],
    ["a conditional replacement", [[modify("SettlementQueue", "AWS::SQS::Queue", { Replacement: "Conditional" })]], /replacement Conditional/],
    ["a change to a resource that did not drift (on the second page)", [[SG_CHANGE], [modify("ApiFunction", "AWS::Lambda::Function")]], /ApiFunction \(AWS::Lambda::Function\): Modify of a resource that did not drift/],
    ["an addition", [[modify("WebSecurityGroup", "AWS::EC2::SecurityGroup", { Action: "Add" })]], /Add, not an in-place modification/],
    ["a removal", [[modify("SettlementQueue", "AWS::SQS::Queue", { Action: "Remove" })]], /Remove, not an in-place modification/],
  ];

  it.each(refusals)("refuses to execute %s, deletes the change set and says why", async (_name, pages, why) => {
    changeSetWith(pages);

    const result = await run();

    expect(result.kind).toBe("not-executed");
    if (result.kind !== "not-executed") return;
    expect(result.action.outcome).toBe("manual");
    expect(result.action.reason).toMatch(/^refused to execute change set driftguard-revert-/);
    expect(result.action.reason).toMatch(why);
    expect(result.action.steps.at(-1)).toBe(`DeleteChangeSet StackName=payments-core ChangeSetName=${NAME}`);
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
    expect(reservations).toEqual([]);
  });

  it("treats a change set without changes as nothing to revert", async () => {
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "FAILED",
      StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set.",
    });

    const result = await run();

    expect(result).toMatchObject({ kind: "not-executed", action: { outcome: "skipped", reason: expect.stringMatching(/^CloudFormation found nothing to revert/) } });
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
  });

  it("reports a failed change set and deletes it", async () => {
    cfn.on(DescribeChangeSetCommand).resolves({ Status: "FAILED", StatusReason: "Resource handler returned message: Access denied for operation 'ec2:DescribeSecurityGroups'" });
    const result = await run();
    expect(result).toMatchObject({ kind: "not-executed", action: { outcome: "failed", reason: expect.stringMatching(/failed: Resource handler returned message/) } });
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
  });

  describe("convergence: the change set's values must leave each drifted resource in sync", () => {
    const notExecuted = async (pages: Change[][], pattern: RegExp, input = drifts) => {
      changeSetWith(pages);
      const result = await revertDrift({ runId: "20260302T090000Z-a1b2c3", stackName: "payments-core", drifts: input, cloudformation: new CloudFormationClient({ region: "us-east-1" }), safety: TEST_SAFETY, reserve: reserveOk, timing, where: WHERE });
      expect(result).toMatchObject({ kind: "not-executed", action: { outcome: "manual", reason: expect.stringMatching(pattern) } });
      expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
      expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
      expect(reservations).toEqual([]);
    };

    it("does not execute a change set that would also revert a property an ignore rule lets drift", async () => {
      // The decision input of a group whose Name tag is ignored (drift/classify.ts expectedWithIgnored): the
      // live tag is what the template should be taken as; REVERT_DRIFT would put the template's back.
      const live = [{ Key: "Name", Value: "web-renamed-by-ops" }];
      const sg = { ...securityGroupDrift(), expected: { ...securityGroupDrift().expected, Tags: live }, actual: { ...securityGroupDrift().actual, Tags: live } };
      const change = modify("WebSecurityGroup", "AWS::EC2::SecurityGroup", contexts({ ...SG_TEMPLATE, Tags: live, SecurityGroupIngress: [WEB_RULE, SSH_RULE] }, SG_TEMPLATE));
      await notExecuted([[change]], /WebSecurityGroup \(AWS::EC2::SecurityGroup\): CloudFormation would still report .*\/Tags/, [sg]);
    });

    it("does not execute a change set whose values would leave a real difference", async () => {
      const partial = modify("SettlementQueue", "AWS::SQS::Queue", contexts({ VisibilityTimeout: "60" }, { VisibilityTimeout: "45" }));
      await notExecuted([[SG_CHANGE, partial]], /revert would not converge \(SettlementQueue \(AWS::SQS::Queue\): CloudFormation would still report .*VisibilityTimeout/);
    });

    it("does not execute a change set that carries no property values, or leaves a drifted resource out", async () => {
      await notExecuted([[SG_CHANGE, modify("SettlementQueue", "AWS::SQS::Queue")]], /SettlementQueue \(AWS::SQS::Queue\): the change set carries no property values/);
      cfn.resetHistory();
      await notExecuted([[SG_CHANGE]], /SettlementQueue \(AWS::SQS::Queue\): the change set does not change it/);
    });

    it("judges under the false-positive normalisers: a scalar as text and a protocol in another case converge", async () => {
      const upper = modify("WebSecurityGroup", "AWS::EC2::SecurityGroup", contexts(
        { ...SG_TEMPLATE, SecurityGroupIngress: [WEB_RULE, SSH_RULE] },
        { ...SG_TEMPLATE, SecurityGroupIngress: [{ ...WEB_RULE, IpProtocol: "TCP" }] },
      ));
      changeSetWith([[upper, QUEUE_CHANGE]]);
      expect((await run()).kind).toBe("executed");
    });
  });

  it("gives up on a change set that stays in progress, backing off between polls", async () => {
    cfn.on(DescribeChangeSetCommand).resolves({ Status: "CREATE_IN_PROGRESS" });
    const result = await run();
    expect(result).toMatchObject({ kind: "not-executed", action: { outcome: "failed", reason: `change set ${NAME} still CREATE_IN_PROGRESS after 20s` } });
    expect(sleeps).toEqual([1000, 2000, 4000, 4000, 4000, 4000, 4000]);
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
  });

  it("does not execute beyond the blast radius", async () => {
    changeSetWith([[SG_CHANGE, QUEUE_CHANGE]]);
    const result = await run(() => ({ ok: false, reason: "blast radius: 2 more repairs would exceed the limit of 1 per run (0 made)" }));
    expect(result).toMatchObject({ kind: "not-executed", action: { outcome: "skipped", reason: expect.stringMatching(/^blast radius/) } });
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
  });

  it("reports a stack update that rolled back", async () => {
    changeSetWith([[SG_CHANGE, QUEUE_CHANGE]]);
    cfn.on(DescribeStacksCommand)
      .resolvesOnce(stack("UPDATE_COMPLETE"))
      .resolves(stack("UPDATE_ROLLBACK_COMPLETE", "The following resource(s) failed to update: [WebSecurityGroup]."));
    const result = await run();
    expect(result).toMatchObject({ kind: "executed", stackStatus: "UPDATE_ROLLBACK_COMPLETE", statusReason: "The following resource(s) failed to update: [WebSecurityGroup]." });
  });

  // User Guide, "Continue rolling back an update": an UPDATE_ROLLBACK_FAILED stack "can't be updated"; its way out is a person's call.
  it("never starts a change set on an UPDATE_ROLLBACK_FAILED stack: manual, naming ContinueUpdateRollback, in report mode too", async () => {
    const failed = stack("UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [WebSecurityGroup]. ");
    cfn.on(DescribeStacksCommand).resolves(failed);
    const result = await run();
    expect(result).toEqual(
      notStarted(
        "stack payments-core is UPDATE_ROLLBACK_FAILED (The following resource(s) failed to update: [WebSecurityGroup].): CloudFormation cannot update it until its rollback is continued — " +
          "fix what the failed resources' events name and run ContinueUpdateRollback (ResourcesToSkip for those that cannot be rolled back), then the next run reverts its drift",
      ),
    );
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
    expect(reservations).toEqual([]);
    expect(await planRevert(new CloudFormationClient({ region: "us-east-1" }), "20260302T090000Z-a1b2c3", "payments-core", drifts)).toEqual(result.kind === "not-executed" ? result.action : undefined);
  });

  it("does not delete a change set it could not create", async () => {
    cfn.on(CreateChangeSetCommand).rejects(awsError("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]"));
    const result = await run();
    expect(result).toEqual({
      kind: "not-executed",
      action: { outcome: "failed", reason: "InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_IAM]", steps: [], by: "revert-drift-change-set" },
    });
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(0);
  });

  it("names change sets within CloudFormation's rules", () => {
    expect(changeSetName("20260302T090000Z-a1b2c3")).toBe(NAME);
    expect(changeSetName(`run:1_${"x".repeat(200)}`)).toMatch(/^driftguard-revert-run-1-x+$/);
    expect(changeSetName(`run:1_${"x".repeat(200)}`)).toHaveLength(128);
  });

  it("in report mode only describes what it would do, after reading the stack", async () => {
    const plan = await planRevert(new CloudFormationClient({ region: "us-east-1" }), "20260302T090000Z-a1b2c3", "payments-core", drifts);
    expect(plan.outcome).toBe("planned");
    expect(plan.reason).toBe(
      `would create REVERT_DRIFT change set ${NAME} for 2 drifted resource(s) (WebSecurityGroup, SettlementQueue), executed by the stack's service role ${SERVICE_ROLE}, and execute it only if it modifies just those, in place, and its values would leave each in sync`,
    );
    expect(cfn.calls().map((c) => c.args[0].constructor.name)).toEqual(["DescribeStacksCommand"]);
  });
});

describe("REVERT_DRIFT precondition: who would execute the change set", () => {
  const client = () => new CloudFormationClient({ region: "us-east-1" });
  const withoutServiceRole = () => install(null);
  // A difference on a property the security-group remediator does not repair.
  const sgDescriptionDrift = () => {
    const drift = securityGroupDrift();
    return { ...drift, differences: [...drift.differences, { propertyPath: "/GroupDescription", expectedValue: "web", actualValue: "web tier", differenceType: "NOT_EQUAL" as const }] };
  };

  it("with a service role, reverts types the spoke role cannot write: CloudFormation uses the service role", async () => {
    changeSetWith([[SG_CHANGE, QUEUE_CHANGE]]);
    const result = await run();
    expect(result.kind).toBe("executed");
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(1);
  });

  it("without a service role, never starts a change set that would roll back on a type the spoke role cannot write", async () => {
    withoutServiceRole();
    const result = await run();
    expect(result).toEqual(
      notStarted(
        expect.stringMatching(
          /^REVERT_DRIFT change set not started: stack payments-core has no service role, .*SettlementQueue \(AWS::SQS::Queue\): the spoke role cannot write AWS::SQS::Queue\. Give the stack a service role \(RoleARN\)/,
        ),
      ),
    );
    expect(result.kind === "not-executed" && result.action.reason).not.toMatch(/WebSecurityGroup/);
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
    expect(reservations).toEqual([]);

    // Report mode shows the same decision.
    const plan = await planRevert(client(), "20260302T090000Z-a1b2c3", "payments-core", drifts);
    expect(plan).toEqual(result.kind === "not-executed" ? result.action : undefined);
  });

  it("without a service role, reverts when every drifted resource is a type and property the spoke role writes", async () => {
    withoutServiceRole();
    changeSetWith([[SG_CHANGE]]);
    const result = await revertDrift({
      runId: "20260302T090000Z-a1b2c3",
      stackName: "payments-core",
      drifts: [securityGroupDrift()],
      cloudformation: client(),
      safety: TEST_SAFETY,
      reserve: reserveOk,
      timing,
      where: WHERE,
    });
    expect(result.kind).toBe("executed");
    const plan = await planRevert(client(), "20260302T090000Z-a1b2c3", "payments-core", [securityGroupDrift()]);
    expect(plan).toMatchObject({ outcome: "planned", reason: expect.stringContaining("executed by the spoke role (the stack has no service role") });
  });

  it("without a service role, refuses a drifted property outside what the type's remediator writes", async () => {
    withoutServiceRole();
    const plan = await planRevert(client(), "20260302T090000Z-a1b2c3", "payments-core", [sgDescriptionDrift()]);
    expect(plan.outcome).toBe("manual");
    expect(plan.reason).toMatch(/WebSecurityGroup \(AWS::EC2::SecurityGroup\): the spoke role cannot write .*GroupDescription/);
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });

  it("derives what the spoke role writes from the remediator registry, not from a list of its own", () => {
    for (const remediator of REMEDIATORS) {
      const drift = { ...securityGroupDrift(), resourceType: remediator.resourceType, differences: (remediator.properties ?? ["Anything"]).map((p) => ({ propertyPath: `/${p}`, expectedValue: "a", actualValue: "b", differenceType: "NOT_EQUAL" as const })) };
      expect(beyondSpokeRole(drift), remediator.resourceType).toBeUndefined();
    }
    expect(beyondSpokeRole(queueDrift())).toMatch(/cannot write AWS::SQS::Queue/);
  });

  it("fails the plan, loudly, when it cannot read the stack", async () => {
    cfn.reset();
    cfn.on(DescribeStacksCommand).rejects(awsError("AccessDenied", "not authorized to perform: cloudformation:DescribeStacks"));
    const plan = await planRevert(client(), "20260302T090000Z-a1b2c3", "payments-core", drifts);
    expect(plan).toMatchObject({ outcome: "failed", reason: expect.stringMatching(/^cannot tell whether a REVERT_DRIFT change set could succeed: AccessDenied/) });
  });
});
