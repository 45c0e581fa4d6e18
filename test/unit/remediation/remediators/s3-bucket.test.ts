import {
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type ServerSideEncryptionRule,
  type Tag,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { NOTHING_OWNED } from "../../../../functions/remediation/ownership/owned.js";
import { effectsOf, IN_SYNC_REASON } from "../../../../functions/remediation/plan.js";
import { s3BucketRemediator } from "../../../../functions/remediation/remediators/s3-bucket.js";
import { BUCKET, bucketDrift, LEDGER_KEY } from "../fixtures.js";
import { awsError, spokeClients, writes, remediateWith } from "../helpers.js";

const s3 = mockClient(S3Client);
const clients = spokeClients();

interface S3World {
  encryption?: ServerSideEncryptionRule[];
  publicAccessBlock?: PublicAccessBlockConfiguration;
  versioning?: "Enabled" | "Suspended";
  tags?: Tag[];
}
let world: S3World;

const ALL_BLOCKED = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };
const KMS_RULE: ServerSideEncryptionRule = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: LEDGER_KEY }, BucketKeyEnabled: true };

/** After DeleteBucketEncryption S3 reports its SSE-S3 default. */
function driftedWorld(): S3World {
  return {
    encryption: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }],
    publicAccessBlock: { ...ALL_BLOCKED },
    versioning: "Enabled",
    tags: [
      { Key: "data-class", Value: "confidential" },
      { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
    ],
  };
}

function installFakeS3() {
  s3.reset();
  s3.on(GetBucketEncryptionCommand).callsFake(() => {
    if (!world.encryption) throw awsError("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found");
    return { ServerSideEncryptionConfiguration: { Rules: world.encryption } };
  });
  s3.on(GetPublicAccessBlockCommand).callsFake(() => {
    if (!world.publicAccessBlock) throw awsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found");
    return { PublicAccessBlockConfiguration: world.publicAccessBlock };
  });
  s3.on(GetBucketVersioningCommand).callsFake(() => (world.versioning ? { Status: world.versioning } : {}));
  s3.on(GetBucketTaggingCommand).callsFake(() => {
    if (!world.tags) throw awsError("NoSuchTagSet", "The TagSet does not exist");
    return { TagSet: world.tags };
  });
  s3.on(PutBucketEncryptionCommand).callsFake(({ ServerSideEncryptionConfiguration }) => void (world.encryption = ServerSideEncryptionConfiguration.Rules));
  s3.on(PutPublicAccessBlockCommand).callsFake(({ PublicAccessBlockConfiguration }) => void (world.publicAccessBlock = PublicAccessBlockConfiguration));
  s3.on(PutBucketVersioningCommand).callsFake(({ VersioningConfiguration }) => void (world.versioning = VersioningConfiguration.Status));
  s3.on(PutBucketTaggingCommand).callsFake(({ Tagging }) => {
    // S3 refuses a tag set that drops the aws: tags CloudFormation put on the bucket.
    const kept = new Set((Tagging.TagSet as Tag[]).map((t) => t.Key));
    if ((world.tags ?? []).some((t) => t.Key?.startsWith("aws:") && !kept.has(t.Key))) throw awsError("InvalidTag", "System tags cannot be removed by requester");
    world.tags = Tagging.TagSet;
  });
}

beforeEach(() => {
  world = driftedWorld();
  installFakeS3();
});

const remediate = (dryRun = false, drift = bucketDrift()) => remediateWith(s3BucketRemediator, drift, clients, { dryRun: dryRun });

