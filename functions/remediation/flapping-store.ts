import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { FLAPPING_STATE_KEY } from "../aws/bucket-layout.js";
import { getJson, updateJson, type Backoff } from "../aws/s3-json.js";

/**
 * Where the flapping guard keeps, per resource, how many consecutive runs repaired it. The record
 * lives in the report bucket (FLAPPING_STATE_KEY) so a person can read it and clear an entry to
 * re-enable a resource.
 */

const entrySchema = z.object({
  /** Consecutive scheduled scans (ending with `lastRunId`) in which the resource was repaired; 0 = only events repaired it. */
  count: z.number().int().min(0),
  lastRunId: z.string(),
  lastRepairedAt: z.string(),
  /** Set once `count` reached the threshold; only a person clears it, by deleting the entry. */
  flagged: z.boolean(),
  /** For the in-sync reset: only a run that could have repaired this type (remediate mode) resets it. */
  resourceType: z.string().optional(),
  /** Who made the changes that were repaired (CloudTrail ARNs), oldest first, at most MAX_ACTORS. */
  changedBy: z.array(z.string()).optional(),
  /** Repairs made by the event path since the last scheduled scan; they never move `count`. */
  eventRepairs: z.number().int().min(0).optional(),
});

/** Enough to name who keeps changing a contested resource without the record growing unbounded. */
export const MAX_ACTORS = 5;
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

export function parseFlappingRecord(value: unknown, location: string): FlappingRecord {
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) throw new Error(`${location} is not a flapping record: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

/**
 * S3 implementation. Writes are conditional (aws/s3-json.ts) so concurrent runs, such as fan-out
 * workers, merge instead of overwriting each other.
 */
export function s3FlappingStore(s3: S3Client, bucket: string, backoff: Backoff, key: string = FLAPPING_STATE_KEY): FlappingStore {
  const location = `s3://${bucket}/${key}`;
  const parse = (value: unknown) => (value === undefined ? emptyFlappingRecord() : parseFlappingRecord(value, location));
  return {
    location,
    load: async () => parse((await getJson<unknown>(s3, bucket, key))?.value),
    update: (mutate) => updateJson<unknown, void>(s3, bucket, key, (current) => ({ next: mutate(parse(current)), result: undefined }), backoff, { readable: true }),
  };
}
