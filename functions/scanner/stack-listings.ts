import { paginateListStackResources, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { stackListingsKey } from "../aws/bucket-layout.js";
import { getJson, putJson } from "../aws/s3-json.js";
import { errorText } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { UncheckedResource } from "../core/types.js";
import type { ResourceTypes } from "../remediation/index.js";
import { stackVersion } from "./stacks.js";

/**
 * Each stack's resource listing (ListStackResources), read once per stack *version* instead of
 * once per stack per run. Two readers need it: coverage (which resources drift detection did not
 * check) and the ownership lookup (which stacks hold attachment resources, so that only their
 * templates are read). Both were one call per stack per run, two of the four an in-sync stack
 * cost (issue 19: 4.08 CloudFormation calls per in-sync stack, target 2.1).
 *
 * A stack's resources change only through a stack operation (create, update, import, rollback),
 * each of which sets LastUpdatedTime (CloudFormation API Reference, Stack/StackSummary:
 * "The time the stack was last updated"); drift detection does not. So a listing is kept per
 * account in the report bucket (state/stack-listings/<account>.json), keyed by stack id and
 * LastUpdatedTime (CreationTime before any update), and read again only when the stack changed
 * or the listing has aged out (REFRESH_MS): a resource's StackResourceDriftStatus of NOT_CHECKED
 * can turn IN_SYNC without any stack operation when CloudFormation starts supporting its type.
 *
 * Unchecked resources are kept only from a listing made after a complete detection of that
 * version (a listing before the stack's first detection says NOT_CHECKED for everything, and a
 * DETECTION_FAILED one leaves resources unknown); the ownership lookup may list a stack before its
 * detection, and then keeps only its resource types. A record that cannot be read or written
 * costs calls, never correctness: the run lists what it needs and says so in a warning.
 */

const UNCHECKED: ReadonlySet<string> = new Set(["NOT_CHECKED", "UNKNOWN", "UNSUPPORTED"]);

/**
 * A week: a type CloudFormation starts checking shows as checked within a week. Spread over
 * [½, 1] × REFRESH_MS by stack id, so the stacks first listed in one run are not all listed again
 * in one later run.
 */
export const REFRESH_MS = 7 * 24 * 3600 * 1000;

const uncheckedSchema = z.object({ logicalResourceId: z.string(), resourceType: z.string(), status: z.enum(["NOT_CHECKED", "UNKNOWN", "UNSUPPORTED"]) });
const entrySchema = z.object({
  /** The stack version listed: LastUpdatedTime, or CreationTime before any update. */
  version: z.string(),
  listedAt: z.string(),
  types: z.array(z.string()),
  unchecked: z.array(uncheckedSchema).optional(),
});
const recordSchema = z.object({ version: z.literal(1), stacks: z.record(z.string(), entrySchema) });
type Entry = z.infer<typeof entrySchema>;
type ListingRecord = z.infer<typeof recordSchema>;

/** The identity of one listed stack: its id and version (see StackTarget.version). */
export interface ListedStack {
  stackId: string;
  version?: string;
}

/** Where an account's listings are kept between runs. */
export interface StackListingStore {
  load(accountId: string): Promise<unknown>;
  save(accountId: string, record: ListingRecord): Promise<void>;
  location(accountId: string): string;
}

export function s3StackListingStore(s3: S3Client, bucket: string): StackListingStore {
  return {
    load: async (accountId) => (await getJson<unknown>(s3, bucket, stackListingsKey(accountId)))?.value,
    save: (accountId, record) => putJson(s3, bucket, stackListingsKey(accountId), record),
    location: (accountId) => `s3://${bucket}/${stackListingsKey(accountId)}`,
  };
}

/** One account's listings for one run. */
export interface StackListings {
  /** The stack's resources drift detection did not check, after a detection of this run (`complete`: DETECTION_COMPLETE). */
  unchecked(cfn: CloudFormationClient, stack: ListedStack, complete: boolean): Promise<UncheckedResource[]>;
  /** The resource types the stack holds, at any time of the run. */
  types(cfn: CloudFormationClient, stack: ListedStack): Promise<readonly string[]>;
  /** Keeps what this run listed or used for the next run; a failure is logged, not thrown. */
  save(): Promise<void>;
}

/**
 * The ownership lookup's question "which resource types does this stack hold" answered from the
 * listings (remediation/ownership/lookup.ts reads templates only of stacks holding attachments).
 * `listings` may be opened on first use: the event path opens them only when an event needs ownership.
 */
export function listedResourceTypes(listings: () => Promise<StackListings>): ResourceTypes {
  return async (cfn, stack) => (await listings()).types(cfn, { stackId: stack.StackId ?? stack.StackName ?? "", ...stackVersion(stack) });
}

/**
 * The same answers for a reader other than the scan (the event path): the listings are opened on
 * the first question and never saved from there, so a scan's record is never cut down to one
 * event's stacks.
 */
export function keptResourceTypes(input: OpenStackListingsInput): ResourceTypes {
  let listings: Promise<StackListings> | undefined;
  return listedResourceTypes(() => (listings ??= openStackListings(input)));
}

async function list(cfn: CloudFormationClient, stackId: string): Promise<{ types: string[]; unchecked: UncheckedResource[] }> {
  const types = new Set<string>();
  const unchecked: UncheckedResource[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType) types.add(r.ResourceType);
      // StackResourceDriftInformationSummary (CloudFormation API Reference): NOT_CHECKED "the
      // resource type doesn't support drift detection, or it has not been checked"; UNKNOWN and
      // UNSUPPORTED. A nested stack's own resources are reported with that stack, not as its parent's blind spot.
      const status = r.DriftInformation?.StackResourceDriftStatus ?? "NOT_CHECKED";
      if (!UNCHECKED.has(status) || r.ResourceType === "AWS::CloudFormation::Stack") continue;
      unchecked.push({ logicalResourceId: r.LogicalResourceId ?? "", resourceType: r.ResourceType ?? "", status: status as UncheckedResource["status"] });
    }
  }
  return { types: [...types].sort(), unchecked };
}

