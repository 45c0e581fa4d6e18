import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  DetectStackResourceDriftCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import type { SecurityGroupRule } from "@aws-sdk/client-ec2";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import type { EffectiveAccount } from "../../../functions/config/resolve.js";
import type { ResourceDrift } from "../../../functions/core/types.js";
import { remediateResource, remediateStack, type StackRemediationInput } from "../../../functions/remediation/engine.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import type { FlappingRecord } from "../../../functions/remediation/flapping-store.js";
import { createGuards, type GuardLimits } from "../../../functions/remediation/guards.js";
import { IN_SYNC_REASON } from "../../../functions/remediation/plan.js";
import { deletedTopicDrift, inSync, queueDrift, queueDriftRaw, SECURITY_GROUP_TEMPLATE, securityGroupDrift, securityGroupDriftRaw } from "./fixtures.js";
import { NO_ATTACHMENTS } from "../../../functions/remediation/ownership/lookup.js";
import { TEST_SAFETY, writes } from "./helpers.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { testConfig } from "../../support/config.js";
import { deployStack, recordSent, sandboxSpokeClients, startTestSandbox, type SentCommands } from "../../support/sandbox.js";

/**
 * The engine's apply path with the security group in the sandbox's EC2 (read, revoked and tagged
 * as the spoke role, rule ids as EC2 gives them); CloudFormation's verification and change sets
 * and the tagging API answer from aws-sdk-client-mock, one canned answer per test.
 */

const cfn = mockClient(CloudFormationClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);

const SPOKE = "111122223333";
const REGION = "us-east-1";
const NOW = new Date("2026-06-15T12:00:00Z");
const PEER = "10.99.0.0/16";
const WORLD_SSH = [{ class: "world-open-ingress", detail: "tcp 22 from 0.0.0.0/0" }];
const CRITICAL_PREFIX = "security-critical: world-open-ingress (tcp 22 from 0.0.0.0/0); ";
const QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:payments-core-SettlementQueue-Ab12Cd34";

let sandbox: Sandbox;
let clients: SpokeClients;
let sent: SentCommands;
let deployed = 0;
/** This test's group and the id EC2 gave its out-of-band SSH rule. */
let group: { id: string; vpcId: string; ssh: string };
let sleeps: number[];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ec2 = (action: string, params: Record<string, unknown>) => sandbox.dispatch(SPOKE, REGION, "ec2", action, params) as Promise<any>;
const sshFrom = (CidrIp: string) => ({ GroupId: group.id, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp }] }] });
async function sshRuleId(): Promise<string> {
  const rules = (await ec2("DescribeSecurityGroupRules", { Filters: [{ Name: "group-id", Values: [group.id] }] })).SecurityGroupRules as SecurityGroupRule[];
  return rules.find((r) => r.FromPort === 22)!.SecurityGroupRuleId!;
}

/** A new stack's group with 22/tcp opened to the world out of band: the fixture's drift, live. */
async function deployDrifted(): Promise<void> {
  const { WebSecurityGroup } = await deployStack(sandbox, SPOKE, REGION, `payments-core-${++deployed}`, SECURITY_GROUP_TEMPLATE);
  const described = (await ec2("DescribeSecurityGroups", { GroupIds: [WebSecurityGroup] })).SecurityGroups[0];
  group = { id: described.GroupId, vpcId: described.VpcId, ssh: "" };
  await ec2("AuthorizeSecurityGroupIngress", sshFrom("0.0.0.0/0"));
  group.ssh = await sshRuleId();
}

/** securityGroupDrift() of this test's group. */
function sgDrift(): ResourceDrift {
  const drift = securityGroupDrift();
  return { ...drift, physicalResourceId: group.id, expected: { ...drift.expected, VpcId: group.vpcId }, actual: { ...drift.actual, VpcId: group.vpcId } };
}
const sshRevoke = (from = "0.0.0.0/0") => `RevokeSecurityGroupIngress GroupId=${group.id} SecurityGroupRuleIds=${group.ssh} (tcp 22 from ${from})`;

