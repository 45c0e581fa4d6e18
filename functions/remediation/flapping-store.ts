import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { isErrorCode } from "../scanner/errors.js";

/**
 * Where the flapping guard keeps, per resource, how many consecutive runs repaired it. The record
 * lives in the report bucket so a person can read it and clear an entry to re-enable a resource.
 */

export const FLAPPING_STATE_KEY = "state/flapping.json";

const entrySchema = z.object({
  /** Consecutive runs (ending with `lastRunId`) in which the resource was repaired. */
  count: z.number().int().min(1),
  lastRunId: z.string(),
  lastRepairedAt: z.string(),
  /** Set once `count` reached the threshold; only a person clears it, by deleting the entry. */
  flagged: z.boolean(),
});
const recordSchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), entrySchema),
});

export type FlappingEntry = z.infer<typeof entrySchema>;
export type FlappingRecord = z.infer<typeof recordSchema>;

export interface FlappingStore {
  /** Human-readable location, quoted in "clear the entry" messages. */
  readonly location: string;
  load(): Promise<FlappingRecord>;
  /**
   * Applies `mutate` to the freshest record and saves the result. `mutate` may run more than once
   * when another writer got in first, so it must derive everything from its argument.
   */
  update(mutate: (current: FlappingRecord) => FlappingRecord): Promise<void>;
}

export function emptyFlappingRecord(): FlappingRecord {
  return { version: 1, entries: {} };
}

export function parseFlappingRecord(text: string, location: string): FlappingRecord {
  const parsed = recordSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${location} is not a flapping record: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

const MAX_WRITE_ATTEMPTS = 4;

/**
 * S3 implementation. Writes are conditional (If-Match the ETag read, If-None-Match on first
 * write) so concurrent runs, such as fan-out workers, merge instead of overwriting each other.
 */
export function s3FlappingStore(s3: S3Client, bucket: string, key: string = FLAPPING_STATE_KEY): FlappingStore {
  const location = `s3://${bucket}/${key}`;

  async function read(): Promise<{ record: FlappingRecord; etag?: string }> {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await out.Body?.transformToString()) ?? "";
      return { record: parseFlappingRecord(text, location), etag: out.ETag };
    } catch (err) {
      if (isErrorCode(err, "NoSuchKey")) return { record: emptyFlappingRecord() };
      throw err;
    }
  }

  return {
    location,
    load: async () => (await read()).record,
    async update(mutate) {
      for (let attempt = 1; ; attempt++) {
        const { record, etag } = await read();
        const next = mutate(record);
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: `${JSON.stringify(next, null, 2)}\n`,
              ContentType: "application/json",
              ...(etag === undefined ? { IfNoneMatch: "*" } : { IfMatch: etag }),
            }),
          );
          return;
        } catch (err) {
          const lostRace = isErrorCode(err, "PreconditionFailed", "ConditionalRequestConflict");
          if (!lostRace || attempt >= MAX_WRITE_ATTEMPTS) throw err;
        }
      }
    },
  };
}

/** In-process store for tests and local runs. */
export function memoryFlappingStore(initial: FlappingRecord = emptyFlappingRecord()): FlappingStore & { current(): FlappingRecord } {
  let record = structuredClone(initial);
  return {
    location: "memory:state/flapping.json",
    load: async () => structuredClone(record),
    async update(mutate) {
      record = mutate(structuredClone(record));
    },
    current: () => structuredClone(record),
  };
}
