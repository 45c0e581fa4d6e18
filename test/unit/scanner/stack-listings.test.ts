import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand, type StackResourceSummary } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../../../functions/core/logger.js";
import { createOwnershipLookup } from "../../../functions/remediation/index.js";
import { openStackListings, REFRESH_MS, type StackListingStore } from "../../../functions/scanner/stack-listings.js";
import { stackVersion } from "../../../functions/scanner/stacks.js";

/**
 * Stack resource listings kept per stack version: coverage and the ownership lookup read a
 * stack's ListStackResources once per version, not once each per run. ListStackResources'
 * summaries are shaped as in the CloudFormation API Reference (StackResourceSummary with
 * DriftInformation.StackResourceDriftStatus).
 */

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({ region: "eu-west-1" });
const NOW = Date.parse("2026-12-01T12:00:00Z");
const STACK = { stackId: "arn:aws:cloudformation:eu-west-1:111122223333:stack/app/1", version: "2026-11-30T10:00:00.000Z" };

const summaries: StackResourceSummary[] = [
  { LogicalResourceId: "Sg", PhysicalResourceId: "sg-1", ResourceType: "AWS::EC2::SecurityGroup", ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: new Date(NOW), DriftInformation: { StackResourceDriftStatus: "IN_SYNC" } },
  { LogicalResourceId: "Topic", PhysicalResourceId: "arn:aws:sns:eu-west-1:111122223333:t", ResourceType: "AWS::SNS::Topic", ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: new Date(NOW), DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" } },
  { LogicalResourceId: "Nested", PhysicalResourceId: "arn:nested", ResourceType: "AWS::CloudFormation::Stack", ResourceStatus: "CREATE_COMPLETE", LastUpdatedTimestamp: new Date(NOW), DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" } },
];
const UNCHECKED = [{ logicalResourceId: "Topic", resourceType: "AWS::SNS::Topic", status: "NOT_CHECKED" }];

function memoryStore(): StackListingStore & { saved: Map<string, unknown>; failSave?: boolean; stored?: unknown } {
  const saved = new Map<string, unknown>();
  const store = {
    saved,
    load: async (accountId: string) => store.stored ?? saved.get(accountId),
    save: async (accountId: string, record: unknown) => {
      if (store.failSave) throw new Error("AccessDenied");
      saved.set(accountId, JSON.parse(JSON.stringify(record)));
    },
    location: (accountId: string) => `s3://bucket/state/stack-listings/${accountId}.json`,
    failSave: false as boolean | undefined,
    stored: undefined as unknown,
  };
  return store;
}

function testLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const log = { warnings, debug: () => {}, info: () => {}, warn: (m: string) => void warnings.push(m), error: () => {}, createChild: () => log } as unknown as Logger & { warnings: string[] };
  return log;
}

const listings = (store?: StackListingStore, now = NOW, log = testLog()) => openStackListings({ accountId: "111122223333", ...(store ? { store } : {}), now: () => now, log });
const lsrCalls = () => cfnMock.commandCalls(ListStackResourcesCommand).length;

beforeEach(() => {
  cfnMock.reset();
  cfnMock.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: summaries });
});