/** The same drift with SSH opened to a peer network instead of the world: routine, not security-critical. */
async function peerSshDrift(): Promise<ResourceDrift> {
  await ec2("RevokeSecurityGroupIngress", { GroupId: group.id, SecurityGroupRuleIds: [group.ssh] });
  await ec2("AuthorizeSecurityGroupIngress", sshFrom(PEER));
  group.ssh = await sshRuleId();
  return JSON.parse(JSON.stringify(sgDrift()).replaceAll("0.0.0.0/0", PEER)) as ResourceDrift;
}
const tagGroup = (Key: string, Value: string) => ec2("CreateTags", { Resources: [group.id], Tags: [{ Key, Value }] });

beforeAll(async () => {
  // The spoke account onboarded, so the sandbox has its driftguard-spoke role.
  sandbox = await startTestSandbox({ config: testConfig({ accounts: [{ id: SPOKE, name: "payments-prod" }] }), scenario: { accounts: [{ id: SPOKE, name: "payments-prod" }] } });
  clients = sandboxSpokeClients(sandbox, SPOKE, REGION);
  sent = recordSent(clients.ec2);
});
afterAll(() => sandbox?.close());

const account = (patch: Partial<EffectiveAccount> = {}): EffectiveAccount => ({
  id: "111122223333",
  name: "payments-prod",
  regions: ["us-east-1"],
  mode: "remediate",
  stacks: { include: ["*"], exclude: [] },
  modeRules: [],
  revertDriftStacks: [],
  cloudTrailLookup: false,
  ignore: [],
  ...patch,
});

async function input(patch: Partial<StackRemediationInput> & { limits?: Partial<GuardLimits>; flapping?: FlappingRecord } = {}): Promise<StackRemediationInput> {
  const { limits, flapping, ...rest } = patch;
  const store = memoryFlappingStore(flapping);
  return {
    runId: "20260615T120000Z-abc123",
    account: account(),
    region: "us-east-1",
    stack: { stackName: "payments-core", stackId: "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-core/5f1e6a30", tags: {} },
    drifts: [sgDrift()],
    clients,
    exemptions: { tagKey: "driftguard:exempt", maxDays: 90 },
    safety: TEST_SAFETY,
    ownership: NO_ATTACHMENTS,
    guards: await createGuards({ runId: "20260615T120000Z-abc123", counting: "scan", limits: { maxPerRun: 50, maxPerAccount: 10, flappingThreshold: 3, ...limits }, store }),
    now: NOW,
    timing: { sleep: async (ms) => void sleeps.push(ms), verifyRetryDelaysMs: [100, 200], pollMs: 10, maxPollMs: 10 },
    ...rest,
  };
}

beforeEach(async () => {
  sandbox.setFaults([]);
  await deployDrifted();
  sent.clear();
  cfn.reset();
  tagging.reset();
  tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
  cfn.on(DetectStackResourceDriftCommand, { LogicalResourceId: "WebSecurityGroup" }).resolves({ StackResourceDrift: inSync(securityGroupDriftRaw) });
  cfn.on(DetectStackResourceDriftCommand, { LogicalResourceId: "SettlementQueue" }).resolves({ StackResourceDrift: inSync(queueDriftRaw) });
  sleeps = [];
});

