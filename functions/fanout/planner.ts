import { runKeys } from "../aws/bucket-layout.js";
import type { Config, Mode } from "../config/schema.js";
import { scoped } from "../core/logger.js";
import { planAccounts, type ScanDeps } from "../scanner/index.js";
import { planFanout } from "./plan.js";
import { putJson } from "../aws/s3-json.js";
import type { PlanOutput, WorkItem } from "./types.js";

export type PlannerDeps = Pick<ScanDeps, "organizations" | "s3" | "now" | "logger">;

export interface PlannerOptions {
  config: Config;
  runId: string;
  trigger: string;
  modeOverride?: Mode;
  bucket: string;
}

/** The state machine's first step: joins accounts.yaml with the organization and stores the plan and work items. */
export async function runPlanner(deps: PlannerDeps, options: PlannerOptions): Promise<PlanOutput & { items: WorkItem[] }> {
  const { config, runId, bucket } = options;
  const log = scoped(deps.logger, { runId });
  const startedAt = new Date(deps.now());
  const { accounts, plan: organization, organization: snapshot } = await planAccounts(deps.organizations, config, options.modeOverride, log);
  const { plan, items } = planFanout({ runId, trigger: options.trigger, modeOverride: options.modeOverride, startedAt, accounts, organization, snapshot });

  const keys = runKeys(runId);
  // The plan first: a reducer must never find work items without the plan that explains them.
  await putJson(deps.s3, bucket, keys.plan, plan);
  await putJson(deps.s3, bucket, keys.items, items);
  log.info("fan-out planned", { configured: accounts.length, workers: items.length, itemsKey: keys.items });
  return { runId, itemsKey: keys.items, workers: items.length, items };
}
