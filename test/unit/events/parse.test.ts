import { describe, expect, it } from "vitest";
import { isRejection, parseChangeEvent, type ParsedChange } from "../../../functions/events/parse.js";
import { FIXTURE_NAMES, fixture, SPOKE } from "./helpers.js";

function parsed(event: unknown): ParsedChange {
  const result = parseChangeEvent(event);
  if (isRejection(result)) throw new Error(`rejected: ${result.reason} ${result.detail}`);
  return result;
}

describe("parseChangeEvent", () => {
  it.each(FIXTURE_NAMES)("parses the recorded %s event", (name) => {
    const event = fixture(name);
    const change = parsed(event);
    expect(change.eventId).toBe(event.id);
    expect(change.changeId).toBe(event.detail.eventID);
    expect(change.account).toBe(SPOKE);
    expect(change.detail.eventName).toBe(name);
    expect(change.detail.userIdentity.arn).toMatch(/^arn:aws:(iam|sts)::111122223333:/);
    expect(change.detail.eventTime).toBe(event.detail.eventTime);
  });

  it("keeps fields it does not validate, so resolvers see the whole call", () => {
    const change = parsed(fixture("AuthorizeSecurityGroupIngress"));
    expect(change.detail).toHaveProperty("tlsDetails.tlsVersion", "TLSv1.3");
    expect(change.detail.responseElements).toHaveProperty("securityGroupRuleSet.items.0.cidrIpv4", "0.0.0.0/0");
  });

  it("falls back to the EventBridge id when CloudTrail's eventID is missing", () => {
    const event = fixture("AttachRolePolicy");
    delete event.detail.eventID;
    expect(parsed(event).changeId).toBe(event.id);
  });

  it("drops failed calls: nothing changed", () => {
    const event = fixture("AttachRolePolicy");
    event.detail.errorCode = "AccessDenied";
    event.detail.errorMessage = "User is not authorized to perform: iam:AttachRolePolicy";
    expect(parseChangeEvent(event)).toMatchObject({ rejected: true, reason: "failed-call" });
  });

  it("drops other detail-types as not-cloudtrail", () => {
    const event = { ...fixture("CreateVpc"), "detail-type": "EC2 Instance State-change Notification" };
    expect(parseChangeEvent(event)).toMatchObject({ rejected: true, reason: "not-cloudtrail" });
  });

  const malformed: [string, (e: Record<string, unknown> & { detail: Record<string, unknown> }) => unknown][] = [
    ["not an object", () => "AttachRolePolicy"],
    ["null", () => null],
    ["an array", () => []],
    ["no id", (e) => ({ ...e, id: undefined })],
    ["a short account id", (e) => ({ ...e, account: "1234" })],
    ["no detail", (e) => ({ ...e, detail: undefined })],
    ["a detail that is a string", (e) => ({ ...e, detail: JSON.stringify(e.detail) })],
    ["no eventName", (e) => ({ ...e, detail: { ...e.detail, eventName: undefined } })],
    ["a numeric eventName", (e) => ({ ...e, detail: { ...e.detail, eventName: 42 } })],
    ["no userIdentity", (e) => ({ ...e, detail: { ...e.detail, userIdentity: undefined } })],
    ["an eventTime that is not a timestamp", (e) => ({ ...e, detail: { ...e.detail, eventTime: "yesterday" } })],
    ["requestParameters that are a list", (e) => ({ ...e, detail: { ...e.detail, requestParameters: ["roleName"] } })],
  ];
  it.each(malformed)("rejects an event with %s as malformed, saying where", (_what, mutate) => {
    const result = parseChangeEvent(mutate(fixture("AttachRolePolicy")));
    expect(result).toMatchObject({ rejected: true, reason: "malformed" });
    expect(isRejection(result) && result.detail).toMatch(/^(envelope|detail): /);
  });
});
