import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_EVENT_NAMES } from "../../functions/config/schema.js";
import { parseChangeEvent } from "../../functions/events/parse.js";
import { forwardingRoutes } from "../../modules/event-forwarding.js";
import { matchesEventPattern } from "../../sandbox/emulator/services/events/pattern.js";
import { fixture, FIXTURE_NAMES } from "../unit/events/helpers.js";

/** A real failed RunInstances (Client.UnauthorizedOperation); its source is in the folder's README. */
const FAILED_RUN_INSTANCES = fileURLToPath(new URL("../fixtures/cloudtrail-failed/RunInstances.json", import.meta.url));

const names = ["RunInstances", "AttachRolePolicy", "PutBucketEncryption"];

describe("forwardingRoutes", () => {
  it("puts IAM events only into the partition's global-events region", () => {
    expect(forwardingRoutes(["eu-west-1", "us-east-1"], names, "aws").map((p) => [p.region, p.pattern.source, p.pattern.detail.eventName])).toEqual([
      ["eu-west-1", ["aws.ec2", "aws.s3"], ["RunInstances", "PutBucketEncryption"]],
      ["us-east-1", ["aws.ec2", "aws.iam", "aws.s3"], ["RunInstances", "AttachRolePolicy", "PutBucketEncryption"]],
    ]);
  });

  it("adds the global-events region for IAM alone when the account is not scanned there", () => {
    const routes = forwardingRoutes(["eu-west-1"], names, "aws");
    expect(routes.map((p) => p.region)).toEqual(["eu-west-1", "us-east-1"]);
    expect(routes[1]!.pattern.source).toEqual(["aws.iam"]);
    expect(forwardingRoutes(["us-gov-east-1"], names, "aws-us-gov").map((p) => p.region)).toEqual(["us-gov-east-1", "us-gov-west-1"]);
  });

  it("skips regions with nothing to forward", () => {
    expect(forwardingRoutes(["eu-west-1"], ["AttachRolePolicy"], "aws").map((p) => p.region)).toEqual(["us-east-1"]);
    expect(forwardingRoutes(["eu-west-1"], ["RunInstances"], "aws").map((p) => p.region)).toEqual(["eu-west-1"]);
  });
});

describe("the spoke rule's pattern against recorded CloudTrail events", () => {
  const routes = forwardingRoutes(["eu-west-1"], DEFAULT_EVENT_NAMES, "aws");
  const ruleIn = (region: string) => routes.find((p) => p.region === region)!.pattern;
  const regionOf = (event: { detail: { eventSource: string } }) => (event.detail.eventSource === "iam.amazonaws.com" ? "us-east-1" : "eu-west-1");

  it.each(FIXTURE_NAMES)("forwards the successful %s call", (name) => {
    const event = fixture(name);
    expect(matchesEventPattern(ruleIn(regionOf(event)), event)).toBe(true);
  });

  it("drops a failed call at the spoke (errorCode present), which the handler would drop too", () => {
    const failed = JSON.parse(readFileSync(FAILED_RUN_INSTANCES, "utf8"));
    expect(failed.detail.errorCode).toBe("Client.UnauthorizedOperation");
    expect(matchesEventPattern(ruleIn("eu-west-1"), failed)).toBe(false);
    // The same call without its error is one the rule forwards: only errorCode decided.
    const { errorCode: _code, errorMessage: _message, ...succeeded } = failed.detail;
    expect(matchesEventPattern(ruleIn("eu-west-1"), { ...failed, detail: succeeded })).toBe(true);
    // Second line: the handler's own check still rejects it, e.g. from a rule deployed before the filter.
    expect(parseChangeEvent(failed)).toMatchObject({ rejected: true, reason: "failed-call" });
  });

  it("keeps every default pattern within EventBridge's default 2048-character pattern size", () => {
    // "Event pattern size", Amazon EventBridge quotas (adjustable to 4096); hashicorp/aws rejects
    // longer event_pattern values at plan time (terraform-provider-aws issue #33732).
    for (const { pattern } of forwardingRoutes(["eu-west-1", "us-east-1"], DEFAULT_EVENT_NAMES, "aws")) {
      expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(2048);
    }
  });
});
