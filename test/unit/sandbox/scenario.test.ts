import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../functions/config/load.js";
import { DEFAULT_SCENARIO, loadScenario, parseScenario, scenarioFromObject } from "../../../sandbox/harness/scenario.js";

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("scenario files", () => {
  it("loads the demo scenario with defaults filled in", () => {
    const demo = loadScenario(DEFAULT_SCENARIO);
    expect(demo.organization.managementAccount).toBe("999999999999");
    expect(demo.stacks.length).toBeGreaterThan(0);
    expect(demo.drift.every((d) => d.region)).toBe(true);
    expect(demo.dir).toMatch(/sandbox\/scenarios$/);
  });

  it("names the file, YAML path and line of each problem", () => {
    const text = [
      "organization: { managementAccount: 111 }",
      "accounts:",
      "  - { id: \"222222222222\", name: a, colour: blue }",
      "stacks:",
      "  - { account: \"222222222222\", region: us-east-9, name: s, template: t.yaml }",
      "drift:",
      "  - { account: \"222222222222\", service: iam, action: AttachRolePolcy }",
      "faults:",
      "  - { service: ec2, error: Boom, throttle: { rps: 1 } }",
      "  - { service: cloudformaton, error: Throttling }",
      "  - { service: cloudformation, action: DetectStackDrfit, error: Throttling }",
    ].join("\n");
    const found = problems(() => parseScenario(text, "bad.yaml"));
    const byPath = Object.fromEntries(found.map((p) => [p.path, p]));
    expect(byPath["organization.managementAccount"]).toMatchObject({ file: "bad.yaml", line: 1, message: expect.stringContaining("12-digit") });
    expect(byPath["accounts[0]"]).toMatchObject({ line: 3, message: expect.stringContaining("`colour`") });
    expect(byPath["accounts[0]"]!.message).toContain("allowed fields here: id, name, status, email");
    expect(byPath["stacks[0].region"]).toMatchObject({ line: 5, value: "us-east-9" });
    expect(byPath["drift[0].action"]!.message).toContain("did you mean `AttachRolePolicy`");
    expect(byPath["faults[0]"]!.message).toContain("exactly one of `error");
    // A misspelled fault would never match a call, so the fault would silently never fire.
    expect(byPath["faults[1].service"]).toMatchObject({ line: 10, message: expect.stringContaining("did you mean `cloudformation`") });
    expect(byPath["faults[2].action"]).toMatchObject({ line: 11, message: expect.stringContaining("did you mean `DetectStackDrift`") });
  });

  it("suggests the field a typo meant and says where a missing field belongs", () => {
    const text = ["organization: {}", "latency: { apiMs: 1, detectionMS: [1, 2] }"].join("\n");
    const byPath = Object.fromEntries(problems(() => parseScenario(text, "typo.yaml")).map((p) => [p.path, p]));
    expect(byPath["latency"]).toMatchObject({ line: 2, message: expect.stringContaining("`detectionMS` (did you mean `detectionMs`?); allowed fields here: apiMs, detectionMs, changeSetMs") });
    expect(byPath["organization.managementAccount"]).toMatchObject({ line: 1, message: expect.stringContaining("is required") });
    expect(byPath["organization.managementAccount"]!.message).toContain("add `managementAccount:`, see sandbox/scenarios/demo.yaml");
  });

  it("says what an empty scenario file should hold", () => {
    const [problem, ...rest] = problems(() => parseScenario("# nothing yet\n", "empty.yaml"));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file: "empty.yaml", path: "", line: 1 });
    expect(problem!.message).toContain("must be a YAML mapping with the fields organization, accounts, stacks");
    expect(problem!.message).toContain("start from sandbox/scenarios/demo.yaml");
  });

  it("reports YAML syntax errors with their line", () => {
    expect(problems(() => parseScenario("organization:\n  managementAccount: [", "broken.yaml"))[0]).toMatchObject({ file: "broken.yaml", message: expect.stringContaining("not valid YAML") });
  });

  it("requires exactly one template source and unique accounts", () => {
    const found = problems(() =>
      scenarioFromObject({
        organization: { managementAccount: "999999999999" },
        accounts: [
          { id: "222222222222", name: "a" },
          { id: "222222222222", name: "b" },
        ],
        stacks: [{ account: "222222222222", region: "us-east-1", name: "s" }],
      }),
    );
    expect(found.map((p) => p.path).sort()).toEqual(["accounts[1].id", "stacks[0]"]);
    // Built in code, so there is no line to point at.
    expect(found.every((p) => p.line === undefined)).toBe(true);
  });

  it("refuses an account both in the organization and outside it", () => {
    const found = problems(() =>
      scenarioFromObject({
        organization: { managementAccount: "999999999999" },
        accounts: [{ id: "222222222222", name: "a" }],
        accountsOutsideOrganization: ["333333333333", "222222222222", "999999999999"],
      }),
    );
    expect(found.map((p) => p.path)).toEqual(["accountsOutsideOrganization[1]", "accountsOutsideOrganization[2]"]);
    expect(found[0]!.message).toContain("list it under accounts or here, not both");
  });

  it("says when the file is missing", () => {
    expect(problems(() => loadScenario("/nonexistent/scenario.yaml"))[0]!.message).toContain("cannot be read");
  });
});
