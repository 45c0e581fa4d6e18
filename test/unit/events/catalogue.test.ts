import { describe, expect, it } from "vitest";
import { eventSourceOf, GLOBAL_EVENT_SOURCES, KNOWN_EVENT_NAMES } from "../../../functions/config/events.js";
import { isStackOperation } from "../../../functions/events/stack-operations.js";
import { DEFAULT_EVENT_NAMES } from "../../../functions/config/schema.js";
import { configSchema } from "../../../functions/accounts-file/index.js";
import { GUARDRAILS } from "../../../functions/events/guardrails/registry.js";
import { hasResolver, RESOLVERS, resolveResources } from "../../../functions/events/resolve.js";
import { forwardingRoutes } from "../../../modules/event-forwarding.js";
import { fixture, FIXTURE_NAMES, SPOKE } from "./helpers.js";

// The oracle: what the code handles, read from the resolver and guardrail tables themselves and
// from the handler's stack-operation check (handle.test.ts shows the handler acts on each).
const STACK_OPERATIONS = KNOWN_EVENT_NAMES.filter(isStackOperation);
const HANDLED = [...new Set([...Object.keys(RESOLVERS), ...GUARDRAILS.flatMap((g) => g.eventNames), ...STACK_OPERATIONS])].sort();

/** Forwarded names per region by the spoke rules an account scanned in `regions` gets by default. */
function forwardedByDefault(regions: string[]): Map<string, string[]> {
  const config = configSchema.parse({
    version: 1,
    organization: { id: "o-a1b2c3d4e5" },
    hub: { accountId: "999988887777", region: "eu-west-1" },
    defaults: { regions },
    accounts: [{ id: SPOKE, name: "payments-prod" }],
  });
  const routes = forwardingRoutes(regions, config.defaults.events.eventNames, "aws");
  return new Map(routes.map((p) => [p.region, p.pattern.detail.eventName]));
}

describe("the event catalogue's default forwarding", () => {
  it("forwards by default every event name a resolver or a guardrail handles, and nothing else", () => {
    expect([...DEFAULT_EVENT_NAMES].sort()).toEqual(HANDLED);
  });

  it("forwards the stack operations CloudTrail records, from every scanned region, so the ownership cache is dropped", () => {
    expect(STACK_OPERATIONS).toEqual(expect.arrayContaining(["CreateStack", "UpdateStack", "DeleteStack", "ExecuteChangeSet"]));
    for (const name of STACK_OPERATIONS) expect(eventSourceOf(name)).toBe("aws.cloudformation");
    const forwarded = forwardedByDefault(["eu-west-1", "eu-central-1"]);
    for (const region of ["eu-west-1", "eu-central-1"]) expect(forwarded.get(region)).toEqual(expect.arrayContaining(STACK_OPERATIONS));
  });

  it("forwards ModifySecurityGroupRules, which the open-ingress guardrail handles", () => {
    const openIngress = GUARDRAILS.find((g) => g.name === "open-ingress")!;
    expect(openIngress.eventNames).toContain("ModifySecurityGroupRules");
    expect(forwardedByDefault(["eu-west-1"]).get("eu-west-1")).toContain("ModifySecurityGroupRules");
  });

  it("forwards every handled regional event from each scanned region and every handled IAM event from us-east-1 alone", () => {
    const regional = HANDLED.filter((n) => !GLOBAL_EVENT_SOURCES.has(eventSourceOf(n)!));
    const global = HANDLED.filter((n) => GLOBAL_EVENT_SOURCES.has(eventSourceOf(n)!));
    expect(global.length).toBeGreaterThan(0);

    // Not scanned in us-east-1: that region still gets a rule, with the IAM events only.
    const forwarded = forwardedByDefault(["eu-west-1", "eu-central-1"]);
    expect([...forwarded.keys()]).toEqual(["eu-west-1", "eu-central-1", "us-east-1"]);
    for (const region of ["eu-west-1", "eu-central-1"]) expect([...forwarded.get(region)!].sort()).toEqual(regional);
    expect([...forwarded.get("us-east-1")!].sort()).toEqual(global);

    // Scanned in us-east-1 too: one rule there with both.
    expect([...forwardedByDefault(["us-east-1"]).get("us-east-1")!].sort()).toEqual(HANDLED);
  });

  it("lets every guardrail receive its resource from each event it claims", () => {
    for (const guardrail of GUARDRAILS) {
      for (const name of guardrail.eventNames) {
        expect(hasResolver(name), `${guardrail.name}: ${name}`).toBe(true);
        if (!FIXTURE_NAMES.includes(name)) continue;
        const types = resolveResources(fixture(name).detail, SPOKE).map((r) => r.resourceType);
        expect(types, `${guardrail.name}: ${name}`).toContain(guardrail.resourceType);
      }
    }
  });
});