describe("remediateStack, per resource", () => {
  it("repairs, then verifies with DetectStackResourceDrift before calling it remediated", async () => {
    const result = await remediateStack(await input());

    expect(result.exemption).toEqual({ kind: "none" });
    expect(result.stackAction).toBeUndefined();
    expect(result.resources).toHaveLength(1);
    expect(result.resources[0]).toMatchObject({
      logicalResourceId: "WebSecurityGroup",
      exemption: { kind: "none" },
      action: {
        outcome: "remediated",
        reason: `${CRITICAL_PREFIX}applied: revoke tcp 22 from 0.0.0.0/0; verified IN_SYNC`,
        steps: [sshRevoke()],
        by: "AWS::EC2::SecurityGroup",
        securityCritical: WORLD_SSH,
      },
    });
    expect(cfn.commandCalls(DetectStackResourceDriftCommand)[0]?.args[0].input).toEqual({ StackName: "payments-core", LogicalResourceId: "WebSecurityGroup" });
  });

  it("fails with the remaining difference when verification still finds drift, after re-checking", async () => {
    cfn.on(DetectStackResourceDriftCommand, { LogicalResourceId: "WebSecurityGroup" }).resolves({ StackResourceDrift: securityGroupDriftRaw });

    const [resource] = (await remediateStack(await input())).resources;

    expect(resource?.action.outcome).toBe("failed");
    expect(resource?.action.reason).toMatch(/; verification: still MODIFIED: \/SecurityGroupIngress\/1 added \{"CidrIp":"0.0.0.0\/0"/);
    expect(resource?.action.remaining).toEqual(sgDrift().differences);
    expect(cfn.commandCalls(DetectStackResourceDriftCommand)).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it("verifies with the same normalisers: a remaining known false positive does not fail the repair", async () => {
    // CloudFormation still reports the difference; the classification says it is not drift.
    cfn.on(DetectStackResourceDriftCommand, { LogicalResourceId: "WebSecurityGroup" }).resolves({ StackResourceDrift: securityGroupDriftRaw });
    const [resource] = (await remediateStack(await input({ realDifferences: async () => [] }))).resources;
    expect(resource?.action).toMatchObject({ outcome: "remediated", steps: [sshRevoke()] });
  });

  it("does not apply a plan that would not converge, and says why", async () => {
    // CloudFormation reports a tag difference the live group does not have (an unknown false
    // positive): no step changes /Tags, so after the SSH revoke the resource would still drift.
    const drift = sgDrift();
    drift.differences = [...drift.differences, { propertyPath: "/Tags/0/Value", expectedValue: "payments-web", actualValue: "payments-old", differenceType: "NOT_EQUAL" }];
    drift.actual = { ...drift.actual, Tags: [{ Key: "Name", Value: "payments-old" }] };
    const [resource] = (await remediateStack(await input({ drifts: [drift] }))).resources;
    expect(resource?.action).toMatchObject({ outcome: "manual", steps: [sshRevoke()], remaining: [{ propertyPath: "/Tags", differenceType: "NOT_EQUAL" }] });
    expect(resource?.action.reason).toMatch(/^not repaired: after the planned steps CloudFormation would still report \/Tags expected/);
    expect([...sent.writes(), ...writes(cfn)]).toEqual([]);
  });

  it("in report mode plans through the same code and changes nothing", async () => {
    const i = await input({ account: account({ mode: "report" }) });
    const [resource] = (await remediateStack(i)).resources;

    expect(resource?.action).toEqual({ outcome: "planned", reason: "security-critical: world-open-ingress (tcp 22 from 0.0.0.0/0); planned: revoke tcp 22 from 0.0.0.0/0", steps: [sshRevoke()], by: "AWS::EC2::SecurityGroup", securityCritical: WORLD_SSH });
    expect([...sent.writes(), ...writes(cfn)]).toEqual([]);
    expect(cfn.commandCalls(DetectStackResourceDriftCommand)).toHaveLength(0);
    expect(i.guards.reserve("111122223333", 10).ok).toBe(true);
  });

  it("follows mode rules per stack and resource type", async () => {
    const rules = { modeRules: [{ stacks: "payments-*", resourceTypes: ["AWS::EC2::SecurityGroup"], mode: "report" as const }] };
    const [resource] = (await remediateStack(await input({ account: account(rules) }))).resources;
    expect(resource?.action.outcome).toBe("planned");
    expect(sent.writes()).toEqual([]);
  });

  it("skips everything in an exempt stack without reading the resources", async () => {
    const stack = { stackName: "payments-core", stackId: "id", tags: { "driftguard:exempt": "reason=INC-123 break-glass;until=2026-08-31" } };
    const result = await remediateStack(await input({ stack, drifts: [sgDrift(), queueDrift()] }));

    expect(result.exemption).toEqual({ kind: "exempt", reason: "INC-123 break-glass", until: "2026-08-31", on: "stack" });
    for (const r of result.resources) {
      expect(r.exemption).toEqual(result.exemption);
      expect(r.action).toEqual({ outcome: "skipped", reason: "exempt by stack tag: INC-123 break-glass (until 2026-08-31)", steps: [] });
    }
    expect(sent.names()).toEqual([]);
    expect(tagging.calls()).toHaveLength(0);
  });

  it("skips a resource exempted by its own tag", async () => {
    await tagGroup("driftguard:exempt", "reason=INC-77 load test");
    const [resource] = (await remediateStack(await input())).resources;
    expect(resource?.exemption).toEqual({ kind: "exempt", reason: "INC-77 load test", on: "resource" });
    expect(resource?.action).toEqual({ outcome: "skipped", reason: "exempt by resource tag: INC-77 load test (no expiry)", steps: [] });
    expect(sent.writes()).toEqual([]);
  });

  it("repairs despite expired or invalid exemptions, and reports them", async () => {
    await tagGroup("driftguard:exempt", "reason=INC-1;until=2026-06-14");
    const stack = { stackName: "payments-core", stackId: "id", tags: { "driftguard:exempt": "yes please" } };
    const result = await remediateStack(await input({ stack }));

    expect(result.exemption).toMatchObject({ kind: "invalid", on: "stack" });
    expect(result.resources[0]?.exemption).toEqual({ kind: "expired", reason: "INC-1", until: "2026-06-14", on: "resource" });
    expect(result.resources[0]?.action.outcome).toBe("remediated");
  });

  it("hands types without a remediator to a person, naming what changed, after checking their tags by ARN", async () => {
    const [resource] = (await remediateStack(await input({ drifts: [queueDrift()] }))).resources;

    expect(resource?.action).toEqual({ outcome: "manual", reason: "AWS::SQS::Queue has no property-level remediator: /VisibilityTimeout expected 30, actual 60", steps: [] });
    expect(tagging.commandCalls(GetResourcesCommand)[0]?.args[0].input).toEqual({ ResourceARNList: [QUEUE_ARN] });
  });

  it("reports an exempt resource of any type as skipped", async () => {
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: QUEUE_ARN, Tags: [{ Key: "driftguard:exempt", Value: "reason=vendor managed" }] }] });
    const [resource] = (await remediateStack(await input({ drifts: [queueDrift()] }))).resources;
    expect(resource?.action.outcome).toBe("skipped");
  });

  it("hands DELETED resources to a person", async () => {
    const [resource] = (await remediateStack(await input({ drifts: [deletedTopicDrift()] }))).resources;
    expect(resource?.action).toEqual({
      outcome: "manual",
      reason: "DELETED: recreate it by updating the stack (AWS::SNS::Topic arn:aws:sns:us-east-1:111122223333:payments-core-AlertsTopic-9ZYX8WVU)",
      steps: [],
    });
  });

  it("skips with the blast-radius reason and the planned steps when the budget is spent, as a guard trip", async () => {
    const i = await input({ limits: { maxPerRun: 1 }, drifts: [await peerSshDrift()] });
    i.guards.reserve("999999999999");
    const [resource] = (await remediateStack(i)).resources;
    expect(resource?.action).toEqual({
      outcome: "skipped",
      reason: "blast radius: one more repair would exceed the limit of 1 per run (1 made)",
      steps: [sshRevoke(PEER)],
      by: "AWS::EC2::SecurityGroup",
      guard: "blast-radius",
    });
    expect(sent.writes()).toEqual([]);
  });

  it("reverts security-critical drift although the budget is spent", async () => {
    const i = await input({ limits: { maxPerRun: 1 } });
    i.guards.reserve("999999999999");
    const [resource] = (await remediateStack(i)).resources;
    expect(resource?.action).toMatchObject({ outcome: "remediated", securityCritical: WORLD_SSH, steps: [sshRevoke()] });
    expect(resource?.action.guard).toBeUndefined();
  });

  const flagged: FlappingRecord = {
    version: 1,
    entries: {
      "111122223333/us-east-1/payments-core/WebSecurityGroup": {
        count: 3,
        lastRunId: "r3",
        lastRepairedAt: "2026-06-14T12:00:00.000Z",
        flagged: true,
        changedBy: ["arn:aws:iam::111122223333:user/mallory"],
      },
    },
  };
  const contested = { scans: 3, lastRepairedAt: "2026-06-14T12:00:00.000Z", changedBy: ["arn:aws:iam::111122223333:user/mallory"] };

  it("does not repair a resource flagged as flapping, and escalates it as contested", async () => {
    const [resource] = (await remediateStack(await input({ flapping: flagged, drifts: [await peerSshDrift()] }))).resources;
    expect(resource?.action).toMatchObject({ outcome: "skipped", guard: "flapping", contested });
    expect(resource?.action.reason).toMatch(/^flapping: re-drifted and repaired in 3 consecutive scans/);
    expect(sent.writes()).toEqual([]);
  });

  it("reverts security-critical drift on a flagged resource, still escalated as contested", async () => {
    const [resource] = (await remediateStack(await input({ flapping: flagged }))).resources;
    expect(resource?.action).toMatchObject({ outcome: "remediated", securityCritical: WORLD_SSH, contested });
    expect(resource?.action.guard).toBeUndefined();
  });

  it("with an unreadable flapping record, reverts only security-critical drift and says why for the rest", async () => {
    const unreadable = { location: "s3://reports/state/flapping.json", load: () => Promise.reject(new SyntaxError("Unexpected token 'n', \"not json\" is not valid JSON")), update: async () => {} };
    const guards = await createGuards({ runId: "r1", counting: "scan", limits: { maxPerRun: 50, maxPerAccount: 10, flappingThreshold: 3 }, store: unreadable });
    const [critical] = (await remediateStack(await input({ guards }))).resources;
    expect(critical?.action).toMatchObject({ outcome: "remediated", securityCritical: WORLD_SSH });
    await deployDrifted();
    const [routine] = (await remediateStack(await input({ guards, drifts: [await peerSshDrift()] }))).resources;
    expect(routine?.action).toMatchObject({ outcome: "skipped", guard: "guard-state", reason: expect.stringMatching(/^flapping record s3:\/\/reports\/state\/flapping.json unreadable/) });
  });

  it("records repairs for the flapping guard", async () => {
    const store = memoryFlappingStore();
    const i = await input();
    i.guards = await createGuards({ runId: "r1", counting: "scan", limits: { maxPerRun: 5, maxPerAccount: 5, flappingThreshold: 3 }, store });
    await remediateStack(i);
    await i.guards.finish();
    expect(Object.keys(store.current().entries)).toEqual(["111122223333/us-east-1/payments-core/WebSecurityGroup"]);
  });

  it("calls a resource in sync at repair time skipped, without spending the blast radius", async () => {
    await ec2("RevokeSecurityGroupIngress", { GroupId: group.id, SecurityGroupRuleIds: [group.ssh] });
    const i = await input({ limits: { maxPerRun: 1 } });
    const [resource] = (await remediateStack(i)).resources;
    expect(resource?.action).toEqual({ outcome: "skipped", reason: IN_SYNC_REASON, steps: [], by: "AWS::EC2::SecurityGroup" });
    expect(i.guards.reserve("111122223333").ok).toBe(true);
  });

  it("hands differences the remediator does not manage to a person", async () => {
    await ec2("RevokeSecurityGroupIngress", { GroupId: group.id, SecurityGroupRuleIds: [group.ssh] });
    const drift: ResourceDrift = {
      ...sgDrift(),
      differences: [{ propertyPath: "/GroupDescription", expectedValue: "Web tier", actualValue: "web", differenceType: "NOT_EQUAL" }],
    };
    const [resource] = (await remediateStack(await input({ drifts: [drift] }))).resources;
    expect(resource?.action).toEqual({
      outcome: "manual",
      reason: "AWS::EC2::SecurityGroup remediator does not repair /GroupDescription expected Web tier, actual web",
      steps: [],
      by: "AWS::EC2::SecurityGroup",
    });
  });

  it("never throws: API errors become failed actions with the AWS error code", async () => {
    sandbox.setFaults([{ account: SPOKE, service: "ec2", action: "DescribeSecurityGroups", error: "UnauthorizedOperation", message: "You are not authorized to perform this operation." }]);
    const result = await remediateStack(await input({ drifts: [sgDrift(), queueDrift()] }));

    expect(result.resources[0]?.action).toEqual({
      outcome: "failed",
      reason: "could not read the resource's tags to check for an exemption: UnauthorizedOperation: You are not authorized to perform this operation.",
      steps: [],
    });
    expect(result.resources[1]?.action.outcome).toBe("manual");
  });
});

