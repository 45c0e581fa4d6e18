import { CreateSecurityGroupCommand, EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient, TagRoleCommand } from "@aws-sdk/client-iam";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { CreateBucketCommand, PutBucketTaggingCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

let sandbox: Sandbox;
let tagging: ResourceGroupsTaggingAPIClient;
let groupId: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  const creds = sandbox.adminCredentials(WORKLOAD);
  groupId = (
    await new EC2Client(clientConfig(sandbox, creds)).send(
      new CreateSecurityGroupCommand({ GroupName: "g", Description: "g", TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "team", Value: "blue" }] }] }),
    )
  ).GroupId!;
  const s3 = new S3Client(clientConfig(sandbox, creds));
  await s3.send(new CreateBucketCommand({ Bucket: "tagged-bucket" }));
  await s3.send(new PutBucketTaggingCommand({ Bucket: "tagged-bucket", Tagging: { TagSet: [{ Key: "team", Value: "red" }] } }));
  await new IAMClient(clientConfig(sandbox, creds)).send(new TagRoleCommand({ RoleName: "driftguard-spoke", Tags: [{ Key: "team", Value: "blue" }] }));
  tagging = new ResourceGroupsTaggingAPIClient(clientConfig(sandbox, creds));
});
afterAll(() => sandbox.close());

describe("resource groups tagging api", () => {
  it("finds tagged resources by tag value across services", async () => {
    const res = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: "team", Values: ["blue"] }] }));
    expect(res.ResourceTagMappingList!.map((r) => r.ResourceARN).sort()).toEqual(
      [`arn:aws:ec2:us-east-1:${WORKLOAD}:security-group/${groupId}`, `arn:aws:iam::${WORKLOAD}:role/driftguard-spoke`].sort(),
    );
    expect(res.PaginationToken).toBe("");
  });

  it("filters by resource type and by ARN list", async () => {
    const buckets = await tagging.send(new GetResourcesCommand({ ResourceTypeFilters: ["s3"] }));
    expect(buckets.ResourceTagMappingList).toEqual([{ ResourceARN: "arn:aws:s3:::tagged-bucket", Tags: [{ Key: "team", Value: "red" }] }]);
    const sgs = await tagging.send(new GetResourcesCommand({ ResourceTypeFilters: ["ec2:security-group"] }));
    expect(sgs.ResourceTagMappingList).toHaveLength(1);
    const byArn = await tagging.send(new GetResourcesCommand({ ResourceARNList: ["arn:aws:s3:::tagged-bucket"] }));
    expect(byArn.ResourceTagMappingList).toHaveLength(1);
  });

  it("pages with PaginationToken and reports IAM roles only in us-east-1", async () => {
    const first = await tagging.send(new GetResourcesCommand({ ResourcesPerPage: 1 }));
    expect(first.PaginationToken).not.toBe("");
    const second = await tagging.send(new GetResourcesCommand({ ResourcesPerPage: 100, PaginationToken: first.PaginationToken }));
    expect(first.ResourceTagMappingList!.length + second.ResourceTagMappingList!.length).toBe(3);
    const eu = new ResourceGroupsTaggingAPIClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD), "eu-west-1"));
    expect((await eu.send(new GetResourcesCommand({}))).ResourceTagMappingList).toEqual([]);
    expect((await failure(tagging.send(new GetResourcesCommand({ ResourcesPerPage: 500 })))).name).toBe("InvalidParameterException");
  });
});
