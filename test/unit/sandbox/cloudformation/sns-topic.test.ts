import { describe, expect, it } from "vitest";
import { createStack, detectDrift, harness, region } from "./fixture.js";

// AWS::SNS::Topic, Template Reference (Return values): Ref is the topic ARN; GetAtt TopicArn, TopicName.
const TEMPLATE = `
Resources:
  Named:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
      DisplayName: Alerts
      Tags: [{ Key: team, Value: core }]
  Generated:
    Type: AWS::SNS::Topic
Outputs:
  Ref: { Value: !Ref Named }
  Arn: { Value: !GetAtt Named.TopicArn }
  Name: { Value: !GetAtt Generated.TopicName }
`;

describe("AWS::SNS::Topic", () => {
  it("creates a real topic: Ref and TopicArn are its ARN, a generated name is stack-logical-RANDOM; drift and delete go through SNS", async () => {
    const h = harness();
    const ids = await createStack(h, "app", TEMPLATE);
    const arn = `arn:aws:sns:us-east-1:${h.ctx.accountId}:alerts`;
    expect(ids.Named).toBe(arn);
    const topics = region(h.world).topics;
    expect(topics.get(arn)?.attributes.DisplayName).toBe("Alerts");
    const outputs = Object.fromEntries(((await h.call("DescribeStacks", { StackName: "app" })).Stacks[0].Outputs as { OutputKey: string; OutputValue: string }[]).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs.Ref).toBe(arn);
    expect(outputs.Arn).toBe(arn);
    expect(outputs.Name).toMatch(/^app-Generated-[A-Za-z0-9]{12,13}$/);
    expect(topics.has(ids.Generated!)).toBe(true);

    topics.get(arn)!.attributes.DisplayName = "Changed";
    const drifts = await detectDrift(h, "app");
    expect(JSON.stringify(drifts)).toContain("Changed");

    await h.call("DeleteStack", { StackName: "app" });
    expect(topics.has(arn)).toBe(false);
    expect(topics.has(ids.Generated!)).toBe(false);
  });
});
