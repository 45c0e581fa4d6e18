import "aws-sdk-client-mock-vitest/extend";
import { openStackListings } from "../../../functions/scanner/stack-listings.js";
import { NO_ATTACHMENTS } from "../../../functions/remediation/ownership/lookup.js";
import { TEST_SAFETY } from "../remediation/helpers.js";
import { CloudTrailClient, CloudTrailServiceException, LookupEventsCommand, type Event } from "@aws-sdk/client-cloudtrail";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { ListStacksCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSpokeClients, type SpokeClients } from "../../../functions/aws/clients.js";
import { resolveAccount, type EffectiveAccount } from "../../../functions/config/resolve.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import { createGuards } from "../../../functions/remediation/guards.js";
import type { StackRemediationInput } from "../../../functions/remediation/engine.js";
import { NO_DEADLINE, type Deadline } from "../../../functions/core/deadline.js";
import type { Logger } from "../../../functions/core/logger.js";
import { scanStack } from "../../../functions/scanner/scan-stack.js";
import { lookupEventsLimiter } from "../../../functions/scanner/change-actors.js";
import { openCapacity, RegionPace } from "../../../functions/scanner/capacity.js";
import { DetectionTimeEstimator, POLL_TUNING } from "../../../functions/scanner/poll-schedule.js";
import { selectStacks } from "../../../functions/scanner/stacks.js";
import type { RegionScope, ScanContext } from "../../../functions/scanner/types.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { deployStack, sandboxSpokeClients, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";
import { APP_ROLE_RESOURCE } from "./fixtures.js";
import { testConfig } from "../../support/config.js";
import { cloudTrailRecord, lookupEntry } from "../../support/cloudtrail.js";

/**
 * "Who changed it" for scheduled findings: scanStack → CloudTrail LookupEvents → ResourceReport.changedBy.
 * The stacks and their drift are the sandbox's (CloudFormation's own detection of changes made out
 * of band); the CloudTrail history each test needs answers from aws-sdk-client-mock.
 */

const cloudtrail = mockClient(CloudTrailClient);
beforeEach(() => cloudtrail.reset());

const PAY = WORKLOAD;
const NOW = Date.parse("2026-01-02T03:04:05.000Z");
const ALICE = "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com";

/** payments-api's role widened, its topic renamed and its alerts topic deleted, out of band; payments-jobs the same without the deletion. */
const TEMPLATE = (withAlerts: boolean) => ({
  Resources: {
    AppRole: APP_ROLE_RESOURCE,
    Topic: { Type: "AWS::SNS::Topic", Properties: { DisplayName: "payments" } },
    ...(withAlerts ? { Alerts: { Type: "AWS::SNS::Topic", Properties: { DisplayName: "alerts" } } } : {}),
  },
});

let sandbox: Sandbox;
/** Physical ids by stack, then logical id. */
const physical: Record<string, Record<string, string>> = {};
const ROLE = () => physical["payments-api"]!.AppRole!;
const ALERTS = () => physical["payments-api"]!.Alerts!;
const TOPIC = () => physical["payments-api"]!.Topic!;

