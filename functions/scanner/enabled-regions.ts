import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { SpokeClients } from "../aws/clients.js";
import type { Logger } from "../core/logger.js";
import { toErrorInfo } from "../core/errors.js";

/** Declared here, granted by the spoke role (functions/permissions.ts). */
export const ENABLED_REGIONS_ACTIONS = ["ec2:DescribeRegions"] as const;

/**
 * The regions enabled in an account, for the report's coverage section: without AllRegions,
 * DescribeRegions returns only the regions the account may use (default ones and those it opted
 * into; EC2 API Reference, DescribeRegions). Coverage is best effort: a failure is logged and
 * leaves the account's scan alone.
 */
export async function enabledRegions(clients: Pick<SpokeClients, "client">, log: Logger): Promise<string[] | undefined> {
  try {
    const out = await clients.client(EC2Client).send(new DescribeRegionsCommand({}));
    return (out.Regions ?? []).flatMap((r) => (r.RegionName ? [r.RegionName] : [])).sort();
  } catch (err) {
    log.warn("cannot list the account's enabled regions; coverage omits them", { error: toErrorInfo(err) });
    return undefined;
  }
}
