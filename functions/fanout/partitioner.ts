import { runKeys } from "../aws/bucket-layout.js";
import type { Config, Mode } from "../config/schema.js";
import { scoped } from "../core/logger.js";
import { acquireRunLease, DEFAULT_LEASE_TTL_MS, leaseProblem, selectAccounts, skippedRun, warnExpiredIgnores, type OrganizationIdSource, type ScanDeps, type SkippedRun } from "../scanner/index.js";
import { partitionRun } from "./partition.js";
import { putJson } from "../aws/s3-json.js";
import type { PartitionOutput, WorkItem } from "./types.js";

export type PartitionerDeps = Pick<ScanDeps, "organizations" | "s3" | "now" | "sleep" | "random" | "logger">;

export interface PartitionerOptions {
  config: Config;
  runId: string;
  trigger: string;
  modeOverride?: Mode;
  bucket: string;
  /** The partitioner's Lambda timeout; each worker renews the lease for its own. */
  leaseTtlMs?: number;
  /** Where organization.id was read from, for the organization check's message. */
  configSource?: OrganizationIdSource;
}

/**
 * The state machine's first step: joins accounts.yaml with the organization and stores the run
 * manifest and work items. When another run holds the lease it stores nothing and answers with
 * the skip, a successful answer: the state machine's Choice ends the execution in "Skipped"
 * (modules/fanout-state-machine.ts) instead of failing it, and the handler announces it.
 */
export async function runPartitioner(deps: PartitionerDeps, options: PartitionerOptions): Promise<(PartitionOutput & { items: WorkItem[] }) | SkippedRun> {
  const { config, runId, bucket } = options;
  const log = scoped(deps.logger, { runId });
  const startedAt = new Date(deps.now());
  // The run's lease, renewed by its workers and released by its reducer (scanner/run-lease.ts).
  const lease = await acquireRunLease({ s3: deps.s3, bucket, backoff: deps, now: deps.now }, { runId, trigger: options.trigger, ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS });
  if (lease.kind === "busy") return skippedRun(runId, lease);
  const leaseError = leaseProblem(lease);
  if (leaseError) log.error("run lease not taken; the workers revert only security-critical drift", { error: leaseError });
  warnExpiredIgnores(config, startedAt, log);
  const { accounts, selection: organization, organization: snapshot } = await selectAccounts(deps.organizations, config, options.modeOverride, log, options.configSource);
  const partitioned = partitionRun({ runId, trigger: options.trigger, modeOverride: options.modeOverride, startedAt, accounts, organization, snapshot });
  const { items } = partitioned;
  const manifest = leaseError ? { ...partitioned.manifest, runErrors: [leaseError] } : partitioned.manifest;

  const keys = runKeys(runId);
  // The manifest first: a reducer must never find work items without the manifest that explains them.
  await putJson(deps.s3, bucket, keys.manifest, manifest);
  await putJson(deps.s3, bucket, keys.items, items);
  log.info("fan-out partitioned", { configured: accounts.length, workers: items.length, itemsKey: keys.items });
  return { runId, itemsKey: keys.items, workers: items.length, items };
}
