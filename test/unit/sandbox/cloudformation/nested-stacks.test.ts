import { describe, expect, it } from "vitest";
import { ACCOUNT, REGION, createStack, harness, rejection } from "./fixture.js";

const CHILD = `
Parameters:
  Prefix: { Type: String }
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "\${Prefix}-data"
Outputs:
  BucketArn:
    Value: !GetAtt Data.Arn
`;

describe("nested stacks (AWS::CloudFormation::Stack)", () => {
  it("creates the child from an S3 TemplateURL as a stack of its own with ParentId and RootId", async () => {
    const h = harness();
    h.world.buckets.set("templates", {
      name: "templates",
      region: REGION,
      accountId: ACCOUNT,
      createdAt: "2026-01-01T00:00:00.000Z",
      tags: {},
      objects: new Map([["nested/child.yaml", { body: Buffer.from(CHILD), lastModified: "2026-01-01T00:00:00.000Z", etag: '"x"' }]]),
    });
    const parent = `
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://templates.s3.us-east-1.amazonaws.com/nested/child.yaml
      Parameters: { Prefix: app }
  Grandchild:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateBody:
        Resources:
          Inner:
            Type: AWS::CloudFormation::Stack
            Properties:
              TemplateURL: http://127.0.0.1:4566/templates/nested/child.yaml
              Parameters: { Prefix: deep }
Outputs:
  FromChild:
    Value: !GetAtt Child.Outputs.BucketArn
`;
    const ids = await createStack(h, "root", parent);
    const { StackSummaries } = await h.call("ListStacks", {});
    const byName = new Map(StackSummaries.map((s: { StackName: string }) => [s.StackName, s]));
    const rootId = (byName.get("root") as { StackId: string }).StackId;

    const child = StackSummaries.find((s: { StackId: string }) => s.StackId === ids.Child);
    expect(child).toMatchObject({ StackName: expect.stringMatching(/^root-Child-/), ParentId: rootId, RootId: rootId, StackStatus: "CREATE_COMPLETE" });
    const middle = StackSummaries.find((s: { StackId: string }) => s.StackId === ids.Grandchild);
    const inner = StackSummaries.find((s: { ParentId?: string }) => s.ParentId === middle.StackId);
    expect(inner).toMatchObject({ RootId: rootId, StackStatus: "CREATE_COMPLETE" });
    expect(byName.get("root")).not.toHaveProperty("ParentId");

    expect(h.world.buckets.has("app-data")).toBe(true);
    expect(h.world.buckets.has("deep-data")).toBe(true);
    const [root] = (await h.call("DescribeStacks", { StackName: "root" })).Stacks;
    expect(root.Outputs).toEqual([{ OutputKey: "FromChild", OutputValue: "arn:aws:s3:::app-data" }]);

    // CloudFormation doesn't check nested stacks for drift from the parent.
    const { StackResourceDrift } = await h.call("DetectStackResourceDrift", { StackName: "root", LogicalResourceId: "Child" });
    expect(StackResourceDrift.StackResourceDriftStatus).toBe("NOT_CHECKED");

    await h.call("DeleteStack", { StackName: "root" });
    expect(h.world.buckets.has("app-data")).toBe(false);
    expect(h.world.buckets.has("deep-data")).toBe(false);
  });

  it("fails the parent when the child cannot be created, and removes the child", async () => {
    const h = harness();
    await createStack(h, "first", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: x-data }\n");
    await h.call("CreateStack", {
      StackName: "root",
      TemplateBody: JSON.stringify({
        Resources: { Child: { Type: "AWS::CloudFormation::Stack", Properties: { TemplateBody: CHILD, Parameters: { Prefix: "x" } } } },
      }),
    });
    const stacks = (await h.call("ListStacks", {})).StackSummaries;
    expect(stacks.find((s: { StackName: string }) => s.StackName === "root")).toMatchObject({
      StackStatus: "ROLLBACK_COMPLETE",
      StackStatusReason: expect.stringMatching(/^The following resource\(s\) failed to create: \[Child\]\. .*Embedded stack arn:.* was not successfully created/),
    });
    expect(stacks.find((s: { ParentId?: string }) => s.ParentId !== undefined)).toMatchObject({ StackStatus: "DELETE_COMPLETE" });
  });

  it("rejects a TemplateURL that names no sandbox object", async () => {
    const h = harness();
    await h.call("CreateStack", {
      StackName: "root",
      TemplateBody: "Resources:\n  C:\n    Type: AWS::CloudFormation::Stack\n    Properties: { TemplateURL: 'https://missing.s3.amazonaws.com/t.yaml' }\n",
    });
    expect((await h.call("DescribeStacks", { StackName: "root" })).Stacks[0].StackStatusReason).toContain(
      "TemplateURL must reference a valid S3 object to which you have access.",
    );
    expect(await rejection(h.call("CreateStack", { StackName: "direct", TemplateURL: "https://missing.s3.amazonaws.com/t.yaml" }))).toMatchObject({
      code: "ValidationError",
      message: "TemplateURL must reference a valid S3 object to which you have access.",
    });
  });
});