/** In [0.5, 1]: where in the refresh window this stack's listing ages out (FNV-1a of its id). */
function spread(stackId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < stackId.length; i++) h = Math.imul(h ^ stackId.charCodeAt(i), 0x01000193) >>> 0;
  return 0.5 + h / 0xffffffff / 2;
}

export interface OpenStackListingsInput {
  accountId: string;
  /** Absent: listings are shared within the run only. */
  store?: StackListingStore;
  now(): number;
  log: Logger;
}

export async function openStackListings(input: OpenStackListingsInput): Promise<StackListings> {
  const { accountId, store, now, log } = input;
  let before: ListingRecord["stacks"] = {};
  if (store) {
    try {
      const raw = await store.load(accountId);
      if (raw !== undefined) {
        const parsed = recordSchema.safeParse(raw);
        if (parsed.success) before = parsed.data.stacks;
        else log.warn("stack listing record unreadable; this run lists every stack's resources again", { location: store.location(accountId), problem: parsed.error.issues[0]?.message });
      }
    } catch (err) {
      log.warn("stack listing record unreadable; this run lists every stack's resources again", { location: store.location(accountId), error: errorText(err) });
    }
  }
  const after = new Map<string, Entry>();
  const pending = new Map<string, Promise<Entry>>();
  let changed = false;

  const fresh = (stack: ListedStack, entry: Entry | undefined): entry is Entry =>
    entry !== undefined && stack.version !== undefined && entry.version === stack.version && now() - Date.parse(entry.listedAt) < REFRESH_MS * spread(stack.stackId);

  const read = (cfn: CloudFormationClient, stack: ListedStack, afterDetection: boolean): Promise<Entry> => {
    const key = `${stack.stackId}\u0000${afterDetection}`;
    let p = pending.get(key);
    if (!p) {
      p = list(cfn, stack.stackId).then(({ types, unchecked }) => {
        const entry: Entry = { version: stack.version ?? "", listedAt: new Date(now()).toISOString(), types, ...(afterDetection ? { unchecked } : {}) };
        // A listing without a version cannot be matched next run; it serves this run only.
        if (stack.version !== undefined && (afterDetection || after.get(stack.stackId)?.unchecked === undefined)) {
          after.set(stack.stackId, entry);
          changed = true;
        }
        return entry;
      });
      pending.set(key, p);
      p.catch(() => pending.delete(key));
    }
    return p;
  };

  const known = (stack: ListedStack): Entry | undefined => {
    const entry = after.get(stack.stackId) ?? before[stack.stackId];
    return fresh(stack, entry) ? entry : undefined;
  };

  return {
    async unchecked(cfn, stack, complete) {
      const entry = known(stack);
      if (complete && entry?.unchecked !== undefined) {
        after.set(stack.stackId, entry);
        return entry.unchecked;
      }
      const listed = await read(cfn, stack, true);
      if (!complete) after.delete(stack.stackId);
      return listed.unchecked ?? [];
    },
    async types(cfn, stack) {
      const entry = known(stack);
      if (entry) {
        if (!after.has(stack.stackId)) after.set(stack.stackId, entry);
        return entry.types;
      }
      return (await read(cfn, stack, false)).types;
    },
    async save() {
      // Stacks this run did not reach keep nothing: they are listed again when next seen.
      if (!store || (!changed && after.size === Object.keys(before).length)) return;
      try {
        await store.save(accountId, { version: 1, stacks: Object.fromEntries(after) });
      } catch (err) {
        log.warn("stack listing record not saved; the next run lists these stacks' resources again", { location: store.location(accountId), error: errorText(err) });
      }
    },
  };
}