beforeAll(async () => {
  sandbox = await startTestSandbox({ latency: { detectionMs: [0, 0] } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = (service: string, action: string, params: Record<string, unknown>) => sandbox.dispatch(PAY, "us-east-1", service, action, params) as Promise<any>;
  for (const [name, withAlerts] of [["payments-api", true], ["payments-jobs", false]] as const) {
    const ids = (physical[name] = await deployStack(sandbox, PAY, "us-east-1", name, TEMPLATE(withAlerts)));
    await call("iam", "AttachRolePolicy", { RoleName: ids.AppRole, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    await call("sns", "SetTopicAttributes", { TopicArn: ids.Topic, AttributeName: "DisplayName", AttributeValue: "renamed" });
    if (withAlerts) await call("sns", "DeleteTopic", { TopicArn: ids.Alerts });
  }
});
afterAll(() => sandbox?.close());

/** A LookupEvents entry of `arn`'s call (test/support/cloudtrail.ts). */
const recorded = (eventName: string, eventSource: string, eventTime: string, arn = ALICE): Event => lookupEntry(cloudTrailRecord({ eventName, eventSource, eventTime, actorArn: arn }));

const history = (): Record<string, Event[]> => ({
  [ROLE()]: [
    recorded("DetachRolePolicy", "iam.amazonaws.com", "2026-01-02T02:30:00Z", `arn:aws:sts::${PAY}:assumed-role/driftguard-spoke/driftguard-20260101T000000Z-abcdef`),
    recorded("AttachRolePolicy", "iam.amazonaws.com", "2026-01-01T22:10:00Z"),
  ],
  [ALERTS()]: [recorded("DeleteTopic", "sns.amazonaws.com", "2026-01-01T23:45:00Z", `arn:aws:iam::${PAY}:user/bob`)],
});

function accessDenied(): CloudTrailServiceException {
  return new CloudTrailServiceException({
    name: "AccessDeniedException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message: `User: arn:aws:sts::${PAY}:assumed-role/driftguard-spoke/driftguard-run is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action`,
  });
}

interface Harness {
  ctx: ScanContext;
  account: EffectiveAccount;
  clients: SpokeClients;
  scope: RegionScope;
  sleeps: number[];
  warnings: unknown[][];
}

async function harness(cloudTrailLookup: boolean, deadline: Deadline = NO_DEADLINE): Promise<Harness> {
  const sleeps: number[] = [];
  const warnings: unknown[][] = [];
  const logger = {
    info() {},
    error() {},
    debug() {},
    warn: (...args: unknown[]) => warnings.push(args),
  } as unknown as Logger;
  const config = testConfig(`accounts: [{ id: "${PAY}", name: payments-prod, regions: [us-east-1], cloudTrailLookup: ${cloudTrailLookup} }]`);
  const ctx: ScanContext = {
    membership: { accountIds: new Set([PAY]) },
    deps: {
      organizations: new OrganizationsClient({ region: "us-east-1" }),
      sts: new STSClient({ region: "us-east-1" }),
      s3: new S3Client({ region: "us-east-1" }),
      sns: new SNSClient({ region: "us-east-1" }),
      spokeClients: createSpokeClients,
      // Report mode, as the engine answers it: enough to show changedBy rides along with the action.
      remediateStack: async (input: StackRemediationInput) => ({
        exemption: { kind: "none" },
        resources: input.drifts.map((d) => ({ ...d, exemption: { kind: "none" }, action: { outcome: "planned", reason: "would restore", steps: [] } })),
      }),
      flappingStore: memoryFlappingStore(),
      // A clock that only moves when asked: the limiter's waits are recorded, not spent.
      now: () => NOW,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      logger,
    },
    config,
    runId: "20260102T030405Z-a1b2c3",
    deadline,
    guards: await createGuards({ runId: "20260102T030405Z-a1b2c3", counting: "scan", limits: config.defaults.remediation, store: memoryFlappingStore() }),
    capacity: openCapacity(config, [], { now: () => NOW, sleep: async () => {} }),
    progress: () => {},
  };
  const clients = sandboxSpokeClients(sandbox, PAY, "us-east-1");
  // One scope for the account-region, as scanAccount makes it: every stack shares its LookupEvents limiter.
  const scope: RegionScope = { clients, estimator: new DetectionTimeEstimator(), pace: new RegionPace(ctx.capacity.budgets.for(PAY, "us-east-1")), lookupLimiter: lookupEventsLimiter(ctx.deps), remediation: { safety: TEST_SAFETY, ownership: NO_ATTACHMENTS }, listings: await openStackListings({ accountId: PAY, now: () => NOW, log: ctx.deps.logger }) };
  return { ctx, account: resolveAccount(config, config.accounts[0]!), clients, scope, sleeps, warnings };
}

/** Scans the named stacks as the scheduled scan would, from CloudFormation's own listing. */
async function scan(h: Harness, names = ["payments-api"]) {
  const listed = (await h.clients.cloudformation.send(new ListStacksCommand({}))).StackSummaries ?? [];
  const targets = selectStacks(listed.filter((s) => names.includes(s.StackName!)), h.account.stacks).targets;
  return Promise.all(targets.map((t) => scanStack(h.ctx, h.account, h.scope, t, h.ctx.deps.logger)));
}

function lookedUp(): string[] {
  return cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input.LookupAttributes![0]!.AttributeValue!);
}

describe("who changed a drifted resource (scheduled scan)", () => {
  it("fills changedBy from CloudTrail for an account that opted in, for MODIFIED and DELETED resources", async () => {
    cloudtrail.on(LookupEventsCommand).callsFake(async (input: { LookupAttributes: { AttributeValue: string }[] }) => ({
      Events: history()[input.LookupAttributes[0]!.AttributeValue] ?? [],
    }));
    const h = await harness(true);
    const [stack] = await scan(h);

    expect(stack!.scan).toBe("scanned");
    const byId = Object.fromEntries(stack!.resources.map((r) => [r.logicalResourceId, r]));
    // driftguard's own repair is looked past: the person who attached the policy is "who".
    expect(byId.AppRole!.changedBy).toEqual({
      arn: ALICE,
      type: "AssumedRole",
      sourceIp: "203.0.113.25",
      eventName: "AttachRolePolicy",
      eventTime: "2026-01-01T22:10:00Z",
      source: "cloudtrail-lookup",
    });
    expect(byId.Alerts).toMatchObject({ status: "DELETED", changedBy: { arn: `arn:aws:iam::${PAY}:user/bob`, eventName: "DeleteTopic" } });
    // No history for the renamed topic: nothing is made up.
    expect(byId.Topic).toMatchObject({ status: "MODIFIED" });
    expect(byId.Topic!.changedBy).toBeUndefined();
    expect(byId.AppRole!.action.outcome).toBe("planned");

    expect(lookedUp().sort()).toEqual([TOPIC(), ALERTS(), ROLE()].sort());
    const input = cloudtrail.commandCalls(LookupEventsCommand)[0]!.args[0].input;
    expect(input.EndTime).toEqual(new Date(NOW));
    expect(input.StartTime).toEqual(new Date(NOW - 90 * 86_400_000));
  });

  it("makes no LookupEvents call for an account that did not opt in", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: history()[ROLE()] });
    const h = await harness(false);
    const [stack] = await scan(h);
    expect(stack!.resources).toHaveLength(3);
    expect(stack!.resources.every((r) => r.changedBy === undefined)).toBe(true);
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 0);
  });

  it("leaves the stack scanned and its actions intact when CloudTrail denies the lookup", async () => {
    cloudtrail.on(LookupEventsCommand).rejects(accessDenied());
    const h = await harness(true);
    const [stack] = await scan(h);

    expect(stack).toMatchObject({ scan: "scanned", driftStatus: "DRIFTED" });
    expect(stack!.error).toBeUndefined();
    expect(stack!.resources.map((r) => [r.logicalResourceId, r.action.outcome, r.changedBy]).sort()).toEqual([
      ["Alerts", "planned", undefined],
      ["AppRole", "planned", undefined],
      ["Topic", "planned", undefined],
    ]);
    // The first denial ends the stack's lookups: the others would be denied too.
    expect(lookedUp().length).toBeLessThan(3);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]!.at(-1)).toMatchObject({ error: { code: "AccessDeniedException" } });
  });

  it("queues every stack of an account-region behind one 2-per-second LookupEvents limiter", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    const h = await harness(true);
    // Five drifted resources: payments-api's three and payments-jobs' role and topic.
    await scan(h, ["payments-api", "payments-jobs"]);
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 5);
    // The clock stands still, so each call waits 500 ms longer than the one before it; the other
    // two waits are each detection's first status read, at the account-region's initial estimate.
    const limiterWaits = [500, 1000, 1500, 2000];
    expect([...h.sleeps].sort((a, b) => a - b)).toEqual([...limiterWaits, POLL_TUNING.initialMs, POLL_TUNING.initialMs].sort((a, b) => a - b));
  });

  it("starts no lookups once the run's deadline is near", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: history()[ROLE()] });
    let starts = 0;
    // The stack itself may start; anything after that may not.
    const closing: Deadline = { canStart: () => starts++ === 0, expired: () => false, remainingMs: () => 60_000 };
    const h = await harness(true, closing);
    const [stack] = await scan(h);
    expect(stack!.scan).toBe("scanned");
    expect(stack!.resources.every((r) => r.changedBy === undefined)).toBe(true);
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 0);
  });
});