describe("stack listings", () => {
  it("lists a stack once per run for coverage and resource types, and not at all the next run while it is unchanged", async () => {
    const store = memoryStore();
    const first = await listings(store);
    expect(await first.unchecked(cfn, STACK, true)).toEqual(UNCHECKED);
    expect(await first.types(cfn, STACK)).toEqual(["AWS::CloudFormation::Stack", "AWS::EC2::SecurityGroup", "AWS::SNS::Topic"]);
    await first.save();
    expect(lsrCalls()).toBe(1);

    const second = await listings(store, NOW + 3600_000);
    expect(await second.types(cfn, STACK)).toContain("AWS::EC2::SecurityGroup");
    expect(await second.unchecked(cfn, STACK, true)).toEqual(UNCHECKED);
    await second.save();
    expect(lsrCalls()).toBe(1);
    // What the second run used is kept for the third.
    expect(Object.keys((store.saved.get("111122223333") as { stacks: object }).stacks)).toEqual([STACK.stackId]);
  });

  it("lists again when the stack changed, when the listing aged out, or when the detection was not complete", async () => {
    const store = memoryStore();
    const first = await listings(store);
    await first.unchecked(cfn, STACK, true);
    await first.save();

    await (await listings(store)).unchecked(cfn, { ...STACK, version: "2026-12-01T09:00:00.000Z" }, true);
    expect(lsrCalls()).toBe(2);
    await (await listings(store, NOW + REFRESH_MS)).unchecked(cfn, STACK, true);
    expect(lsrCalls()).toBe(3);
    const partial = await listings(store);
    await partial.unchecked(cfn, STACK, false);
    expect(lsrCalls()).toBe(4);
    await partial.save();
    // A DETECTION_FAILED listing is not kept: the next run lists the stack again.
    await (await listings(store)).unchecked(cfn, STACK, true);
    expect(lsrCalls()).toBe(5);
  });

  it("never takes coverage from a listing made before the stack's detection", async () => {
    const run = await listings(memoryStore());
    await run.types(cfn, STACK);
    cfnMock.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: summaries.map((s) => ({ ...s, DriftInformation: { StackResourceDriftStatus: "IN_SYNC" } })) });
    expect(await run.unchecked(cfn, STACK, true)).toEqual([]);
    expect(lsrCalls()).toBe(2);
  });

  it("lists everything when the record is unreadable, and warns when it cannot be saved", async () => {
    const store = memoryStore();
    store.stored = { version: 2 };
    const log = testLog();
    const run = await listings(store, NOW, log);
    expect(await run.unchecked(cfn, STACK, true)).toEqual(UNCHECKED);
    store.failSave = true;
    await run.save();
    expect(log.warnings).toEqual([
      "stack listing record unreadable; this run lists every stack's resources again",
      "stack listing record not saved; the next run lists these stacks' resources again",
    ]);
  });

  it("keeps a stack without a version for this run only", async () => {
    const store = memoryStore();
    const run = await listings(store);
    await run.unchecked(cfn, { stackId: STACK.stackId }, true);
    await run.save();
    await (await listings(store)).unchecked(cfn, { stackId: STACK.stackId }, true);
    expect(lsrCalls()).toBe(2);
  });
});

describe("the ownership lookup with resource types", () => {
  const APP = { StackName: "app", StackId: "arn:app", CreationTime: new Date(NOW), StackStatus: "CREATE_COMPLETE" as const };
  const DB = { StackName: "db", StackId: "arn:db", CreationTime: new Date(NOW), StackStatus: "CREATE_COMPLETE" as const };
  const APP_TEMPLATE = {
    Resources: {
      AppSg: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "app" } },
      FromApp: { Type: "AWS::EC2::SecurityGroupIngress", Properties: { GroupId: "sg-0db", IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: { "Fn::GetAtt": ["AppSg", "GroupId"] } } },
    },
  };

  beforeEach(() => {
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [APP, DB] });
    cfnMock.on(GetTemplateCommand, { StackName: "arn:app" }).resolves({ TemplateBody: JSON.stringify(APP_TEMPLATE) });
    cfnMock.on(GetTemplateCommand, { StackName: "arn:db" }).resolves({ TemplateBody: JSON.stringify({ Resources: { DbSg: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "db" } } } }) });
    const resource = (LogicalResourceId: string, ResourceType: string, PhysicalResourceId: string) => ({ LogicalResourceId, ResourceType, PhysicalResourceId, ResourceStatus: "CREATE_COMPLETE" as const, LastUpdatedTimestamp: new Date(NOW) });
    cfnMock.on(ListStackResourcesCommand, { StackName: "arn:app" }).resolves({ StackResourceSummaries: [resource("AppSg", "AWS::EC2::SecurityGroup", "sg-0app"), resource("FromApp", "AWS::EC2::SecurityGroupIngress", "FromApp-1")] });
    cfnMock.on(ListStackResourcesCommand, { StackName: "arn:db" }).resolves({ StackResourceSummaries: [resource("DbSg", "AWS::EC2::SecurityGroup", "sg-0db")] });
  });

  it("finds the same attachments, reading only the template of the stack that holds one", async () => {
    const lookup = (resourceTypes?: Parameters<typeof createOwnershipLookup>[0]["resourceTypes"]) =>
      createOwnershipLookup({ accountId: "111122223333", regions: ["eu-west-1"], cloudformationFor: () => cfn, ...(resourceTypes ? { resourceTypes } : {}) }).forResource("eu-west-1", "AWS::EC2::SecurityGroup", "sg-0db");
    const everyTemplate = await lookup();
    expect(cfnMock.commandCalls(GetTemplateCommand)).toHaveLength(2);
    cfnMock.resetHistory();
    const run = await listings();
    const withTypes = await lookup((client, stack) => run.types(client, { stackId: stack.StackId!, ...stackVersion(stack) }));
    expect(withTypes).toEqual(everyTemplate);
    expect(withTypes.attachments.map((a) => a.origin.logicalId)).toEqual(["FromApp"]);
    expect(cfnMock.commandCalls(GetTemplateCommand).map((c) => c.args[0].input.StackName)).toEqual(["arn:app"]);
  });
});
