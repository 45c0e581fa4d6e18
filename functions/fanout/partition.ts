import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import type { OrganizationSnapshot } from "../core/types.js";
import type { AccountSelection } from "../scanner/index.js";
import type { RunManifest, WorkItem } from "./types.js";

export interface PartitionInput {
  runId: string;
  trigger: string;
  modeOverride?: Mode;
  startedAt: Date;
  /** The onboarded accounts (accounts.yaml's, then OU members), resolved and with the mode override applied. */
  accounts: EffectiveAccount[];
  /** The same accounts joined with the organization (scanner/organization.ts). */
  organization: AccountSelection;
  /** The organization as the partitioner walked it, for the reducer's coverage section. */
  snapshot: OrganizationSnapshot;
}

/**
 * One work item per account to scan; suspended, closed and not-in-organization accounts are
 * final rows of the manifest already, exactly as the single-invocation scan lists them.
 */
export function partitionRun(input: PartitionInput): { manifest: RunManifest; items: WorkItem[] } {
  const listed = new Map(input.organization.listedOnly.map((a) => [a.accountId, a]));
  const toScan = new Set(input.organization.toScan.map((a) => a.id));
  const override = input.modeOverride === undefined ? {} : { modeOverride: input.modeOverride };
  const manifest: RunManifest = {
    version: 1,
    runId: input.runId,
    trigger: input.trigger,
    ...override,
    startedAt: input.startedAt.toISOString(),
    accounts: input.accounts.map((a) => {
      const row = listed.get(a.id);
      // Awaiting accounts carry their resolved settings: OU members are not in accounts.yaml.
      return row ? { accountId: a.id, name: a.name, mode: a.mode, listed: row } : { accountId: a.id, name: a.name, mode: a.mode, account: a };
    }),
    organization: input.snapshot,
  };
  const items: WorkItem[] = input.accounts
    .filter((a) => toScan.has(a.id))
    .map((a) => ({ fanout: "scan", runId: input.runId, accountId: a.id, ...override }));
  return { manifest, items };
}