describe("AWS::S3::Bucket remediator", () => {
  it("restores the KMS default encryption that was removed", async () => {
    const result = await remediate();

    expect(result.outcome).toBe("remediated");
    expect(result.steps).toEqual([`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=aws:kms`]);
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      ServerSideEncryptionConfiguration: { Rules: [KMS_RULE] },
    });
    expect(world.encryption).toEqual([KMS_RULE]);
  });

  it("restores several drifted fields at once: encryption, each public-access flag, versioning and every managed tag", async () => {
    world = {
      encryption: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false }],
      publicAccessBlock: { BlockPublicAcls: false, BlockPublicPolicy: true, IgnorePublicAcls: false, RestrictPublicBuckets: false },
      versioning: "Suspended",
      tags: [
        { Key: "data-class", Value: "public" },
        { Key: "retention", Value: "none" },
        { Key: "cost-center", Value: "cc-42" },
        { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
      ],
    };
    const drift = bucketDrift();
    const expected = { ...drift.expected, Tags: [{ Key: "data-class", Value: "confidential" }, { Key: "retention", Value: "7y" }, { Key: "owner", Value: "ledger" }] };

    const result = await remediate(false, { ...drift, expected });

    expect(result.outcome).toBe("remediated");
    expect(world.encryption).toEqual([KMS_RULE]);
    expect(world.publicAccessBlock).toEqual(ALL_BLOCKED);
    expect(world.versioning).toBe("Enabled");
    expect([...(world.tags ?? [])].sort((a, b) => a.Key!.localeCompare(b.Key!))).toEqual([
      { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
      { Key: "cost-center", Value: "cc-42" },
      { Key: "data-class", Value: "confidential" },
      { Key: "owner", Value: "ledger" },
      { Key: "retention", Value: "7y" },
    ]);
    s3.resetHistory();
    expect((await remediate(false, { ...drift, expected })).outcome).toBe("skipped");
    expect(writes(s3)).toEqual([]);
  });

  it.each(["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] as const)(
    "restores the public access block when only %s was turned off",
    async (flag) => {
      world = { ...driftedWorld(), encryption: [KMS_RULE], publicAccessBlock: { ...ALL_BLOCKED, [flag]: false } };
      await remediate();
      expect(world.publicAccessBlock).toEqual(ALL_BLOCKED);
    },
  );

  it("re-puts encryption with every live field the template does not set: BlockedEncryptionTypes is kept", async () => {
    // A bucket created after S3 began blocking SSE-C by default (S3 User Guide, "Blocking or
    // unblocking SSE-C for a general purpose bucket"); the shape of cloudformation-coverage-roadmap#2554.
    world.encryption = [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }];
    const result = await remediate();
    expect(result.steps).toEqual([`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=aws:kms BlockedEncryptionTypes=SSE-C`]);
    expect(world.encryption).toEqual([{ ...KMS_RULE, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }]);
  });

  it("blocks SSE-C again when the template blocks it and someone unblocked it", async () => {
    const rule = { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { KMSMasterKeyID: LEDGER_KEY, SSEAlgorithm: "aws:kms" }, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } };
    const drift = { ...bucketDrift(), expected: { ...bucketDrift().expected, BucketEncryption: { ServerSideEncryptionConfiguration: [rule] } } };
    world.encryption = [{ ...KMS_RULE, BlockedEncryptionTypes: { EncryptionType: ["NONE"] } }];
    // The plan's property-level prediction (the convergence check's input): the template's rule.
    const planned = await s3BucketRemediator.plan({ drift, clients, owned: NOTHING_OWNED });
    expect("steps" in planned ? effectsOf(planned.steps) : planned).toEqual([{ path: "/BucketEncryption", value: { ServerSideEncryptionConfiguration: [rule] } }]);
    const result = await remediate(false, drift);
    expect(result.steps).toEqual([`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=aws:kms BlockedEncryptionTypes=SSE-C`]);
    expect(world.encryption).toEqual([{ ...KMS_RULE, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }]);
    s3.resetHistory();
    expect((await remediate(false, drift)).steps).toEqual([]);
  });

  it("judges encryption under the false-positive normalisers: the template's key id and the live key ARN need no write", async () => {
    // kms-key-id (cloudformation-coverage-roadmap#2233, #2362): the template names the key by id,
    // S3 returns the ARN of the same key in the bucket's own account and region.
    const keyId = LEDGER_KEY.split("/").at(-1)!;
    const rule = { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { KMSMasterKeyID: keyId, SSEAlgorithm: "aws:kms" } };
    const drift = { ...bucketDrift(), expected: { ...bucketDrift().expected, BucketEncryption: { ServerSideEncryptionConfiguration: [rule] } } };
    world = { ...driftedWorld(), encryption: [KMS_RULE], versioning: "Suspended" };
    const result = await remediate(false, drift);
    expect(result.steps).toEqual([`PutBucketVersioning Bucket=${BUCKET} Status=Enabled`]);
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toEqual([]);
    // A key in another account is another key: that is drift, and it is written.
    world.encryption = [{ ...KMS_RULE, ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: LEDGER_KEY.replace("111122223333", "444455556666") } }];
    expect((await remediate(false, drift)).steps).toEqual([`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=aws:kms`]);
  });

  it("is idempotent: the second run sends no write", async () => {
    await remediate();
    s3.resetHistory();

    expect(await remediate()).toEqual({ outcome: "skipped", reason: IN_SYNC_REASON, steps: [] });
    expect(writes(s3)).toEqual([]);
  });

  it("dry run plans and sends nothing", async () => {
    const plan = await remediate(true);

    expect(plan.steps).toHaveLength(1);
    expect(writes(s3)).toEqual([]);
    expect(world).toEqual(driftedWorld());
  });

  it("restores a deleted public access block and suspended versioning", async () => {
    world = { ...driftedWorld(), encryption: [KMS_RULE], publicAccessBlock: undefined, versioning: "Suspended" };

    const result = await remediate();

    expect(result.steps).toEqual([
      `PutPublicAccessBlock Bucket=${BUCKET} BlockPublicAcls=true BlockPublicPolicy=true IgnorePublicAcls=true RestrictPublicBuckets=true`,
      `PutBucketVersioning Bucket=${BUCKET} Status=Enabled`,
    ]);
    expect(world.publicAccessBlock).toEqual(ALL_BLOCKED);
    expect(world.versioning).toBe("Enabled");
  });

  it("restores managed tags, keeping unmanaged and aws: tags in the full tag set", async () => {
    world = {
      ...driftedWorld(),
      encryption: [KMS_RULE],
      tags: [
        { Key: "data-class", Value: "public" },
        { Key: "cost-center", Value: "cc-42" },
        { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
      ],
    };

    const result = await remediate();

    expect(result.steps).toEqual([`PutBucketTagging Bucket=${BUCKET} data-class=confidential`]);
    expect(world.tags).toEqual([
      { Key: "data-class", Value: "confidential" },
      { Key: "cost-center", Value: "cc-42" },
      { Key: "aws:cloudformation:stack-name", Value: "payments-core" },
    ]);
  });

  it("treats a bucket without any encryption configuration as drifted, and one with no tags as untagged", async () => {
    world = { ...driftedWorld(), encryption: undefined, tags: undefined };

    const result = await remediate();

    expect(result.steps).toEqual([`PutBucketEncryption Bucket=${BUCKET} SSEAlgorithm=aws:kms`, `PutBucketTagging Bucket=${BUCKET} data-class=confidential`]);
  });

  it("passes on errors other than a missing configuration", async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError("AccessDenied", "Access Denied"));
    await expect(remediate()).rejects.toThrow("Access Denied");
  });
});
