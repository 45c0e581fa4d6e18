import type { Stack } from "@aws-sdk/client-cloudformation";
import type { Attachment } from "./owned.js";

/**
 * What each stack's attachments own, kept across events by a warm event-path container, so that
 * an event no longer re-reads every stack's template (GetTemplate), resources
 * (ListStackResources) and the account-region's exports (ListExports) — for a role, in every
 * onboarded region. Only DescribeStacks is read per event, and it is what makes the cache safe.
 *
 * Safety: a stale entry could hide an attachment added by a stack operation, and the repair would
 * then remove what that attachment owns. So an entry is reused only for the very stack version it
 * was read from: every lookup lists the account-region's stacks afresh (DescribeStacks) and reuses
 * a stack's attachments only when its StackId, LastUpdatedTime (CreationTime before any update)
 * and StackStatus are all unchanged. Every stack operation that can change a stack's template or
 * resources — create, update, change set execution (imports included), rollback — sets
 * LastUpdatedTime ("The time the stack was last updated", CloudFormation API Reference, Stack)
 * and moves StackStatus through *_IN_PROGRESS to a new final status; a stack whose status ends
 * in _IN_PROGRESS is never served from the cache (its template and resources are in flux). A new
 * stack is not in the cache, a deleted one drops out of DescribeStacks. So the window between a
 * stack operation and its CloudTrail event (delivered "on a best effort basis", EventBridge
 * User Guide, AWS service events delivered via AWS CloudTrail; possibly to another container) is
 * closed by the fresh DescribeStacks, not by the event.
 *
 * Attachments are kept resolved. What they were resolved with changes only with a new version
 * of the same stack (its parameters, its resources' physical ids) — except Fn::ImportValue, which
 * reads another stack's export; but "You can't modify or remove an output value that is
 * referenced by another stack" (Fn::ImportValue, CloudFormation Template Reference), so an
 * imported value cannot change while the importing stack version exists.
 *
 * Two further bounds: an entry older than the TTL is read again, and the stack operations
 * CloudTrail records in an account-region (events/stack-operations.ts, forwarded by the spoke
 * rules) drop that account-region's entries at once — for operations whose effect on
 * LastUpdatedTime AWS does not document (stack refactoring, for one). Neither is what the safety
 * rests on. The cache lives in the container's memory, not in the hub's state bucket: with a fresh
 * DescribeStacks per use no container needs another's invalidation, an S3 copy would cost a read
 * per event (and a write per change) to save reads that are just as cheap, and spoke templates
 * would be copied into the hub account.
 */

/** Long enough for a burst of events to share one read, short enough to bound what an unforeseen change could hide. */
export const OWNERSHIP_CACHE_TTL_MS = 15 * 60_000;

interface Entry {
  version: string;
  readAt: number;
  attachments: readonly Attachment[];
}

/** The version of a stack its attachments are kept for; undefined while an operation is in progress. */
export function cacheableVersion(stack: Pick<Stack, "StackId" | "StackStatus" | "LastUpdatedTime" | "CreationTime">): string | undefined {
  const status = stack.StackStatus ?? "";
  const at = stack.LastUpdatedTime ?? stack.CreationTime;
  if (stack.StackId === undefined || at === undefined || status === "" || status.endsWith("_IN_PROGRESS")) return undefined;
  return `${at.toISOString()} ${status}`;
}

export interface OwnershipCacheStats {
  /** Stacks whose attachments were reused. */
  reused: number;
  /** Stacks whose template was read (new, changed, aged out, in progress or invalidated). */
  read: number;
  /** Account-regions dropped by a stack operation event. */
  invalidated: number;
}

export class OwnershipCache {
  private readonly byRegion = new Map<string, Map<string, Entry>>();
  readonly stats: OwnershipCacheStats = { reused: 0, read: 0, invalidated: 0 };

  constructor(
    private readonly now: () => number,
    readonly ttlMs: number = OWNERSHIP_CACHE_TTL_MS,
  ) {}

  private stacks(accountId: string, region: string): Map<string, Entry> {
    const key = `${accountId}/${region}`;
    let stacks = this.byRegion.get(key);
    if (!stacks) this.byRegion.set(key, (stacks = new Map()));
    return stacks;
  }

  /** The stack's attachments when this very version was read within the TTL. */
  reuse(accountId: string, region: string, stack: Stack): readonly Attachment[] | undefined {
    const version = cacheableVersion(stack);
    const entry = this.byRegion.get(`${accountId}/${region}`)?.get(stack.StackId ?? "");
    if (version === undefined || entry === undefined || entry.version !== version || this.now() - entry.readAt >= this.ttlMs) return undefined;
    this.stats.reused++;
    return entry.attachments;
  }

  /** Keeps what was read for `stack`, unless it was read mid-operation. */
  keep(accountId: string, region: string, stack: Stack, attachments: readonly Attachment[]): void {
    this.stats.read++;
    const version = cacheableVersion(stack);
    const stacks = this.stacks(accountId, region);
    if (version === undefined) stacks.delete(stack.StackId ?? "");
    else stacks.set(stack.StackId!, { version, readAt: this.now(), attachments });
  }

  /** Forgets stacks DescribeStacks no longer lists (deleted). */
  retain(accountId: string, region: string, listed: readonly Stack[]): void {
    const ids = new Set(listed.map((s) => s.StackId));
    const stacks = this.byRegion.get(`${accountId}/${region}`);
    for (const id of stacks?.keys() ?? []) if (!ids.has(id)) stacks!.delete(id);
  }

  /** A stack operation in the account-region: nothing kept there is reused. */
  invalidate(accountId: string, region: string): void {
    this.stats.invalidated++;
    this.byRegion.delete(`${accountId}/${region}`);
  }
}
