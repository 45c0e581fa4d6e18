import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { vi } from "vitest";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import type { Logger } from "../../../functions/core/logger.js";
import { testSpokeClients } from "../../support/aws.js";
import type { ConfigLayer } from "../../support/config.js";

export { awsError } from "../../support/aws.js";

export const SPOKE = "111122223333";
const FIXTURES = join(import.meta.dirname, "../../fixtures/cloudtrail");

export const FIXTURE_NAMES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""))
  .sort();

/** A fresh copy of a recorded CloudTrail event (EventBridge envelope), safe to mutate. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fixture(name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
}

/** The payments-prod spoke the event-path tests act on: two regions, remediate mode, an owner tag required. */
export const PAYMENTS_SPOKE = {
  organization: { id: "o-a1b2c3d4e5" },
  hub: { accountId: "999988887777", region: "eu-west-1" },
  defaults: { regions: ["eu-west-1", "eu-central-1"], mode: "remediate", events: { guardrails: { requiredTags: [{ key: "owner" }] } } },
  accounts: [{ id: SPOKE, name: "payments-prod" }],
} satisfies ConfigLayer;

export function clientsIn(region: string): SpokeClients {
  return testSpokeClients(SPOKE, region);
}

export function fakeLogger() {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
  return { logger: logger as unknown as Logger, calls: logger };
}

/** Records what single-metric calls would emit, as [name, value, dimensions]. */
export function fakeMetrics() {
  const emitted: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  const metrics = {
    singleMetric() {
      const dimensions: Record<string, string> = {};
      const single = {
        addDimension(name: string, value: string) {
          dimensions[name] = value;
          return single;
        },
        addMetric(name: string, _unit: string, value: number) {
          emitted.push({ name, value, dimensions });
          return single;
        },
      };
      return single;
    },
    // The stored metrics of one EMF document (publishMetrics): recorded when added, without dimensions.
    addMetric(name: string, _unit: string, value: number) {
      emitted.push({ name, value, dimensions: {} });
    },
    publishStoredMetrics() {},
  };
  return { metrics: metrics as unknown as Metrics, emitted };
}

export { assumedRoleIdentity } from "../../support/cloudtrail.js";
