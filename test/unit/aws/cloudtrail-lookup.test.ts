import { CloudTrailClient, LookupEventsCommand, type Event } from "@aws-sdk/client-cloudtrail";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { lookupActor } from "../../../functions/aws/cloudtrail-lookup.js";
import { awsError, clientsIn, fixture } from "../events/helpers.js";
import { lookupEntry } from "../../support/cloudtrail.js";

const cloudtrail = mockClient(CloudTrailClient);
beforeEach(() => cloudtrail.reset());

const NOW = new Date("2025-03-20T12:00:00Z");
const ROLE = "payments-api-AppRole-1ABCDEF2GHIJ";
const OWN_ROLE = "arn:aws:iam::111122223333:role/driftguard-spoke";
const opts = { ownRoleArn: (account: string) => (account === "111122223333" ? OWN_ROLE : undefined), now: NOW };

/** A LookupEvents entry wrapping a recorded CloudTrail detail, as the API returns it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function entry(name: string, mutate: (detail: any) => void = () => {}, readOnly = "false"): Event {
  const { detail } = fixture(name);
  mutate(detail);
  return lookupEntry(detail, readOnly);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const byDriftguard = (d: { userIdentity: any }) => {
  d.userIdentity = {
    ...d.userIdentity,
    type: "AssumedRole",
    accountId: "111122223333",
    arn: "arn:aws:sts::111122223333:assumed-role/driftguard-spoke/driftguard-run-7",
    sessionContext: { ...d.userIdentity.sessionContext, sessionIssuer: { type: "Role", arn: OWN_ROLE, accountId: "111122223333", userName: "driftguard-spoke" } },
  };
};
const byCloudFormation = (d: { userIdentity: { invokedBy?: string } }) => (d.userIdentity.invokedBy = "cloudformation.amazonaws.com");

describe("lookupActor", () => {
  it("asks for the resource's last 90 days and returns the newest outside change", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [entry("AttachRolePolicy"), entry("PutRolePolicy")] });
    const actor = await lookupActor(clientsIn("eu-west-1").cloudtrail, ROLE, opts);
    expect(actor).toEqual({
      arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com",
      type: "AssumedRole",
      sourceIp: "203.0.113.25",
      eventName: "AttachRolePolicy",
      eventTime: fixture("AttachRolePolicy").detail.eventTime,
      source: "cloudtrail-lookup",
    });
    const input = cloudtrail.commandCalls(LookupEventsCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: ROLE }], EndTime: NOW, MaxResults: 50 });
    expect(input?.StartTime).toEqual(new Date("2024-12-20T12:00:00Z"));
  });

  it("looks past driftguard's own repairs, CloudFormation, reads and failed calls", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        entry("DetachRolePolicy", byDriftguard),
        entry("AttachRolePolicy", byCloudFormation),
        entry("AttachRolePolicy", () => {}, "true"),
        entry("AttachRolePolicy", (d) => (d.errorCode = "AccessDenied")),
        { EventId: "x", CloudTrailEvent: "{not json" },
        entry("PutRolePolicy"),
      ],
    });
    expect(await lookupActor(clientsIn("eu-west-1").cloudtrail, ROLE, opts)).toMatchObject({ arn: "arn:aws:iam::111122223333:user/bob", eventName: "PutRolePolicy" });
  });

  it("follows pages until it finds one", async () => {
    const pages = [
      { Events: [entry("DetachRolePolicy", byDriftguard)], NextToken: "p2" },
      { Events: [entry("PutRolePolicy")], NextToken: "p3" },
    ];
    // Tokens as sent: the SDK paginator reuses one input object, so the recorded inputs all show the last.
    const tokens: (string | undefined)[] = [];
    cloudtrail.on(LookupEventsCommand).callsFake((input: { NextToken?: string }) => {
      tokens.push(input.NextToken);
      return pages.shift();
    });
    expect(await lookupActor(clientsIn("eu-west-1").cloudtrail, ROLE, opts)).toMatchObject({ eventName: "PutRolePolicy" });
    expect(tokens).toEqual([undefined, "p2"]);
  });

  it("gives up after the page cap", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [entry("DetachRolePolicy", byDriftguard)], NextToken: "more" });
    expect(await lookupActor(clientsIn("eu-west-1").cloudtrail, ROLE, { ...opts, maxPages: 2 })).toBeUndefined();
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(2);
  });

  it("stops at the last page", async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    expect(await lookupActor(clientsIn("eu-west-1").cloudtrail, ROLE, opts)).toBeUndefined();
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(1);
  });

  it("lets CloudTrail errors reach the caller", async () => {
    cloudtrail.on(LookupEventsCommand).rejects(awsError("AccessDeniedException"));
    await expect(lookupActor(clientsIn("eu-west-1").cloudtrail, ROLE, opts)).rejects.toThrow("AccessDeniedException");
  });
});
