import { describe, expect, it } from "vitest";
import type { OnBehalfCall } from "../../../../sandbox/emulator/protocol/types.js";
import { tagsOf } from "../../../../sandbox/emulator/services/sns/topic-attributes.js";
import { account, createStack, harness, region } from "./fixture.js";

/**
 * What a stack update does to the live resources of the types that carry tags or versions:
 * - a tag the template drops leaves the resource (Tags: "Update requires: No interruption" in each
 *   type's Template Reference page), through the service's own untag call; tags added out of
 *   band stay (CloudFormation manages only what it set);
 * - a changed AWS::IAM::ManagedPolicy PolicyDocument becomes a new default version
 *   (CreatePolicyVersion SetAsDefault; at IAM's five versions the oldest non-default goes first),
 *   each call recorded as CloudFormation's (invokedBy cloudformation.amazonaws.com).
 */

function recording(h: ReturnType<typeof harness>): OnBehalfCall[] {
  const calls: OnBehalfCall[] = [];
  h.ctx.onBehalf = (call) => calls.push(call);
  return calls;
}

const tagged = (type: string, extra: string, tags: Record<string, string>) => `
Resources:
  It:
    Type: ${type}
    Properties:${extra}
      Tags: [${Object.entries(tags).map(([k, v]) => `{ Key: ${k}, Value: ${v} }`).join(", ")}]`;

async function update(h: ReturnType<typeof harness>, body: string): Promise<string> {
  await h.call("UpdateStack", { StackName: "app", TemplateBody: body, Capabilities: ["CAPABILITY_NAMED_IAM"] });
  return (await h.call("DescribeStacks", { StackName: "app" })).Stacks[0].StackStatus;
}

describe("a tag removed from the template is removed on update", () => {
  it("AWS::EC2::SecurityGroup: DeleteTags for the dropped key, the kept and out-of-band tags stay", async () => {
    const h = harness();
    const { It: groupId } = await createStack(h, "app", tagged("AWS::EC2::SecurityGroup", "\n      GroupDescription: app", { team: "a", env: "prod" }));
    const group = region(h.world).securityGroups.get(groupId!)!;
    group.tags.manual = "by-hand";
    const calls = recording(h);
    expect(await update(h, tagged("AWS::EC2::SecurityGroup", "\n      GroupDescription: app", { team: "b" }))).toBe("UPDATE_COMPLETE");
    expect(group.tags).toMatchObject({ team: "b", manual: "by-hand" });
    expect(group.tags.env).toBeUndefined();
    expect(group.tags["aws:cloudformation:logical-id"]).toBe("It");
    expect(calls.map((c) => [c.action, c.params, c.invokedBy])).toEqual([
      ["CreateTags", { Resources: [groupId], Tags: [{ Key: "team", Value: "b" }] }, "cloudformation.amazonaws.com"],
      ["DeleteTags", { Resources: [groupId], Tags: [{ Key: "env" }] }, "cloudformation.amazonaws.com"],
    ]);
  });

  it("AWS::EC2::SecurityGroup: Tags left out of the new template entirely", async () => {
    const h = harness();
    const { It: groupId } = await createStack(h, "app", tagged("AWS::EC2::SecurityGroup", "\n      GroupDescription: app", { team: "a" }));
    await update(h, "Resources:\n  It:\n    Type: AWS::EC2::SecurityGroup\n    Properties: { GroupDescription: app }");
    expect(region(h.world).securityGroups.get(groupId!)!.tags.team).toBeUndefined();
  });

  it("AWS::S3::Bucket: the tag set put again without the dropped key", async () => {
    const h = harness();
    const { It: name } = await createStack(h, "app", tagged("AWS::S3::Bucket", "", { team: "a", env: "prod" }));
    const calls = recording(h);
    await update(h, tagged("AWS::S3::Bucket", "", { team: "a" }));
    const bucket = h.world.buckets.get(name!)!;
    expect(bucket.tags.env).toBeUndefined();
    expect(bucket.tags.team).toBe("a");
    const puts = calls.filter((c) => c.action === "PutBucketTagging").map((c) => (c.params as { Tagging: { TagSet: { Key: string }[] } }).Tagging.TagSet.map((t) => t.Key));
    expect(puts).toHaveLength(1);
    expect(puts[0]).toContain("team");
    expect(puts[0]).not.toContain("env");
    await update(h, "Resources:\n  It:\n    Type: AWS::S3::Bucket");
    expect(Object.keys(bucket.tags).filter((k) => !k.startsWith("aws:"))).toEqual([]);
  });

  it("AWS::IAM::Role and AWS::SNS::Topic: UntagRole / UntagResource for the dropped key", async () => {
    const h = harness();
    const trust = "\n      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }";
    const { It: roleName } = await createStack(h, "app", tagged("AWS::IAM::Role", trust, { team: "a", env: "prod" }));
    const calls = recording(h);
    await update(h, tagged("AWS::IAM::Role", trust, { team: "a" }));
    expect(account(h.world).roles.get(roleName!)!.tags).toEqual({ team: "a" });
    expect(calls.map((c) => c.action)).toEqual(["UntagRole"]);

    const t = harness();
    const { It: topicArn } = await createStack(t, "app", tagged("AWS::SNS::Topic", "", { team: "a", env: "prod" }));
    const topicCalls = recording(t);
    await update(t, tagged("AWS::SNS::Topic", "", { team: "a" }));
    expect(topicCalls.map((c) => [c.action, c.params])).toEqual([["UntagResource", { ResourceArn: topicArn, TagKeys: ["env"] }]]);
  });

  // The stack's own tags are propagated to every taggable resource (CreateStack Tags, API_CreateStack.html),
  // so a key the template drops but a stack tag still names is not taken off, whatever the type.
  it.each([
    ["AWS::IAM::Role", "\n      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }"],
    ["AWS::SNS::Topic", ""],
    ["AWS::EC2::SecurityGroup", "\n      GroupDescription: app"],
    ["AWS::S3::Bucket", ""],
  ])("%s: a dropped key that the stack's own tags name stays", async (type, extra) => {
    const h = harness();
    const { It: id } = await createStack(h, "app", tagged(type, extra, { team: "a", owner: "ops" }), { Tags: [{ Key: "owner", Value: "ops" }] });
    const calls = recording(h);
    expect(await update(h, tagged(type, extra, { team: "a" }))).toBe("UPDATE_COMPLETE");
    const live =
      type === "AWS::IAM::Role" ? account(h.world).roles.get(id!)!.tags
      : type === "AWS::EC2::SecurityGroup" ? region(h.world).securityGroups.get(id!)!.tags
      : type === "AWS::S3::Bucket" ? h.world.buckets.get(id!)!.tags
      : tagsOf({ world: h.world, accountId: h.ctx.accountId, region: h.ctx.region }, region(h.world).topics.get(id!)!);
    expect(live).toMatchObject({ team: "a", owner: "ops" });
    expect(calls.map((c) => c.action)).toEqual([]);
  });
});

