import { describe, expect, it } from "vitest";
import { canonicalJson, configHash, isIncomplete } from "../../../functions/report/build.js";
import { config, sampleAccounts, sampleReport } from "./sample.js";

describe("buildReport", () => {
  it("counts every status, outcome, exemption and error", () => {
    expect(sampleReport().totals).toEqual({
      accounts: 5,
      accountsFailed: 1,
      regions: 5,
      stacksScanned: 3,
      stacksSkipped: 1,
      stacksFailed: 1,
      // "late" and the nested stack payments-api-Search-9Z8Y.
      stacksNotScanned: 2,
      stacksDrifted: 2,
      resourcesDrifted: 6,
      remediated: 1,
      planned: 1,
      refused: 0,
      // WebSg (exempt), FnRole (blast radius).
      skipped: 2,
      // WebSg is exempt itself; nothing inherits an exemption from an expired stack tag.
      exempt: 1,
      invalidExemptions: 1,
      manual: 1,
      failed: 1,
      guardTrips: 1,
      contested: 1,
      runErrors: 1,
      retried: 1,
      // data-dev, gone-team (not in org), eu-west-1, stack "gone", FnRole (guard trip), AppRole (contested),
      // the unreadable flapping record; a suspended account is not an error.
      errors: 7,
      // TrustRole (account-id principal) and TaggedBucket (ignored) are listed but not drift.
      falsePositives: 1,
      ignored: 1,
      resourcesNotChecked: 1,
      resourcesUnknown: 1,
      nestedStacksNotReached: 1,
    });
  });

  it("counts resources of an exempt stack as exempt", () => {
    const accounts = sampleAccounts();
    accounts[0]!.regions[0]!.stacks[0]!.exemption = { kind: "exempt", reason: "migration", on: "stack" };
    expect(sampleReport(accounts).totals.exempt).toBe(3);
  });

  it("is incomplete exactly when something was left not scanned", () => {
    expect(sampleReport().incomplete).toBe(true);
    const complete = sampleAccounts().slice(0, 4);
    complete[0]!.regions = complete[0]!.regions.slice(0, 2);
    complete[0]!.regions[0]!.stacks = complete[0]!.regions[0]!.stacks.filter((s) => s.scan !== "not-scanned");
    expect(isIncomplete(complete)).toBe(false);
    expect(sampleReport(complete).incomplete).toBe(false);
  });

  it("hashes the config independently of key order and changes with any value", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }], u: undefined })).toBe('{"a":[{"c":null,"d":2}],"b":1}');
    const reordered = JSON.parse(JSON.stringify({ accounts: config.accounts, defaults: config.defaults, hub: config.hub, organization: config.organization, report: config.report, spoke: config.spoke, version: config.version }));
    expect(configHash(reordered)).toBe(configHash(config));
    expect(configHash({ ...config, defaults: { ...config.defaults, mode: "remediate" } })).not.toBe(configHash(config));
    expect(sampleReport().configHash).toBe(configHash(config));
  });
});
