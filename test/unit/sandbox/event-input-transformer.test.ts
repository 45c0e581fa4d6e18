import { describe, expect, it } from "vitest";
import { retryAfter } from "../../../sandbox/emulator/services/events/delivery.js";
import { transformerProblem, transformInput } from "../../../sandbox/emulator/services/events/input-transformer.js";
import { AwsError } from "../../../sandbox/emulator/protocol/types.js";

/**
 * The guide's own examples (EventBridge User Guide, "Transforming Amazon EventBridge target
 * input", eb-transform-target-input.html, "Input Transform Examples"): its EC2 event, its Input
 * Path, and each template of its table with the output the table gives, compared as JSON where
 * the output is JSON. The CloudWatch log group row is left out: it shows that target's own
 * rendering, not EventBridge's.
 */
const EVENT = {
  version: "0",
  id: "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "123456789012",
  time: "2015-11-11T21:29:54Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  detail: { "instance-id": "i-0123456789", state: "RUNNING" },
};
const PATHS = { timestamp: "$.time", instance: "$.detail.instance-id", state: "$.detail.state" };
const CTX = { ruleArn: "arn:aws:events:us-east-2:123456789012:rule/example", ingestionTime: "2015-11-11T21:29:55Z" };
const run = (InputTemplate: string, InputPathsMap: Record<string, string> = PATHS) => transformInput({ InputPathsMap, InputTemplate }, EVENT, CTX);

describe("InputTransformer, by the user guide's examples table", () => {
  it("simple string, and a string with escaped quotes", () => {
    expect(JSON.parse(run('"instance <instance> is in <state>"'))).toBe("instance i-0123456789 is in RUNNING");
    expect(JSON.parse(run('"instance \\"<instance>\\" is in <state>"'))).toBe('instance "i-0123456789" is in RUNNING');
  });

  it("simple JSON: an unquoted placeholder is the value as JSON", () => {
    expect(JSON.parse(run('{\n  "instance" : <instance>,\n  "state": <state>\n}'))).toEqual({ instance: "i-0123456789", state: "RUNNING" });
  });

  it("JSON with strings and variables: a quoted placeholder is the value's text", () => {
    expect(JSON.parse(run('{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}'))).toEqual({
      instance: "i-0123456789",
      state: "RUNNING",
      instanceStatus: 'instance "i-0123456789" is in RUNNING',
    });
  });

  it("JSON with a mix of variables and static information", () => {
    expect(JSON.parse(run('{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}'))).toEqual({ instance: "i-0123456789", state: [9, "RUNNING", true], Transformed: "Yes" });
  });

  it("reserved variables in JSON and in a string: the rule's ARN and name, the original event", () => {
    expect(JSON.parse(run('{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event>\n}'))).toEqual({
      instance: "i-0123456789",
      state: "RUNNING",
      ruleArn: CTX.ruleArn,
      ruleName: "example",
      originalEvent: EVENT,
    });
    expect(JSON.parse(run('"<aws.events.rule-name> triggered"'))).toBe("example triggered");
    expect(JSON.parse(JSON.parse(run("<aws.events.event.json>")) as string)).toEqual(EVENT);
    expect(JSON.parse(run('"<aws.events.event.ingestion-time>"'))).toBe(CTX.ingestionTime);
  });

  it("the JSON passed is minified; a path the event lacks leaves its placeholder out; values are not escaped; array indices", () => {
    expect(run('{ "a" : [ 1 ,  2 ] }', {})).toBe('{"a":[1,2]}');
    expect(JSON.parse(run('"[<missing>]"', { missing: "$.detail.nothing" }))).toBe("[]");
    // A value with a quote breaks the JSON string it is put into unescaped: the text goes as it is.
    const quoted = transformInput({ InputPathsMap: { v: "$.detail.v" }, InputTemplate: '{"v": "<v>"}' }, { detail: { v: 'say "hi"' } }, CTX);
    expect(quoted).toBe('{"v": "say "hi""}');
    expect(JSON.parse(run('{"r": <first>}', { first: "$.resources[0]" }))).toEqual({ r: EVENT.resources[0] });
    // Text that is not a defined variable stays as it is.
    expect(JSON.parse(run('"<b>bold</b> <state>"'))).toBe("<b>bold</b> RUNNING");
  });

  it("PutTargets refuses reserved keys, paths outside dot notation, and templates outside 1–8192 characters (API_InputTransformer.html)", () => {
    expect(transformerProblem({ InputPathsMap: PATHS, InputTemplate: "<state>" })).toBeUndefined();
    expect(transformerProblem({ InputPathsMap: { "aws.events.event": "$.detail" }, InputTemplate: "x" })).toMatch(/reserved/);
    expect(transformerProblem({ InputPathsMap: { all: "$.detail.*" }, InputTemplate: "x" })).toMatch(/not a valid JSON path/);
    expect(transformerProblem({ InputPathsMap: { all: "$['detail']" }, InputTemplate: "x" })).toMatch(/not a valid JSON path/);
    expect(transformerProblem({ InputTemplate: "" })).toMatch(/between 1 and 8192/);
    expect(transformerProblem({ InputTemplate: "x".repeat(8193) })).toMatch(/between 1 and 8192/);
    expect(transformerProblem({ InputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, "$.id"])), InputTemplate: "x" })).toMatch(/at most 100/);
  });
});

