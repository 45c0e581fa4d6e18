import { runKeys } from "../aws/bucket-layout.js";
import { resolveAccounts } from "../config/resolve.js";
import type { Config, Mode } from "../config/schema.js";
import { scoped } from "../core/logger.js";
import { withModeOverride } from "../remediation/index.js";
import { acquireRunLease, DEFAULT_LEASE_TTL_MS, leaseProblem, RunInProgressError, selectAccounts, warnExpiredIgnores, type ScanDeps } from "../scanner/index.js";
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
}

/** The state machine's first step: joins accounts.yaml with the organization and stores the run manifest and work items. */
export async function runPartitioner(deps: PartitionerDeps, options: PartitionerOptions): Promise<PartitionOutput & { items: WorkItem[] }> {
  const { config, runId, bucket } = options;
  const log = scoped(deps.logger, { runId });
  const startedAt = new Date(deps.now());
  const accounts = resolveAccounts(config).map((a) => withModeOverride(a, options.modeOverride));
  // The run's lease, renewed by its workers and released by its reducer (scanner/run-lease.ts).
  const lease = await acquireRunLease({ s3: deps.s3, bucket, backoff: deps, now: deps.now }, { runId, trigger: options.trigger, ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS });
  if (lease.kind === "busy") {
    log.warn("run not started", { reason: lease.reason, holder: lease.holder });
    throw new RunInProgressError(lease.reason);
  }
  const leaseError = leaseProblem(lease);
  if (leaseError) log.error("run lease not taken; the workers revert only security-critical drift", { error: leaseError });
  warnExpiredIgnores(config, startedAt, log);
  const organization = await selectAccounts(deps.organizations, config, accounts, log);
  const partitioned = partitionRun({ runId, trigger: options.trigger, modeOverride: options.modeOverride, startedAt, accounts, organization });
  const { items } = partitioned;
  const manifest = leaseError ? { ...partitioned.manifest, runErrors: [leaseError] } : partitioned.manifest;

  const keys = runKeys(runId);
  // The manifest first: a reducer must never find work items without the manifest that explains them.
  await putJson(deps.s3, bucket, keys.manifest, manifest);
  await putJson(deps.s3, bucket, keys.items, items);
  log.info("fan-out partitioned", { configured: accounts.length, workers: items.length, itemsKey: keys.items });
  return { runId, itemsKey: keys.items, workers: items.length, items };
}
