import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { UNMANAGED_REPORTED_KEY } from "../aws/bucket-layout.js";
import { getJson, updateJson, type Backoff } from "../aws/s3-json.js";
import { errorText, toErrorInfo } from "../core/errors.js";
import type { ErrorInfo } from "../core/types.js";

/**
 * What notify-only guardrails (Guardrail.reportOnce: a VPC made by hand) already reported, so a
 * scheduled run reports only what appeared since the last one instead of the same VPCs every
 * day. Kept in the report bucket next to the flapping record; fan-out workers merge into it
 * with conditional writes (aws/s3-json.ts). Deleting it reports everything once more.
 */

const recordSchema = z.object({
  version: z.literal(1),
  /** By "<account>/<region>/<guardrail>": the resource ids the last complete sweep saw. */
  reported: z.record(z.string(), z.array(z.string())),
});
type ReportedRecord = z.infer<typeof recordSchema>;

export interface ReportedStore {
  readonly location: string;
  load(): Promise<ReportedRecord>;
  update(mutate: (current: ReportedRecord) => ReportedRecord): Promise<void>;
}

export function s3ReportedStore(s3: S3Client, bucket: string, backoff: Backoff): ReportedStore {
  const location = `s3://${bucket}/${UNMANAGED_REPORTED_KEY}`;
  const parse = (value: unknown): ReportedRecord => {
    if (value === undefined) return { version: 1, reported: {} };
    const parsed = recordSchema.safeParse(value);
    if (!parsed.success) throw new Error(`${location} is not a record of reported unmanaged resources (${parsed.error.issues[0]?.message ?? "invalid"}); delete it to report every VPC once more`);
    return parsed.data;
  };
  return {
    location,
    load: async () => parse((await getJson<unknown>(s3, bucket, UNMANAGED_REPORTED_KEY))?.value),
    update: (mutate) => updateJson<unknown, void>(s3, bucket, UNMANAGED_REPORTED_KEY, (current) => ({ next: mutate(parse(current)), result: undefined }), backoff, { readable: true }),
  };
}

export interface ReportedScope {
  accountId: string;
  region: string;
  guardrail: string;
}

/** One run's view of the record: read once, written once at the end. */
export interface ReportedMemory {
  /** Set when the record could not be read: every finding is reported as new, and this says why. */
  readonly problem?: ErrorInfo;
  isNew(scope: ReportedScope, id: string): boolean;
  /** After a complete listing: the ids the rule found in the scope now (gone ones drop out). */
  saw(scope: ReportedScope, ids: readonly string[]): void;
  /** Writes what this run saw; an error to report when it could not. */
  finish(): Promise<ErrorInfo | undefined>;
}

export const REPORTED_STATE_UNREADABLE = "UnmanagedStateUnreadable";
export const REPORTED_STATE_NOT_SAVED = "UnmanagedStateNotSaved";

const keyOf = (s: ReportedScope) => `${s.accountId}/${s.region}/${s.guardrail}`;

export async function openReported(store: ReportedStore): Promise<ReportedMemory> {
  let before: ReportedRecord["reported"] = {};
  let problem: ErrorInfo | undefined;
  try {
    before = (await store.load()).reported;
  } catch (err) {
    problem = { code: REPORTED_STATE_UNREADABLE, message: `${store.location} unreadable (${errorText(err)}); every hand-made VPC is reported as new this run` };
  }
  const seen = new Map<string, string[]>();
  return {
    ...(problem ? { problem } : {}),
    isNew: (scope, id) => problem !== undefined || !(before[keyOf(scope)] ?? []).includes(id),
    saw: (scope, ids) => void seen.set(keyOf(scope), [...ids].sort()),
    async finish() {
      // An unreadable record is left as it is, for a person to look at.
      if (seen.size === 0 || problem) return undefined;
      try {
        await store.update((current) => ({ version: 1, reported: { ...current.reported, ...Object.fromEntries(seen) } }));
        return undefined;
      } catch (err) {
        const error = toErrorInfo(err);
        return { code: REPORTED_STATE_NOT_SAVED, message: `${store.location} not saved (${error.code}: ${error.message}); the next run reports this run's hand-made VPCs again` };
      }
    },
  };
}
