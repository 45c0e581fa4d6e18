import { createHash } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { awsError } from "../../support/aws.js";

/**
 * A bucket in memory behind a mocked S3Client, with S3's conditional-write semantics: If-Match
 * must equal the current ETag and If-None-Match "*" requires that no object exists, otherwise
 * 412 PreconditionFailed. Every call yields first, so concurrent writers really interleave.
 */
export interface MemoryBucket {
  objects: Map<string, { body: string; etag: string }>;
  json<T>(key: string): T | undefined;
  /** PutObject keys that fail with this error (e.g. to make one worker fail). */
  failPuts: Map<string, Error>;
  conflicts: number;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function memoryS3(client: S3Client): MemoryBucket {
  const bucket: MemoryBucket = {
    objects: new Map(),
    json: <T>(key: string) => {
      const object = bucket.objects.get(key);
      return object === undefined ? undefined : (JSON.parse(object.body) as T);
    },
    failPuts: new Map(),
    conflicts: 0,
  };
  const mock = mockClient(client);
  mock.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    await yieldTurn();
    const object = bucket.objects.get(input.Key);
    if (!object) throw awsError("NoSuchKey", "The specified key does not exist.", 404);
    return { Body: { transformToString: async () => object.body }, ETag: object.etag };
  });
  mock.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string; IfMatch?: string; IfNoneMatch?: string }) => {
    await yieldTurn();
    const failure = bucket.failPuts.get(input.Key);
    if (failure) throw failure;
    const current = bucket.objects.get(input.Key);
    if ((input.IfNoneMatch === "*" && current) || (input.IfMatch !== undefined && current?.etag !== input.IfMatch)) {
      bucket.conflicts++;
      throw awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
    }
    const etag = `"${createHash("md5").update(input.Body).digest("hex")}"`;
    bucket.objects.set(input.Key, { body: input.Body, etag });
    return { ETag: etag };
  });
  return bucket;
}
