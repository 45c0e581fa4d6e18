import { describe, expect, it } from "vitest";
import {
  REPORT_SCHEMA_VERSION,
  type AccountReport,
  type OrganizationCoverage,
  type RegionReport,
  type ReportTotals,
  type ResourceReport,
  type RunReport,
  type StackReport,
} from "../../../functions/core/types.js";
import { sampleReport } from "./sample.js";
import { schema, schemaErrors } from "./validate.js";

/** Compile-time guard: the JSON Schema lists exactly the fields of the TypeScript model. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Props<K extends keyof typeof schema.$defs> = (typeof schema.$defs)[K] extends { properties: infer P } ? keyof P : never;
const inSync: [
  Same<keyof RunReport, keyof typeof schema.properties>,
  Same<keyof AccountReport, Props<"account">>,
  Same<keyof RegionReport, Props<"region">>,
  Same<keyof StackReport, Props<"stack">>,
  Same<keyof ResourceReport, Props<"resource">>,
  Same<keyof ReportTotals, Props<"totals">>,
  Same<keyof OrganizationCoverage, Props<"organizationCoverage">>,
] = [true, true, true, true, true, true, true];

describe("report JSON Schema", () => {
  it("is versioned with the code's schema version", () => {
    expect(inSync).toEqual([true, true, true, true, true, true, true]);
    expect(schema.properties.schemaVersion.const).toBe(REPORT_SCHEMA_VERSION);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("accepts a built report carrying every status, outcome and optional field", () => {
    expect(schemaErrors(sampleReport())).toEqual([]);
  });

  it("rejects reports that drift from the model", () => {
    const report = sampleReport();
    const unknownField = { ...report, extra: 1 };
    const badOutcome = structuredClone(report);
    badOutcome.accounts[0]!.regions[0]!.stacks[0]!.resources[0]!.action.outcome = "fixed" as never;
    const badExemption = structuredClone(report);
    badExemption.accounts[0]!.regions[0]!.stacks[0]!.exemption = { kind: "exempt", on: "stack" } as never;
    const badTotals = structuredClone(report);
    badTotals.totals.errors = -1;
    expect(schemaErrors(unknownField)).toEqual([expect.stringContaining("additional properties")]);
    expect(schemaErrors(badOutcome).join("\n")).toContain("/accounts/0/regions/0/stacks/0/resources/0/action/outcome");
    expect(schemaErrors(badExemption).length).toBeGreaterThan(0);
    expect(schemaErrors(badTotals).join("\n")).toContain("/totals/errors");
  });
});
