import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { isErrorCode } from "../core/errors.js";

/**
 * JSON objects in the report bucket: driftguard's only shared memory (the flapping record, the
 * fan-out's plan, parts and run budget). One read, one write and one read-modify-write, so every
 * writer handles a lost race the same way.
 */

export interface JsonObject<T> {
  value: T;
  etag?: string;
}

/** The object, or undefined when there is none at `key`. */
export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<JsonObject<T> | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await out.Body?.transformToString()) ?? "";
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`s3://${bucket}/${key} is not JSON: ${(err as Error).message}`);
    }
    return { value, etag: out.ETag };
  } catch (err) {
    if (isErrorCode(err, "NoSuchKey")) return undefined;
    throw err;
  }
}

export type WriteCondition = { ifMatch: string } | { ifNoneMatch: "*" };

export interface PutJsonOptions {
  condition?: WriteCondition;
  /** Indented and newline-terminated, for records a person reads and edits (the flapping record). */
  readable?: boolean;
}

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown, options: PutJsonOptions = {}): Promise<void> {
  const { condition, readable = false } = options;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: readable ? `${JSON.stringify(value, null, 2)}\n` : JSON.stringify(value),
      ContentType: "application/json",
      ...(condition === undefined ? {} : "ifMatch" in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: condition.ifNoneMatch }),
    }),
  );
}

export interface Backoff {
  sleep(ms: number): Promise<void>;
  random(): number;
}

/** Parallel workers contend for one object; enough tries for dozens of them at once. */
export const MAX_UPDATE_ATTEMPTS = 12;

/**
 * Read-modify-write with S3 conditional writes (If-Match the ETag read, If-None-Match when there
 * was none), retried with jittered backoff when another writer got in first. `mutate` returns the
 * new value and what to give back to the caller; a `next` of undefined means "nothing to write".
 * `mutate` may run more than once, so it must derive everything from its argument.
 */
export async function updateJson<T, R>(
  s3: S3Client,
  bucket: string,
  key: string,
  mutate: (current: T | undefined) => { next?: T; result: R },
  backoff: Backoff,
  options: Omit<PutJsonOptions, "condition"> = {},
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const current = await getJson<T>(s3, bucket, key);
    const { next, result } = mutate(current?.value);
    if (next === undefined) return result;
    try {
      const condition: WriteCondition = current?.etag === undefined ? { ifNoneMatch: "*" } : { ifMatch: current.etag };
      await putJson(s3, bucket, key, next, { ...options, condition });
      return result;
    } catch (err) {
      // A lost race is 412 PreconditionFailed, or 409 ConditionalRequestConflict while a
      // competing write is in flight, which S3 says to retry (PutObject API reference, IfMatch
      // and IfNoneMatch).
      const lostRace = isErrorCode(err, "PreconditionFailed", "ConditionalRequestConflict");
      if (!lostRace || attempt >= MAX_UPDATE_ATTEMPTS) throw err;
      await backoff.sleep(Math.round((10 + backoff.random() * 40) * Math.min(attempt, 8)));
    }
  }
}
