import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { createHubClients, createSpokeClients, type HubClients } from "../functions/aws/clients.js";
import { emptyFlappingRecord, remediateStack, type FlappingRecord, type FlappingStore } from "../functions/remediation/index.js";
import type { ScanDeps } from "../functions/scanner/index.js";

/**
 * The CLI's AWS side: the person's own credentials (AWS_PROFILE or the SDK's default chain), the
 * same clients and engine the Lambda uses. Against the sandbox only AWS_ENDPOINT_URL and the
 * credentials differ.
 */

export interface CredentialChoice {
  /** Scan the account the credentials belong to, with those credentials (no AssumeRole). */
  currentCredentials: boolean;
}

/**
 * A laptop run has no report bucket, so the flapping record lives for the process only: a CLI run
 * starts with no flapping history, and its repairs do not count towards the hub's.
 */
export function processFlappingStore(): FlappingStore {
  let record: FlappingRecord = emptyFlappingRecord();
  return {
    location: "this CLI process (no report bucket)",
    load: async () => record,
    update: async (mutate) => {
      record = mutate(record);
    },
  };
}

export function cliLogger(verbose: boolean): Logger {
  return new Logger({ serviceName: "driftguard", logLevel: verbose ? "INFO" : "SILENT" });
}

/** The credentials the SDK's default chain resolved for the hub clients (AWS_PROFILE, env, SSO, ...): the person's own. */
export function ownCredentials(hub: HubClients): AwsCredentialIdentityProvider {
  return hub.sts.config.credentials;
}

export function cliScanDeps(hub: HubClients, choice: CredentialChoice, logger: Logger): ScanDeps {
  const own = ownCredentials(hub);
  return {
    ...hub,
    spokeClients: createSpokeClients,
    ...(choice.currentCredentials ? { spokeCredentials: () => own } : {}),
    remediateStack,
    flappingStore: processFlappingStore(),
    now: Date.now,
    sleep: (ms) => sleep(ms),
    random: Math.random,
    logger,
  };
}

export function cliHubClients(region: string): HubClients {
  return createHubClients(process.env.AWS_REGION ?? region);
}

export async function callerAccount(hub: HubClients): Promise<{ account: string; arn: string }> {
  const out = await hub.sts.send(new GetCallerIdentityCommand({}));
  return { account: out.Account ?? "", arn: out.Arn ?? "" };
}
