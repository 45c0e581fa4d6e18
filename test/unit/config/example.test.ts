import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/accounts-file/index.js";
import { resolveAccount, resolveAccounts } from "../../../functions/config/resolve.js";
import { DEFAULT_EVENT_NAMES } from "../../../functions/config/schema.js";
import { configSchema } from "../../../functions/accounts-file/index.js";
import { eventSourceOf } from "../../../functions/config/events.js";

const EXAMPLE = fileURLToPath(new URL("../../../accounts.yaml", import.meta.url));

describe("the example accounts.yaml", () => {
  const config = loadConfig(EXAMPLE);

  it("loads with defaults filled in", () => {
    expect(config.hub.accountId).toBe("111111111111");
    expect(config.accounts.map((a) => a.name)).toEqual(["payments-prod", "data-dev", "shared-services", "retired-analytics"]);
    expect(config.spoke.bootstrapRoleName).toBe("OrganizationAccountAccessRole");
    expect(config.accounts.find((a) => a.name === "retired-analytics")?.status).toBe("retired");
    expect(resolveAccounts(config).map((a) => a.name)).not.toContain("retired-analytics");
    expect(config.defaults.events.eventNames).toEqual([...DEFAULT_EVENT_NAMES]);
    expect(config.hub.eventBusName).toBe("driftguard-hub");
  });

  it("lays account overrides over the defaults", () => {
    const [payments, dataDev, shared] = resolveAccounts(config);
    expect(payments).toMatchObject({ regions: ["us-east-1", "eu-west-1"], mode: "remediate", revertDriftStacks: [] });
    expect(payments!.modeRules).toEqual([{ stacks: "legacy-*", mode: "report" }]);
    expect(dataDev).toMatchObject({ regions: ["us-east-1"], mode: "report", stacks: { include: ["*"], exclude: ["sandbox-*"] } });
    expect(shared).toMatchObject({ mode: "remediate", revertDriftStacks: ["network-*"] });
    expect(resolveAccount(config, config.accounts[0]!)).toEqual(payments);
  });

  it("survives the JSON round trip the Lambda makes (config.json is re-validated at run time)", () => {
    expect(configSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it("only uses default event names that the forwarding rules can route", () => {
    for (const name of DEFAULT_EVENT_NAMES) expect(eventSourceOf(name), name).toBeDefined();
  });

  it("documents every top-level section it uses", () => {
    const text = readFileSync(EXAMPLE, "utf8");
    for (const section of ["organization:", "hub:", "spoke:", "defaults:", "accounts:"]) expect(text).toContain(section);
  });
});
