import { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, HUB, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

let sandbox: Sandbox;
let s3: S3Client;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  s3 = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
  await s3.send(new CreateBucketCommand({ Bucket: "config-bucket" }));
});
afterAll(() => sandbox.close());

describe("s3 bucket configuration", () => {
  it("creates buckets with today's defaults and lists only the caller's", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "eu-bucket", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    expect((await s3.send(new HeadBucketCommand({ Bucket: "eu-bucket" }))).BucketRegion).toBe("eu-west-1");
    const names = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
    expect(names).toEqual(["config-bucket", "eu-bucket"]);
    // API_CreateBucket.html: BucketAlreadyOwnedByYou "in all AWS Regions except in the North Virginia
    // Region … [there] Amazon S3 returns 200 OK"; another account's name is BucketAlreadyExists anywhere.
    expect((await s3.send(new CreateBucketCommand({ Bucket: "config-bucket" }))).Location).toBe("/config-bucket");
    const eu = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD), "eu-west-1"));
    const dup = await failure(eu.send(new CreateBucketCommand({ Bucket: "eu-bucket", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } })));
    expect([dup.name, dup.$metadata.httpStatusCode]).toEqual(["BucketAlreadyOwnedByYou", 409]);
    const hubAdmin = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    expect((await failure(hubAdmin.send(new CreateBucketCommand({ Bucket: "config-bucket" })))).name).toBe("BucketAlreadyExists");
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: "config-bucket" }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256");
  });

  it("blocks SSE-C on new buckets and round-trips BlockedEncryptionTypes through PutBucketEncryption (S3 API Reference, BlockedEncryptionTypes)", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "blocked-bucket" }));
    const created = (await s3.send(new GetBucketEncryptionCommand({ Bucket: "blocked-bucket" }))).ServerSideEncryptionConfiguration?.Rules;
    // The shape get-bucket-encryption shows in cloudformation-coverage-roadmap#2554.
    expect(created).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }]);

    // PutBucketEncryption replaces the configuration: a rule without the field blocks nothing.
    await s3.send(new PutBucketEncryptionCommand({ Bucket: "blocked-bucket", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] } }));
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: "blocked-bucket" }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.BlockedEncryptionTypes).toBeUndefined();

    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: "blocked-bucket",
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BlockedEncryptionTypes: { EncryptionType: ["NONE"] } }] },
      }),
    );
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket: "blocked-bucket" }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.BlockedEncryptionTypes).toEqual({ EncryptionType: ["NONE"] });

    const bad = await failure(
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: "blocked-bucket",
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BlockedEncryptionTypes: { EncryptionType: ["SSE-KMS" as never] } }] },
        }),
      ),
    );
    expect(bad.name).toBe("MalformedXML");
  });

  it("DeleteBucketEncryption resets to SSE-S3, never to no encryption (API_DeleteBucketEncryption.html)", async () => {
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: "config-bucket",
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/y" }, BucketKeyEnabled: true }] },
      }),
    );
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: "config-bucket" }));
    const reset = (await s3.send(new GetBucketEncryptionCommand({ Bucket: "config-bucket" }))).ServerSideEncryptionConfiguration?.Rules;
    expect(reset).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ["SSE-C"] } }]);
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: "config-bucket",
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/x" }, BucketKeyEnabled: true }] },
      }),
    );
    const rules = (await s3.send(new GetBucketEncryptionCommand({ Bucket: "config-bucket" }))).ServerSideEncryptionConfiguration?.Rules;
    expect(rules).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/x" }, BucketKeyEnabled: true }]);
  });

  it("manages the public access block, versioning and tags", async () => {
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "config-bucket" }));
    expect((await failure(s3.send(new GetPublicAccessBlockCommand({ Bucket: "config-bucket" })))).name).toBe("NoSuchPublicAccessBlockConfiguration");
    await s3.send(
      new PutPublicAccessBlockCommand({ Bucket: "config-bucket", PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false } }),
    );
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: "config-bucket" }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "config-bucket" }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: "config-bucket", VersioningConfiguration: { Status: "Enabled" } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "config-bucket" }))).Status).toBe("Enabled");
    expect((await failure(s3.send(new GetBucketTaggingCommand({ Bucket: "config-bucket" })))).name).toBe("NoSuchTagSet");
    await s3.send(new PutBucketTaggingCommand({ Bucket: "config-bucket", Tagging: { TagSet: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: "config-bucket" }))).TagSet).toEqual([{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }]);
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: "config-bucket" }));
    expect((await failure(s3.send(new GetBucketTaggingCommand({ Bucket: "config-bucket" })))).name).toBe("NoSuchTagSet");
  });

  it("answers NoSuchBucket, and AccessDenied for another account's bucket", async () => {
    expect((await failure(s3.send(new GetBucketEncryptionCommand({ Bucket: "no-such-bucket" })))).name).toBe("NoSuchBucket");
    expect((await failure(s3.send(new HeadBucketCommand({ Bucket: "no-such-bucket" })))).name).toBe("NotFound");
    const report = sandbox.hub.reportBucket;
    const denied = await failure(s3.send(new GetBucketEncryptionCommand({ Bucket: report })));
    expect(denied.name).toBe("AccessDenied");
    expect(denied.$metadata.httpStatusCode).toBe(403);
  });
});

