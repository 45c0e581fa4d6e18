import { describe, expect, it } from "vitest";
import type { OnBehalfCall } from "../../../../sandbox/emulator/protocol/types.js";
import { harness, roleCaller, type Harness } from "./fixture.js";

/**
 * AWS::S3::Bucket's configuration lands one S3 call at a time (cfn-bucket-configuration.ts): a call
 * denied mid-way leaves the calls before it applied, as S3 applies each request on its own, and it
 * is CloudFormation's rollback that undoes them (User Guide, "Stack failure options": a failed
 * create rolls back "all resources", a failed update returns the stack "to the last known stable
 * state"). The denial's wording is the resource handler's (on-behalf.ts, aws/aws-cdk#27067).
 */

/** A role session in the harness's account that may call CloudFormation and the listed S3 actions only. */
async function deployer(h: Harness, s3Actions: string[]) {
  const caller = await roleCaller(h, "Deployer", ["cloudformation:*", ...s3Actions.map((a) => `s3:${a}`)]);
  // The calls CloudFormation made that landed, as the dispatcher records them for CloudTrail.
  const landed: string[] = [];
  h.ctx.onBehalf = (call: OnBehalfCall) => landed.push(`${call.action} ${JSON.stringify(call.params)}`);
  return { ...caller, landed, actions: () => landed.map((l) => l.split(" ")[0]) };
}

const bucket = (config: string) => `
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: partial-data
${config}`;

const V1 = bucket(`      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: AES256 } }] }
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }
      VersioningConfiguration: { Status: Enabled }`);

const V2 = bucket(`      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: aws:kms, KMSMasterKeyID: alias/data } }] }
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false }
      VersioningConfiguration: { Status: Suspended }`);

const DENIED_VERSIONING = /^Resource handler returned message: "User: arn:aws:sts::111111111111:assumed-role\/Deployer\/deploy is not authorized to perform: s3:PutBucketVersioning on resource: "?arn:aws:s3:::partial-data"? because no identity-based policy allows the s3:PutBucketVersioning action \(Service: S3, Status Code: 403, Request ID: [0-9a-f-]{36}\)" \(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: AccessDenied\)$/;

describe("AWS::S3::Bucket configuration, one call at a time", () => {
  it("create: the calls before a denied third one land, then the rollback deletes the bucket (ROLLBACK_COMPLETE)", async () => {
    const h = harness();
    const { as, actions } = await deployer(h, ["CreateBucket", "PutEncryptionConfiguration", "PutBucketPublicAccessBlock", "DeleteBucket"]);
    await as("CreateStack", { StackName: "data", TemplateBody: V1 });
    const stack = (await as("DescribeStacks", { StackName: "data" })).Stacks[0];
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(stack.StackStatusReason).toMatch(/^The following resource\(s\) failed to create: \[Data\]\. Rollback requested by user\. Data: /);
    expect(stack.StackStatusReason.replace(/^.*?Data: /, "")).toMatch(DENIED_VERSIONING);
    // Encryption and the public access block were applied before versioning was refused; the rollback removed the bucket.
    expect(actions()).toEqual(["CreateBucket", "PutBucketEncryption", "PutPublicAccessBlock", "DeleteBucket"]);
    expect(h.world.buckets.has("partial-data")).toBe(false);
  });

  it("update: the calls before the denied one land and the rollback writes them back (UPDATE_ROLLBACK_COMPLETE)", async () => {
    const h = harness();
    const { as, landed, actions, deny } = await deployer(h, ["CreateBucket", "PutEncryptionConfiguration", "PutBucketPublicAccessBlock", "PutBucketVersioning"]);
    await as("CreateStack", { StackName: "data", TemplateBody: V1 });
    expect((await as("DescribeStacks", { StackName: "data" })).Stacks[0].StackStatus).toBe("CREATE_COMPLETE");
    landed.length = 0;
    // Versioning is taken away from the deployer before the update.
    await deny(["s3:PutBucketVersioning"]);

    await as("UpdateStack", { StackName: "data", TemplateBody: V2 });
    const stack = (await as("DescribeStacks", { StackName: "data" })).Stacks[0];
    expect(stack.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(stack.StackStatusReason).toMatch(/with an explicit deny in an identity-based policy/);
    // Forward: encryption (aws:kms) and the public access block landed, versioning was refused.
    // Rollback: the two that landed are written back; versioning never changed, so nothing is sent for it.
    expect(actions()).toEqual(["PutBucketEncryption", "PutPublicAccessBlock", "PutBucketEncryption", "PutPublicAccessBlock"]);
    expect(landed[0]).toContain('"SSEAlgorithm":"aws:kms"');
    expect(landed[2]).toContain('"SSEAlgorithm":"AES256"');
    const live = h.world.buckets.get("partial-data")!;
    expect(live.encryption).toEqual([expect.objectContaining({ sseAlgorithm: "AES256" })]);
    expect(live.publicAccessBlock).toEqual({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true });
    expect(live.versioning).toBe("Enabled");
  });

  it("REVERT_DRIFT: the reverts before a denied call hold, the denied one stays drifted (UPDATE_ROLLBACK_COMPLETE, EXECUTE_FAILED)", async () => {
    const h = harness();
    // A drift-aware change set reads the bucket first, so the deployer may read its configuration (on-behalf.ts readOnBehalf).
    const reads = ["GetEncryptionConfiguration", "GetBucketPublicAccessBlock", "GetBucketVersioning", "GetBucketTagging"];
    const { as, actions, landed, deny } = await deployer(h, ["CreateBucket", "PutEncryptionConfiguration", "PutBucketPublicAccessBlock", "PutBucketVersioning", ...reads]);
    await as("CreateStack", { StackName: "data", TemplateBody: V1 });
    landed.length = 0;
    const live = h.world.buckets.get("partial-data")!;
    live.encryption = [{ sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/other" }];
    live.publicAccessBlock = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
    live.versioning = "Suspended";
    await deny(["s3:PutBucketVersioning"]);

    const created = await as("CreateChangeSet", { StackName: "data", ChangeSetName: "revert", ChangeSetType: "UPDATE", UsePreviousTemplate: "true", DeploymentMode: "REVERT_DRIFT" });
    await as("ExecuteChangeSet", { ChangeSetName: created.Id });
    expect((await as("DescribeStacks", { StackName: "data" })).Stacks[0].StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect((await as("DescribeChangeSet", { ChangeSetName: created.Id })).ExecutionStatus).toBe("EXECUTE_FAILED");
    expect(actions()).toEqual(["PutBucketEncryption", "PutPublicAccessBlock"]);
    expect(live.encryption).toEqual([expect.objectContaining({ sseAlgorithm: "AES256" })]);
    expect(live.publicAccessBlock?.blockPublicPolicy).toBe(true);
    expect(live.versioning).toBe("Suspended");
  });
});
