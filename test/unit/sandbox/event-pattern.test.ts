import { describe, expect, it } from "vitest";
import { matchesEventPattern } from "../../../sandbox/emulator/services/events/pattern.js";

// The EC2 state-change event and patterns of "Amazon EventBridge event patterns" and "Content
// filtering in Amazon EventBridge event patterns" (EventBridge User Guide).
const event = {
  version: "0",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated", "c-count": 5 },
};

describe("matchesEventPattern", () => {
  it("ANDs fields, ORs a field's values and descends into objects", () => {
    expect(matchesEventPattern({ source: ["aws.ec2"], detail: { state: ["running", "terminated"] } }, event)).toBe(true);
    expect(matchesEventPattern({ source: ["aws.ec2"], detail: { state: ["running"] } }, event)).toBe(false);
    expect(matchesEventPattern({ source: ["aws.s3"], detail: { state: ["terminated"] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { missing: ["x"] } }, event)).toBe(false);
  });

  it("matches an event array when any element matches", () => {
    expect(matchesEventPattern({ resources: [{ prefix: "arn:aws:ec2:us-west-1:" }] }, event)).toBe(true);
    expect(matchesEventPattern({ resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-0"] }, event)).toBe(false);
  });

  it("matches exists false only on an absent field and exists true only on a present one", () => {
    expect(matchesEventPattern({ detail: { errorCode: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { "c-count": [{ exists: false }] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { "c-count": [{ exists: true }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { errorCode: [{ exists: true }] } }, event)).toBe(false);
  });

  it("refuses what it does not emulate instead of guessing", () => {
    expect(() => matchesEventPattern({ detail: { state: [{ "anything-but": "running" }] } }, event)).toThrow(/anything-but is not emulated/);
    expect(() => matchesEventPattern({ detail: [{ exists: true }] }, event)).toThrow(/leaf nodes only/);
    expect(() => matchesEventPattern({ source: [] }, event)).toThrow(/empty list/);
  });
});
