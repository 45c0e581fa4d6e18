import type { EffectiveAccount } from "../config/resolve.js";
import type { Mode } from "../config/schema.js";
import type { AccountSelection } from "../scanner/index.js";
import type { RunManifest, WorkItem } from "./types.js";

export interface PartitionInput {
  runId: string;
  trigger: string;
  modeOverride?: Mode;
  startedAt: Date;
  /** accounts.yaml's accounts, resolved and with the mode override applied, in file order. */
  accounts: EffectiveAccount[];
  /** The same accounts joined with the organization (scanner/organization.ts). */
  organization: AccountSelection;
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
      return { accountId: a.id, name: a.name, mode: a.mode, ...(row ? { listed: row } : {}) };
    }),
  };
  const items: WorkItem[] = input.accounts
    .filter((a) => toScan.has(a.id))
    .map((a) => ({ fanout: "scan", runId: input.runId, accountId: a.id, ...override }));
  return { manifest, items };
}