describe("s3 objects", () => {
  it("stores, reads, heads, lists and deletes objects with awkward keys", async () => {
    const hub = new S3Client(clientConfig(sandbox, sandbox.hubCredentials));
    const bucket = sandbox.hub.reportBucket;
    const key = "reports/2025/01/02/run 1/report+ü.json";
    await hub.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"ok":true}', ContentType: "application/json" }));
    const got = await hub.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await got.Body!.transformToString()).toBe('{"ok":true}');
    expect(got.ContentType).toBe("application/json");
    expect((await hub.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength).toBe(11);
    await hub.send(new PutObjectCommand({ Bucket: bucket, Key: "reports/latest.json", Body: "{}" }));
    await hub.send(new PutObjectCommand({ Bucket: bucket, Key: "state/flapping.json", Body: "{}" }));
    const listed = await hub.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "reports/", MaxKeys: 1 }));
    expect(listed.Contents!.map((o) => o.Key)).toEqual([key]);
    const rest = await hub.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "reports/", ContinuationToken: listed.NextContinuationToken }));
    expect(rest.Contents!.map((o) => o.Key)).toEqual(["reports/latest.json"]);
    const folders = await hub.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
    expect(folders.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["reports/", "state/"]);
    // The scanner role may write and read reports but never delete one (modules/scanner-function.ts).
    const denied = await failure(hub.send(new DeleteObjectCommand({ Bucket: bucket, Key: "reports/latest.json" })));
    expect([denied.name, denied.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);
    const owner = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(HUB)));
    await owner.send(new DeleteObjectCommand({ Bucket: bucket, Key: "reports/latest.json" }));
    expect((await failure(hub.send(new GetObjectCommand({ Bucket: bucket, Key: "reports/latest.json" })))).name).toBe("NoSuchKey");
  });

  it("writes conditionally: If-None-Match creates only, If-Match replaces only the version read", async () => {
    const hub = new S3Client(clientConfig(sandbox, sandbox.hubCredentials));
    const Bucket = sandbox.hub.reportBucket;
    const Key = "state/conditional.json";
    const created = await hub.send(new PutObjectCommand({ Bucket, Key, Body: "v1", IfNoneMatch: "*" }));
    const again = await failure(hub.send(new PutObjectCommand({ Bucket, Key, Body: "v1 again", IfNoneMatch: "*" })));
    expect([again.name, again.$metadata.httpStatusCode]).toEqual(["PreconditionFailed", 412]);

    const read = await hub.send(new GetObjectCommand({ Bucket, Key }));
    expect(read.ETag).toBe(created.ETag);
    expect(read.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const replaced = await hub.send(new PutObjectCommand({ Bucket, Key, Body: "v2", IfMatch: read.ETag }));
    expect(replaced.ETag).not.toBe(read.ETag);
    const stale = await failure(hub.send(new PutObjectCommand({ Bucket, Key, Body: "v3", IfMatch: read.ETag })));
    expect([stale.name, stale.$metadata.httpStatusCode]).toEqual(["PreconditionFailed", 412]);
    expect(await (await hub.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString()).toBe("v2");

    // If-Match on a key that does not exist is a 404, not a 412, in S3.
    const absent = await failure(hub.send(new PutObjectCommand({ Bucket, Key: "state/absent.json", Body: "x", IfMatch: replaced.ETag })));
    expect([absent.name, absent.$metadata.httpStatusCode]).toEqual(["NoSuchKey", 404]);
    expect(sandbox.world.buckets.get(Bucket)!.objects.has("state/absent.json")).toBe(false);
  });

  it("decodes aws-chunked streaming uploads and checks their CRC32 trailer", async () => {
    const hub = new S3Client(clientConfig(sandbox, sandbox.hubCredentials));
    const body = Readable.from([Buffer.from("hello "), Buffer.from("streaming "), Buffer.from("world")]);
    await hub.send(new PutObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: "stream.txt", Body: body, ContentLength: 21 }));
    const stored = sandbox.world.buckets.get(sandbox.hub.reportBucket)!.objects.get("stream.txt")!;
    expect(stored.body.toString()).toBe("hello streaming world");
  });
});