describe("remediateResource (event path)", () => {
  it("runs one resource through the same checks and counts against the same guards", async () => {
    const i = await input({ limits: { maxPerAccount: 1 } });
    const report = await remediateResource({ ...i, drift: sgDrift() });

    expect(report).toMatchObject({ logicalResourceId: "WebSecurityGroup", exemption: { kind: "none" }, action: { outcome: "remediated", steps: [sshRevoke()] } });
    expect(i.guards.reserve("111122223333").ok).toBe(false);
  });
});

describe("remediateStack with REVERT_DRIFT", () => {
  const revertAccount = account({ revertDriftStacks: ["payments-*"] });
  const NAME = "driftguard-revert-20260615T120000Z-abc123";

  const SERVICE_ROLE = "arn:aws:iam::111122223333:role/payments-core-cfn-deploy";
  const stackWith = (role: { RoleARN?: string }) =>
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: "payments-core", CreationTime: new Date(), StackStatus: "UPDATE_COMPLETE", Parameters: [], ...role }] });

  /** `of`: the drift whose live state is BeforeContext and whose template is AfterContext, as a revert of it. */
  function changeSet(changes: { id: string; type: string; replacement?: "True" | "False"; of?: ResourceDrift }[], role: { RoleARN?: string } = { RoleARN: SERVICE_ROLE }) {
    stackWith(role);
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "CREATE_COMPLETE",
      // With IncludePropertyValues each change has its before/after properties (CloudFormation User Guide, "View a change set").
      Changes: changes.map((c) => ({
        Type: "Resource",
        ResourceChange: {
          Action: "Modify",
          LogicalResourceId: c.id,
          ResourceType: c.type,
          Replacement: c.replacement ?? "False",
          BeforeContext: JSON.stringify({ Properties: c.of?.actual ?? {} }),
          AfterContext: JSON.stringify({ Properties: c.of?.expected ?? {} }),
        },
      })),
    });
    cfn.on(ExecuteChangeSetCommand).resolves({});
    cfn.on(DeleteChangeSetCommand).resolves({});
  }

  it("a revert whose rollback failed too is failed, naming ContinueUpdateRollback (API_ContinueUpdateRollback.html)", async () => {
    changeSet([{ id: "WebSecurityGroup", type: "AWS::EC2::SecurityGroup", of: sgDrift() }]);
    const stack = { StackName: "payments-core", CreationTime: new Date(), Parameters: [], RoleARN: SERVICE_ROLE };
    cfn.on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [{ ...stack, StackStatus: "UPDATE_COMPLETE" }] })
      .resolves({ Stacks: [{ ...stack, StackStatus: "UPDATE_ROLLBACK_FAILED", StackStatusReason: "The following resource(s) failed to update: [WebSecurityGroup]. " }] });
    const result = await remediateStack(await input({ account: revertAccount, drifts: [sgDrift()] }));
    expect(result.stackAction).toMatchObject({ outcome: "failed", reason: `executed REVERT_DRIFT change set ${NAME}; stack UPDATE_ROLLBACK_FAILED; not in sync: WebSecurityGroup` });
    expect(result.resources[0]!.action).toMatchObject({
      outcome: "failed",
      reason: `reverted by change set ${NAME}, but its rollback failed too: stack payments-core is UPDATE_ROLLBACK_FAILED (The following resource(s) failed to update: [WebSecurityGroup].): CloudFormation cannot update it until its rollback is continued — fix what the failed resources' events name and run ContinueUpdateRollback (ResourcesToSkip for those that cannot be rolled back), then the next run reverts its drift`,
    });
    expect(cfn.commandCalls(DetectStackResourceDriftCommand)).toHaveLength(0);
  });

  it("reverts the whole stack, including types without a remediator, and verifies each resource", async () => {
    changeSet([
      { id: "WebSecurityGroup", type: "AWS::EC2::SecurityGroup", of: sgDrift() },
      { id: "SettlementQueue", type: "AWS::SQS::Queue", of: queueDrift() },
    ]);
    const result = await remediateStack(await input({ account: revertAccount, drifts: [sgDrift(), queueDrift()] }));

    expect(result.stackAction).toMatchObject({ outcome: "remediated", by: "revert-drift-change-set", reason: `executed REVERT_DRIFT change set ${NAME}; 2 resource(s) verified IN_SYNC` });
    for (const r of result.resources) {
      expect(r.action).toMatchObject({ outcome: "remediated", by: "revert-drift-change-set", reason: `reverted by change set ${NAME}; verified IN_SYNC` });
    }
    expect(sent.writes()).toEqual([]);
    expect(cfn.commandCalls(DetectStackResourceDriftCommand)).toHaveLength(2);
  });

  it("refuses a change set that would replace a resource, then repairs resource by resource", async () => {
    changeSet([
      { id: "WebSecurityGroup", type: "AWS::EC2::SecurityGroup" },
      { id: "SettlementQueue", type: "AWS::SQS::Queue", replacement: "True" },
    ]);
    const result = await remediateStack(await input({ account: revertAccount, drifts: [sgDrift(), queueDrift()] }));

    expect(result.stackAction).toMatchObject({ outcome: "manual", reason: expect.stringMatching(/SettlementQueue \(AWS::SQS::Queue\): replacement True/) });
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
    expect(result.resources.map((r) => [r.action.outcome, r.action.by])).toEqual([
      ["remediated", "AWS::EC2::SecurityGroup"],
      ["manual", undefined],
    ]);
  });

  it("without a service role, starts no change set that would roll back on a type the spoke role cannot write; repairs one by one", async () => {
    changeSet(
      [
        { id: "WebSecurityGroup", type: "AWS::EC2::SecurityGroup" },
        { id: "SettlementQueue", type: "AWS::SQS::Queue" },
      ],
      {},
    );
    const result = await remediateStack(await input({ account: revertAccount, drifts: [sgDrift(), queueDrift()] }));

    expect(result.stackAction).toMatchObject({ outcome: "manual", reason: expect.stringMatching(/no service role.*SettlementQueue \(AWS::SQS::Queue\)/) });
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
    expect(result.resources.map((r) => [r.action.outcome, r.action.by])).toEqual([
      ["remediated", "AWS::EC2::SecurityGroup"],
      ["manual", undefined],
    ]);
  });

  it("in report mode plans the change set without creating it", async () => {
    stackWith({ RoleARN: SERVICE_ROLE });
    const result = await remediateStack(await input({ account: { ...revertAccount, mode: "report" }, drifts: [sgDrift(), queueDrift()] }));
    expect(result.stackAction?.outcome).toBe("planned");
    expect(result.resources.map((r) => r.action.outcome)).toEqual(["planned", "manual"]);
    expect([...writes(cfn), ...sent.writes()]).toEqual([]);
  });

  it("is not used when a drifted resource is exempt, deleted or in report mode", async () => {
    await tagGroup("driftguard:exempt", "reason=INC-5");
    const rules = { modeRules: [{ resourceTypes: ["AWS::SQS::Queue"], mode: "report" as const }] };
    const result = await remediateStack(await input({ account: { ...revertAccount, ...rules }, drifts: [sgDrift(), queueDrift(), deletedTopicDrift()] }));

    expect(result.stackAction?.outcome).toBe("skipped");
    expect(result.stackAction?.reason).toBe(
      "REVERT_DRIFT change set not used, resources handled one by one: WebSecurityGroup: exempt by resource tag: INC-5 (no expiry); AlertsTopic was deleted (a change set would recreate it, not revert it); some drifted resources are in report mode",
    );
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
    expect(result.resources.map((r) => r.action.outcome)).toEqual(["skipped", "manual", "manual"]);
  });
});