describe("EventBridge's retry decision (eb-rule-dlq.html, eb-rule-retry-policy.html, API_RetryPolicy.html)", () => {
  const half = () => 0.5;
  it("retries only 429 and 5xx answers; other errors go to the dead-letter queue at once", () => {
    expect(retryAfter(new AwsError("AccessDeniedException", "no", 403), { retries: 0, ageMs: 0 }, undefined, half)).toEqual({});
    expect(retryAfter(new AwsError("ResourceNotFoundException", "gone", 404), { retries: 0, ageMs: 0 }, undefined, half)).toEqual({});
    expect(retryAfter(new Error("not a service's answer"), { retries: 0, ageMs: 0 }, undefined, half)).toEqual({});
    expect(retryAfter(new AwsError("TooManyRequestsException", "slow down", 429), { retries: 0, ageMs: 0 }, undefined, half)).toEqual({ waitMs: 500 });
    expect(retryAfter(new AwsError("ServiceException", "oops", 500), { retries: 3, ageMs: 0 }, undefined, half)).toEqual({ waitMs: 4000 });
  });

  it("stops at MaximumRetryAttempts, or when the next wait would pass MaximumEventAgeInSeconds, whichever comes first; the defaults are 185 and 24 hours", () => {
    const throttled = new AwsError("ThrottlingException", "Rate exceeded", 429);
    expect(retryAfter(throttled, { retries: 2, ageMs: 0 }, { MaximumRetryAttempts: 2 }, half)).toEqual({ exhausted: "MaximumRetryAttempts" });
    expect(retryAfter(throttled, { retries: 0, ageMs: 0 }, { MaximumRetryAttempts: 0 }, half)).toEqual({ exhausted: "MaximumRetryAttempts" });
    expect(retryAfter(throttled, { retries: 5, ageMs: 59_000 }, { MaximumEventAgeInSeconds: 60 }, half)).toEqual({ exhausted: "MaximumEventAgeInSeconds" });
    expect(retryAfter(throttled, { retries: 184, ageMs: 0 }, undefined, half)).toEqual({ waitMs: 450_000 });
    expect(retryAfter(throttled, { retries: 185, ageMs: 0 }, undefined, half)).toEqual({ exhausted: "MaximumRetryAttempts" });
    expect(retryAfter(throttled, { retries: 10, ageMs: 86_400_000 - 1000 }, undefined, half)).toEqual({ exhausted: "MaximumEventAgeInSeconds" });
  });
});