describe("AWS::IAM::ManagedPolicy PolicyDocument changed by a stack update", () => {
  const policy = (action: string) => `
Resources:
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: ${action}, Resource: "*" }] }`;

  it("becomes a new default version; at five versions the oldest non-default one is deleted first", async () => {
    const h = harness();
    const { Policy: arn } = await createStack(h, "app", policy("s3:GetObject"));
    const calls = recording(h);
    for (const action of ["s3:ListBucket", "sqs:SendMessage", "sns:Publish", "ec2:DescribeVpcs"]) expect(await update(h, policy(action))).toBe("UPDATE_COMPLETE");
    const live = account(h.world).policies.get(arn!)!;
    expect(live.defaultVersionId).toBe("v5");
    expect((live.document as { Statement: { Action: string }[] }).Statement[0]!.Action).toBe("ec2:DescribeVpcs");
    expect(calls.map((c) => c.action).filter((a) => a !== "ListPolicyVersions")).toEqual(["CreatePolicyVersion", "CreatePolicyVersion", "CreatePolicyVersion", "CreatePolicyVersion"]);
    expect(calls[1]).toMatchObject({ action: "CreatePolicyVersion", params: { PolicyArn: arn, SetAsDefault: true }, invokedBy: "cloudformation.amazonaws.com" });

    calls.length = 0;
    await update(h, policy("logs:GetLogEvents"));
    expect(calls.map((c) => [c.action, (c.params as { VersionId?: string }).VersionId])).toEqual([
      ["ListPolicyVersions", undefined],
      ["DeletePolicyVersion", "v1"],
      ["CreatePolicyVersion", undefined],
    ]);
    expect(live.versions!.map((v) => v.versionId)).toEqual(["v2", "v3", "v4", "v5", "v6"]);
    expect(live.defaultVersionId).toBe("v6");
  });

  it("attaches the roles the new template adds and detaches those it drops", async () => {
    const h = harness();
    const trust = "AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }";
    const roles = `
  A:
    Type: AWS::IAM::Role
    Properties: { RoleName: role-a, ${trust} }
  B:
    Type: AWS::IAM::Role
    Properties: { RoleName: role-b, ${trust} }`;
    const withRoles = (names: string) => policy("s3:GetObject") + `\n      Roles: [${names}]` + roles;
    const { Policy: arn } = await createStack(h, "app", withRoles("!Ref A"));
    await update(h, withRoles("!Ref B"));
    expect(account(h.world).roles.get("role-a")!.managedPolicyArns).not.toContain(arn);
    expect(account(h.world).roles.get("role-b")!.managedPolicyArns).toContain(arn);
  });
});
