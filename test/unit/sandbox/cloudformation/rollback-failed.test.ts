import { describe, expect, it } from "vitest";
import { detectDrift, HTTPS_GROUP, region, rejection, roleCaller, type Harness, harness } from "./fixture.js";

/**
 * A rollback whose own calls are denied (User Guide, "Stack status codes"):
 * - ROLLBACK_FAILED: "Unsuccessful removal of one or more stacks after a failed stack creation …
 *   Delete the stack or view the stack events to see any associated error messages";
 * - UPDATE_ROLLBACK_FAILED: "Unsuccessful return of one or more stacks to a previous working state
 *   after a failed stack update. When in this state, you can delete the stack or continue rollback",
 *   which ContinueUpdateRollback does (API_ContinueUpdateRollback.html, User Guide "Continue rolling
 *   back an update"), skipping the ResourcesToSkip, which are then "inconsistent with the state of
 *   the resources in the stack template".
 * The denials are the deployer's own: without a service role CloudFormation calls with the
 * caller's credentials (using-iam-servicerole.html), so an action the forward step was allowed and
 * its undo was not (sns:CreateTopic without sns:DeleteTopic) is what makes the rollback fail.
 */

type Event = { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string };

async function events(as: (action: string, params: Record<string, unknown>) => Promise<any>, stackName: string): Promise<string[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { StackEvents } = await as("DescribeStackEvents", { StackName: stackName });
  return (StackEvents as Event[]).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}${e.ResourceStatusReason === undefined ? "" : ` (${e.ResourceStatusReason.split(" ").slice(0, 6).join(" ")})`}`);
}

// SNS writes its actions SNS:Xxx in its messages, as SNS does ("is not authorized to perform: SNS:Publish").
const notAuthorized = (action: string) => new RegExp(`^Resource handler returned message: ".*is not authorized to perform: ${action} .*HandlerErrorCode: AccessDenied\\)$`, "i");

describe("a create whose rollback cannot delete a resource: ROLLBACK_FAILED", () => {
  // The topic comes first (the group depends on it); the group's CreateSecurityGroup is denied, then the topic's DeleteTopic.
  const TEMPLATE = `
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Sg:
    DependsOn: Topic${HTTPS_GROUP}
`;

  it("leaves the resource DELETE_FAILED in the stack and in the World; only DeleteStack is accepted, and it retries the delete", async () => {
    const h = harness();
    const deployer = await roleCaller(h, "Deployer", ["cloudformation:*", "sns:CreateTopic", "sns:TagResource"]);
    await deployer.as("CreateStack", { StackName: "app", TemplateBody: TEMPLATE });

    const stack = (await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0];
    expect(stack.StackStatus).toBe("ROLLBACK_FAILED");
    expect(stack.StackStatusReason).toBe("The following resource(s) failed to delete: [Topic]. ");
    const [topic] = (await deployer.as("DescribeStackResources", { StackName: "app" })).StackResources;
    expect(topic).toMatchObject({ LogicalResourceId: "Topic", ResourceStatus: "DELETE_FAILED" });
    expect(topic.ResourceStatusReason).toMatch(notAuthorized("sns:DeleteTopic"));
    expect(region(h.world).topics.has(topic.PhysicalResourceId)).toBe(true);
    expect((await events(deployer.as, "app")).slice(0, 5)).toEqual([
      "app ROLLBACK_FAILED (The following resource(s) failed to delete:)",
      'Topic DELETE_FAILED (Resource handler returned message: "User: arn:aws:sts::111111111111:assumed-role/Deployer/deploy)',
      "Topic DELETE_IN_PROGRESS",
      "app ROLLBACK_IN_PROGRESS (The following resource(s) failed to create:)",
      'Sg CREATE_FAILED (Resource handler returned message: "You are)',
    ]);

    // Neither an update, a drift detection nor ContinueUpdateRollback (an update's rollback only) is accepted.
    const update = await rejection(deployer.as("UpdateStack", { StackName: "app", TemplateBody: TEMPLATE }));
    expect(update).toMatchObject({ code: "ValidationError", message: `Stack:${stack.StackId} is in ROLLBACK_FAILED state and can not be updated.` });
    expect((await rejection(deployer.as("DetectStackDrift", { StackName: "app" }))).message).toMatch(/in status ROLLBACK_FAILED$/);
    expect(await rejection(deployer.as("ContinueUpdateRollback", { StackName: "app" }))).toMatchObject({ code: "ValidationError" });

    await deployer.allow(["sns:DeleteTopic"]);
    await deployer.as("DeleteStack", { StackName: "app" });
    expect((await deployer.as("DescribeStacks", { StackName: stack.StackId })).Stacks[0].StackStatus).toBe("DELETE_COMPLETE");
    expect(region(h.world).topics.has(topic.PhysicalResourceId)).toBe(false);
  });
});

