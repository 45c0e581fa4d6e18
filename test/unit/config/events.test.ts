import { describe, expect, it } from "vitest";
import { eventNamesBySource, eventNamesOf, eventSourceOf, KNOWN_EVENT_NAMES } from "../../../functions/config/events.js";
import { globalEventsRegion, partitionOf } from "../../../functions/config/regions.js";

describe("event catalog", () => {
  it("maps each event name to exactly one source", () => {
    expect(new Set(KNOWN_EVENT_NAMES).size).toBe(KNOWN_EVENT_NAMES.length);
    expect(eventSourceOf("AttachRolePolicy")).toBe("aws.iam");
    expect(eventSourceOf("PutBucketPublicAccessBlock")).toBe("aws.s3");
    expect(eventSourceOf("RunInstances")).toBe("aws.ec2");
    expect(eventSourceOf("PutPublicAccessBlock")).toBeUndefined();
  });

  it("groups configured names by source in catalog order, dropping empty sources", () => {
    const grouped = eventNamesBySource(["PutBucketEncryption", "AttachRolePolicy", "CreateVpc", "DetachRolePolicy"]);
    expect([...grouped.entries()]).toEqual([
      ["aws.ec2", ["CreateVpc"]],
      ["aws.iam", ["AttachRolePolicy", "DetachRolePolicy"]],
      ["aws.s3", ["PutBucketEncryption"]],
    ]);
    expect(eventNamesBySource(eventNamesOf("aws.s3")).size).toBe(1);
  });
});

describe("partitions", () => {
  it("knows each partition's global-events region", () => {
    expect(globalEventsRegion(partitionOf("eu-west-1"))).toBe("us-east-1");
    expect(globalEventsRegion(partitionOf("us-gov-east-1"))).toBe("us-gov-west-1");
    expect(globalEventsRegion(partitionOf("cn-northwest-1"))).toBe("cn-north-1");
  });
});
