import { createHubClients, createSpokeClients, type HubClients, type SpokeClients } from "../aws/clients.js";
import type { Config } from "../config/schema.js";
import { systemClock } from "../core/clock.js";
import { AccountRegionBudgets } from "../aws/rate-limit.js";
import { type EventDeps, publishEventReport, type RecentIds } from "../events/index.js";
import { createGuards, remediateResource, remediateStack, s3FlappingStore } from "../remediation/index.js";
import { assumeRoleCredentials, roleSessionName, type ScanDeps, spokeRoleArn } from "../scanner/index.js";
import type { Logger } from "../core/logger.js";
import { createMetrics } from "../core/metrics.js";
import { loadBundledConfig, settingsFromEnv, type Settings } from "./settings.js";

/** What one Lambda container reads once and reuses across invocations. */
export interface Runtime {
  settings: Settings;
  config: Config;
  hub: HubClients;
}

export function loadRuntime(env: Record<string, string | undefined> = process.env): Runtime {
  const settings = settingsFromEnv(env);
  const config = loadBundledConfig(settings.configFile);
  return { settings, config, hub: createHubClients(config.hub.region) };
}

/**
 * Production dependencies of `runScan`. The sandbox runner can use it as is: with AWS_ENDPOINT_URL
 * set, `createHubClients` (and the spoke clients) talk to the emulator.
 */
export function scanDeps(hub: HubClients, reportBucket: string, logger: Logger): ScanDeps {
  return {
    ...hub,
    spokeClients: createSpokeClients,
    remediateStack,
    flappingStore: s3FlappingStore(hub.s3, reportBucket, { ...systemClock, random: Math.random }),
    ...systemClock,
    random: Math.random,
    logger,
  };
}

/**
 * Production dependencies of the event path. Spoke clients are kept for the container's life:
 * events arrive one at a time and a warm container should not re-assume for each.
 */
export function eventDeps(runtime: Runtime, logger: Logger, recent: RecentIds): EventDeps {
  const { config, settings, hub } = runtime;
  const credentials = new Map<string, ReturnType<typeof assumeRoleCredentials>>();
  const clients = new Map<string, SpokeClients>();
  // The same per-account-region CloudFormation bucket as the scan's, for the container's life.
  const budgets = new AccountRegionBudgets({ perSecond: config.defaults.concurrency.cloudFormationPerSecond }, systemClock);
  const credentialsFor = (accountId: string) => {
    let provider = credentials.get(accountId);
    if (!provider) {
      const roleArn = spokeRoleArn(accountId, config.spoke.roleName, config.hub.region);
      provider = assumeRoleCredentials(hub.sts, { roleArn, sessionName: roleSessionName("events") }, Date.now);
      credentials.set(accountId, provider);
    }
    return provider;
  };
  return {
    config,
    async clientsFor(accountId, region) {
      const key = `${accountId}/${region}`;
      let set = clients.get(key);
      if (!set) {
        set = createSpokeClients(accountId, region, credentialsFor(accountId), { cloudformationRateLimiter: budgets.for(accountId, region) });
        clients.set(key, set);
      }
      return set;
    },
    remediateResource,
    openGuards: () =>
      createGuards({ runId: `event-${Date.now()}`, limits: config.defaults.remediation, counting: "event", store: s3FlappingStore(hub.s3, settings.reportBucket, { ...systemClock, random: Math.random }) }),
    ...(settings.modeOverride ? { modeOverride: settings.modeOverride } : {}),
    publish: (report) => publishEventReport(report, { s3: hub.s3, bucket: settings.reportBucket, sns: hub.sns, topicArn: settings.topicArn }),
    recent,
    logger,
    metrics: createMetrics(),
    now: () => new Date(),
  };
}
