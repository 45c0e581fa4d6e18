import { describe, expect, it } from "vitest";
import { forwardingPlan } from "../../modules/event-forwarding.js";

const names = ["RunInstances", "AttachRolePolicy", "PutBucketEncryption"];

describe("forwardingPlan", () => {
  it("puts IAM events only into the partition's global-events region", () => {
    expect(forwardingPlan(["eu-west-1", "us-east-1"], names, "aws").map((p) => [p.region, p.pattern.source, p.pattern.detail.eventName])).toEqual([
      ["eu-west-1", ["aws.ec2", "aws.s3"], ["RunInstances", "PutBucketEncryption"]],
      ["us-east-1", ["aws.ec2", "aws.iam", "aws.s3"], ["RunInstances", "AttachRolePolicy", "PutBucketEncryption"]],
    ]);
  });

  it("adds the global-events region for IAM alone when the account is not scanned there", () => {
    const plan = forwardingPlan(["eu-west-1"], names, "aws");
    expect(plan.map((p) => p.region)).toEqual(["eu-west-1", "us-east-1"]);
    expect(plan[1]!.pattern.source).toEqual(["aws.iam"]);
    expect(forwardingPlan(["us-gov-east-1"], names, "aws-us-gov").map((p) => p.region)).toEqual(["us-gov-east-1", "us-gov-west-1"]);
  });

  it("skips regions with nothing to forward", () => {
    expect(forwardingPlan(["eu-west-1"], ["AttachRolePolicy"], "aws").map((p) => p.region)).toEqual(["us-east-1"]);
    expect(forwardingPlan(["eu-west-1"], ["RunInstances"], "aws").map((p) => p.region)).toEqual(["eu-west-1"]);
  });
});
