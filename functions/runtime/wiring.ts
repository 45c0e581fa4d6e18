import { createHubClients, createSpokeClients, type HubClients, spokeClientPool } from "../aws/clients.js";
import type { Config } from "../config/schema.js";
import { systemClock } from "../core/clock.js";
import { AccountRegionBudgets } from "../aws/rate-limit.js";
import { cachedMembership, type EventDeps, publishEventReport, type RecentIds } from "../events/index.js";
import { createGuards, OwnershipCache, remediateResource, remediateStack, s3FlappingStore } from "../remediation/index.js";
import { s3ReportedStore } from "../sweep/index.js";
import { assumeRoleCredentials, keptResourceTypes, lookupPlacement, type PlacedMember, readMembership, roleSessionName, s3DetectionTimesStore, s3StackListingStore, type ScanDeps, spokeRoleArn } from "../scanner/index.js";
import type { Logger } from "../core/logger.js";
import { createMetrics } from "../core/metrics.js";
import { readConfig, settingsFromEnv, type Settings } from "./settings.js";

/** What one Lambda container uses across invocations; the config is re-read (see handler.ts). */
export interface Runtime {
  settings: Settings;
  config: Config;
  /** The S3 version of the configuration object, when read from the report bucket. */
  configVersion?: string;
  /** s3://bucket/key of the configuration object (or the local file), for messages. */
  configSource: string;
  /** The line of organization.id in it, for the organization check's message. */
  organizationIdLine?: number;
  hub: HubClients;
}

/** The Lambda runs in the hub's region; AWS_REGION is set by Lambda itself. */
function hubRegion(env: Record<string, string | undefined>): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/** Settings from the environment, then the configuration (from the report bucket), checked against this deployment. */
export async function loadRuntime(env: Record<string, string | undefined> = process.env, hub?: HubClients): Promise<Runtime> {
  const settings = settingsFromEnv(env);
  const clients = hub ?? createHubClients(hubRegion(env));
  const loaded = await readConfig(settings, clients.s3);
  return {
    settings,
    config: loaded.config,
    configSource: loaded.source,
    ...(loaded.organizationIdLine !== undefined ? { organizationIdLine: loaded.organizationIdLine } : {}),
    hub: clients,
    ...(loaded.version ? { configVersion: loaded.version } : {}),
  };
}

/**
 * Production dependencies of `runScan`. The sandbox runner can use it as is: with AWS_ENDPOINT_URL
 * set, `createHubClients` (and the spoke clients) talk to the emulator.
 */
export function scanDeps(hub: HubClients, reportBucket: string, logger: Logger): ScanDeps {
  return {
    ...hub,
    ...(hub.ssm && hub.secretsManager ? { chat: { ssm: hub.ssm, secretsManager: hub.secretsManager } } : {}),
    spokeClients: createSpokeClients,
    remediateStack,
    flappingStore: s3FlappingStore(hub.s3, reportBucket, { ...systemClock, random: Math.random }),
    reportedStore: s3ReportedStore(hub.s3, reportBucket, { ...systemClock, random: Math.random }),
    stackListingStore: s3StackListingStore(hub.s3, reportBucket),
    detectionTimesStore: s3DetectionTimesStore(hub.s3, reportBucket),
    ...systemClock,
    random: Math.random,
    logger,
  };
}

/**
 * Production dependencies of the event path. Spoke clients are kept for the container's life:
 * events arrive one at a time and a warm container should not re-assume for each.
 */
export function eventDeps(
  runtime: Pick<Runtime, "settings" | "config" | "hub">,
  logger: Logger,
  recent: RecentIds,
  /** What the previous deps of this container kept (the handler rebuilds deps when the configuration is re-read). */
  kept?: Pick<EventDeps, "membership" | "ownershipCache">,
): EventDeps {
  const { config, settings, hub } = runtime;
  // The same per-account-region CloudFormation bucket as the scan's, for the container's life.
  const budgets = new AccountRegionBudgets({ perSecond: config.defaults.concurrency.cloudFormationPerSecond }, systemClock);
  const spokes = spokeClientPool(
    (accountId) => assumeRoleCredentials(hub.sts, { roleArn: spokeRoleArn(accountId, config.spoke.roleName, config.hub.region), sessionName: roleSessionName("events") }, Date.now),
    (accountId, region) => ({ cloudformationRateLimiter: budgets.for(accountId, region) }),
  );
  // Kept as long as these deps: the handler rebuilds them when it re-reads the configuration
  // (CONFIG_REFRESH_MS), so an account moved between OUs is seen within that time. A failed
  // lookup is not kept.
  const placements = new Map<string, Promise<PlacedMember | undefined>>();
  return {
    config,
    membership: kept?.membership ?? cachedMembership(() => readMembership(hub.organizations), Date.now),
    ownershipCache: kept?.ownershipCache ?? new OwnershipCache(Date.now),
    placementOf(accountId) {
      let found = placements.get(accountId);
      if (!found) {
        found = lookupPlacement(hub.organizations, accountId);
        found.catch(() => placements.delete(accountId));
        placements.set(accountId, found);
      }
      return found;
    },
    async clientsFor(accountId, region) {
      return spokes.clientsFor(accountId, region);
    },
    remediateResource,
    openGuards: () =>
      createGuards({ runId: `event-${Date.now()}`, limits: config.defaults.remediation, counting: "event", store: s3FlappingStore(hub.s3, settings.reportBucket, { ...systemClock, random: Math.random }) }),
    ...(settings.modeOverride ? { modeOverride: settings.modeOverride } : {}),
    publish: (report) => publishEventReport(report, { s3: hub.s3, bucket: settings.reportBucket, region: config.hub.region, sns: hub.sns, topicArn: settings.topicArn, chatbot: config.hub.notifications.chatbot }),
    recent,
    listedResourceTypes: (accountId) => keptResourceTypes({ accountId, store: s3StackListingStore(hub.s3, settings.reportBucket), now: Date.now, log: logger }),
    logger,
    metrics: createMetrics(),
    now: () => new Date(),
  };
}