describe("an update whose rollback cannot restore a resource: UPDATE_ROLLBACK_FAILED, then ContinueUpdateRollback", () => {
  // V2 opens port 22 on the group (allowed), then changes the topic (denied): the rollback must revoke port 22.
  const template = (ports: number[], displayName: string) => `
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress:
${ports.map((p) => `        - { IpProtocol: tcp, FromPort: ${p}, ToPort: ${p}, CidrIp: 0.0.0.0/0 }`).join("\n")}
  Topic:
    Type: AWS::SNS::Topic
    DependsOn: Sg
    Properties: { DisplayName: ${displayName} }
`;
  const V1 = template([443], "one");
  const V2 = template([443, 22], "two");

  /** A stack at V1 whose update to V2 has failed and whose rollback could not revoke port 22. */
  async function stuck(): Promise<{ h: Harness; deployer: Awaited<ReturnType<typeof roleCaller>>; groupId: string; ports: () => number[] }> {
    const h = harness();
    const deployer = await roleCaller(h, "Deployer", [
      "cloudformation:*",
      "ec2:CreateSecurityGroup",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateTags",
      "ec2:Describe*",
      "sns:CreateTopic",
      "sns:SetTopicAttributes",
      "sns:TagResource",
    ]);
    await deployer.as("CreateStack", { StackName: "app", TemplateBody: V1 });
    expect((await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0].StackStatus).toBe("CREATE_COMPLETE");
    await deployer.deny(["sns:SetTopicAttributes"]);
    await deployer.as("UpdateStack", { StackName: "app", TemplateBody: V2 });
    const groupId = (await deployer.as("DescribeStackResources", { StackName: "app", LogicalResourceId: "Sg" })).StackResources[0].PhysicalResourceId;
    const ports = () => region(h.world).securityGroups.get(groupId)!.ingress.map((rule) => rule.fromPort!);
    return { h, deployer, groupId, ports };
  }

  it("ends UPDATE_ROLLBACK_FAILED with the resource UPDATE_FAILED: not updatable, the previous template kept, drift detectable", async () => {
    const { h, deployer, ports } = await stuck();
    const stack = (await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0];
    expect(stack.StackStatus).toBe("UPDATE_ROLLBACK_FAILED");
    expect(stack.StackStatusReason).toBe("The following resource(s) failed to update: [Sg]. ");
    const sg = (await deployer.as("DescribeStackResource", { StackName: "app", LogicalResourceId: "Sg" })).StackResourceDetail;
    expect(sg.ResourceStatus).toBe("UPDATE_FAILED");
    expect(sg.ResourceStatusReason).toMatch(notAuthorized("ec2:RevokeSecurityGroupIngress"));
    expect((await events(deployer.as, "app")).slice(0, 6)).toEqual([
      "app UPDATE_ROLLBACK_FAILED (The following resource(s) failed to update:)",
      'Sg UPDATE_FAILED (Resource handler returned message: "You are)',
      "Sg UPDATE_IN_PROGRESS",
      "Topic UPDATE_COMPLETE",
      "Topic UPDATE_IN_PROGRESS",
      "app UPDATE_ROLLBACK_IN_PROGRESS (The following resource(s) failed to update:)",
    ]);
    // Port 22, which the update opened, is still open; the stack keeps V1, so drift detection sees the group MODIFIED.
    expect(ports()).toEqual([443, 22]);
    expect((await deployer.as("GetTemplate", { StackName: "app" })).TemplateBody).toBe(V1);
    const update = await rejection(deployer.as("UpdateStack", { StackName: "app", TemplateBody: V1 }));
    expect(update.message).toBe(`Stack:${stack.StackId} is in UPDATE_ROLLBACK_FAILED state and can not be updated.`);
    const drifts = await detectDrift(h, "app");
    expect(drifts.find((d) => d.LogicalResourceId === "Sg")).toMatchObject({ StackResourceDriftStatus: "MODIFIED" });
  });

  it("ContinueUpdateRollback, once the deployer may revoke, finishes the rollback: UPDATE_ROLLBACK_COMPLETE, port 22 closed, updatable again", async () => {
    const { deployer, ports } = await stuck();
    await deployer.allow(["ec2:RevokeSecurityGroupIngress"]);
    await deployer.as("ContinueUpdateRollback", { StackName: "app" });
    const stack = (await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0];
    expect(stack.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(ports()).toEqual([443]);
    expect((await deployer.as("DescribeStackResource", { StackName: "app", LogicalResourceId: "Sg" })).StackResourceDetail.ResourceStatus).toBe("UPDATE_COMPLETE");
    expect((await events(deployer.as, "app")).slice(0, 5)).toEqual([
      "app UPDATE_ROLLBACK_COMPLETE",
      "app UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
      "Sg UPDATE_COMPLETE",
      "Sg UPDATE_IN_PROGRESS",
      "app UPDATE_ROLLBACK_IN_PROGRESS (User Initiated)",
    ]);
    await deployer.as("UpdateStack", { StackName: "app", TemplateBody: template([443], "three") });
    expect((await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0].StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
  });

  it("ContinueUpdateRollback still denied fails again; ResourcesToSkip skips the resource, whose live state then drifts from the template", async () => {
    const { h, deployer, ports } = await stuck();
    await deployer.as("ContinueUpdateRollback", { StackName: "app" });
    expect((await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0].StackStatus).toBe("UPDATE_ROLLBACK_FAILED");

    // Only a resource whose rollback failed may be skipped.
    const wrong = await rejection(deployer.as("ContinueUpdateRollback", { StackName: "app", ResourcesToSkip: ["Topic"] }));
    expect(wrong).toMatchObject({ code: "ValidationError" });
    expect(wrong.message).toMatch(/\[Topic\].*\[Sg\]/);

    await deployer.as("ContinueUpdateRollback", { StackName: "app", ResourcesToSkip: ["Sg"] });
    expect((await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0].StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect((await events(deployer.as, "app"))[2]).toBe("Sg UPDATE_COMPLETE (Resource skipped during UpdateRollback)");
    expect(ports()).toEqual([443, 22]);
    const drifts = await detectDrift(h, "app");
    expect(drifts.find((d) => d.LogicalResourceId === "Sg")).toMatchObject({ StackResourceDriftStatus: "MODIFIED" });
    expect(drifts.find((d) => d.LogicalResourceId === "Topic")).toMatchObject({ StackResourceDriftStatus: "IN_SYNC" });
  });

  it("ContinueUpdateRollback is refused for a stack that is not UPDATE_ROLLBACK_FAILED", async () => {
    const h = harness();
    await h.call("CreateStack", { StackName: "ok", TemplateBody: V1 });
    expect(await rejection(h.call("ContinueUpdateRollback", { StackName: "ok" }))).toEqual({
      code: "ValidationError",
      message: "ContinueUpdateRollback cannot be called from current stack status",
      status: 400,
    });
  });
});

describe("a cleanup delete that is denied does not fail the operation", () => {
  it("update: the removed topic stays in the World, DELETE_FAILED, and the stack is UPDATE_COMPLETE 'Update successful. One or more resources could not be deleted.'", async () => {
    const h = harness();
    const deployer = await roleCaller(h, "Deployer", ["cloudformation:*", "sns:CreateTopic", "sns:TagResource", "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags"]);
    await deployer.as("CreateStack", { StackName: "app", TemplateBody: `Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n  Sg:${HTTPS_GROUP}\n` });
    const topicArn = (await deployer.as("DescribeStackResources", { StackName: "app", LogicalResourceId: "Topic" })).StackResources[0].PhysicalResourceId;
    await deployer.as("UpdateStack", { StackName: "app", TemplateBody: `Resources:\n  Sg:${HTTPS_GROUP}\n` });
    expect((await deployer.as("DescribeStacks", { StackName: "app" })).Stacks[0].StackStatus).toBe("UPDATE_COMPLETE");
    expect((await events(deployer.as, "app")).slice(0, 2)).toEqual([
      "app UPDATE_COMPLETE (Update successful. One or more resources)",
      'Topic DELETE_FAILED (Resource handler returned message: "User: arn:aws:sts::111111111111:assumed-role/Deployer/deploy)',
    ]);
    expect(region(h.world).topics.has(topicArn)).toBe(true);
    expect((await deployer.as("DescribeStackResources", { StackName: "app" })).StackResources.map((r: { LogicalResourceId: string }) => r.LogicalResourceId)).toEqual(["Sg"]);
  });
});
