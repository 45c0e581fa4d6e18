import { describe, expect, it } from "vitest";
import { decompose } from "./call-trace.js";

describe("decompose", () => {
  it("groups calls by name and counts overlapping calls once in the covered time", () => {
    const calls = [
      { call: "CloudFormation:DescribeStackResources", startMs: 100, endMs: 150 },
      { call: "EC2:RevokeSecurityGroupIngress", startMs: 200, endMs: 260 },
      { call: "S3:PutObject", startMs: 300, endMs: 400 },
      { call: "SNS:Publish", startMs: 350, endMs: 420 }, // overlaps PutObject by 50 ms
      { call: "CloudFormation:DescribeStackResources", startMs: 500, endMs: 530 },
    ];
    // Covered: 50 + 60 + (300..420 = 120) + 30 = 260 of 1,000.
    expect(decompose(calls, 1_000)).toEqual({
      byCall: [
        { call: "S3:PutObject", count: 1, ms: 100 },
        { call: "CloudFormation:DescribeStackResources", count: 2, ms: 80 },
        { call: "SNS:Publish", count: 1, ms: 70 },
        { call: "EC2:RevokeSecurityGroupIngress", count: 1, ms: 60 },
      ],
      uncoveredMs: 740,
    });
  });

  it("does not count time after the trial ended", () => {
    expect(decompose([{ call: "S3:PutObject", startMs: 900, endMs: 1_200 }], 1_000).uncoveredMs).toBe(900);
  });
});
