import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, formatConfigError, formatProblem, type ConfigProblem } from "../../../functions/config/load.js";
import { loadConfig } from "../../../functions/accounts-file/index.js";
import { tempDir } from "../../support/temp.js";

const EXAMPLE_TEXT = readFileSync(fileURLToPath(new URL("../../../accounts.yaml", import.meta.url)), "utf8");
const dir = tempDir("driftguard-config-");

/** Writes `text` to a file and returns the problems loadConfig reports for it. */
function problemsFor(text: string, name = "accounts.yaml"): { file: string; problems: ConfigProblem[]; error: ConfigError } {
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return { file, problems: err.problems, error: err };
    throw err;
  }
  throw new Error("expected a ConfigError");
}

/** The example with one edit applied; fails loudly if the snippet to replace is gone. */
function edit(from: string, to: string, text = EXAMPLE_TEXT): string {
  expect(text, `example accounts.yaml no longer contains ${from}`).toContain(from);
  return text.replace(from, to);
}

/** 1-based line of the first occurrence of `snippet` (after `after`, if given). */
function lineOf(text: string, snippet: string, after = ""): number {
  const start = text.indexOf(after);
  return text.slice(0, text.indexOf(snippet, start)).split("\n").length;
}

interface Case {
  name: string;
  text: string;
  path: string;
  line: number;
  value?: unknown;
  /** Phrases the message must contain: what is allowed / how to fix. */
  says: string[];
}

const unquoted = edit('id: "222222222222"', "id: 222222222222");
const elevenDigits = edit('id: "222222222222"', 'id: "22222222222"');
const badRegion = edit("regions: [us-east-1]\n", "regions: [us-east1]\n");
const dupId = edit('id: "333333333333"', 'id: "222222222222"');
const dupName = edit("name: data-dev", "name: payments-prod");
const hubListed = edit('id: "444444444444"', 'id: "111111111111"');
const typo = edit("regions: [us-east-1]\n", "regoins: [us-east-1]\n");
const badMode = edit("mode: report               #", "mode: dry-run              #");
const badSchedule = edit("schedule: rate(6 hours)", "schedule: every 6 hours");
const badEvent = edit("modeRules: []", "modeRules: []\n  events: { eventNames: [AttachRolePolcy] }");
const otherPartition = edit("regions: [us-east-1]\n", "regions: [cn-north-1]\n");
const isHubElsewhere = edit("name: data-dev", "name: data-dev\n    isHub: true");
const concurrencyWord = edit("concurrency: auto ", "concurrency: fast ");
const concurrencyZero = edit("concurrency: auto ", "concurrency: { accounts: 0 } ");
const concurrencyRate = edit("concurrency: auto ", "concurrency: { cloudFormationPerSecond: 500 } ");
const concurrencyTypo = edit("concurrency: auto ", "concurrency: { acounts: 10 } ");

const cases: Case[] = [
  {
    name: "unquoted account id",
    text: unquoted,
    path: "accounts[0].id",
    line: lineOf(unquoted, "id: 222222222222"),
    value: 222222222222,
    says: ["12-digit account id written as a quoted string", '"123456789012"'],
  },
  {
    name: "11-digit account id",
    text: elevenDigits,
    path: "accounts[0].id",
    line: lineOf(elevenDigits, 'id: "22222222222"'),
    value: "22222222222",
    says: ["exactly 12 digits"],
  },
  {
    name: "unknown region",
    text: badRegion,
    path: "accounts[1].regions[0]",
    line: lineOf(badRegion, "regions: [us-east1]"),
    value: "us-east1",
    says: ["not a known AWS region", "did you mean `us-east-1`?", "use one of us-east-1, us-east-2"],
  },
  {
    name: "duplicate account id",
    text: dupId,
    path: "accounts[1].id",
    line: lineOf(dupId, 'id: "222222222222"', "name: payments-prod"),
    value: "222222222222",
    says: ["duplicates accounts[0].id", "listed once"],
  },
  {
    name: "duplicate account name",
    text: dupName,
    path: "accounts[1].name",
    line: lineOf(dupName, "name: payments-prod", 'id: "333333333333"'),
    value: "payments-prod",
    says: ["duplicates accounts[0].name", "must be unique"],
  },
  {
    name: "hub listed as a spoke without isHub",
    text: hubListed,
    path: "accounts[2].id",
    line: lineOf(hubListed, 'id: "111111111111"', "accounts:"),
    value: "111111111111",
    says: ["is the hub account", "add `isHub: true`"],
  },
  {
    name: "isHub on an account that is not the hub",
    text: isHubElsewhere,
    path: "accounts[1].isHub",
    line: lineOf(isHubElsewhere, "isHub: true"),
    value: true,
    says: ['not hub.accountId ("111111111111")', "remove `isHub`"],
  },
  {
    name: "unknown key (typo)",
    text: typo,
    path: "accounts[1]",
    line: lineOf(typo, "regoins:"),
    says: ["unknown field(s) `regoins`", "did you mean `regions`?", "allowed fields here: id, name, regions, mode"],
  },
  {
    name: "concurrency neither auto nor caps",
    text: concurrencyWord,
    path: "defaults.concurrency",
    line: lineOf(concurrencyWord, "concurrency: fast"),
    value: "fast",
    says: ["must be auto, or caps such as { accounts: 10", "what is left out is planned automatically"],
  },
  {
    name: "concurrency cap of zero",
    text: concurrencyZero,
    path: "defaults.concurrency.accounts",
    line: lineOf(concurrencyZero, "concurrency: { accounts: 0 }"),
    value: 0,
    says: ["must be at least 1", "leave out for auto"],
  },
  {
    name: "CloudFormation rate beyond the range",
    text: concurrencyRate,
    path: "defaults.concurrency.cloudFormationPerSecond",
    line: lineOf(concurrencyRate, "cloudFormationPerSecond: 500"),
    value: 500,
    says: ["must be at most 100", "requests per second per account-region"],
  },
  {
    name: "concurrency cap misspelt",
    text: concurrencyTypo,
    path: "defaults.concurrency",
    line: lineOf(concurrencyTypo, "acounts:"),
    says: ["unknown field(s) `acounts`", "did you mean `accounts`?"],
  },
  {
    name: "bad mode",
    text: badMode,
    path: "defaults.mode",
    line: lineOf(badMode, "mode: dry-run"),
    value: "dry-run",
    says: ["must be one of: report, remediate"],
  },
  {
    name: "bad schedule",
    text: badSchedule,
    path: "hub.schedule",
    line: lineOf(badSchedule, "schedule: every 6 hours"),
    value: "every 6 hours",
    says: ['"rate(6 hours)"', '"cron(0 */6 * * ? *)"'],
  },
  {
    name: "event name the forwarding rules cannot route",
    text: badEvent,
    path: "defaults.events.eventNames[0]",
    line: lineOf(badEvent, "AttachRolePolcy"),
    value: "AttachRolePolcy",
    says: ["did you mean `AttachRolePolicy`?", "aws.iam: AttachRolePolicy"],
  },
  {
    name: "region in another partition than the hub",
    text: otherPartition,
    path: "accounts[1].regions[0]",
    line: lineOf(otherPartition, "regions: [cn-north-1]"),
    value: "cn-north-1",
    says: ["partition aws-cn", "hub (us-east-1) is in aws"],
  },
];

describe("accounts.yaml errors a newcomer can act on", () => {
  it.each(cases)("$name", ({ text, path, line, value, says }) => {
    const { file, problems, error } = problemsFor(text);
    const problem = problems.find((p) => p.path === path);
    expect(problem, `no problem at ${path}; got:\n${error.message}`).toBeDefined();
    expect(problem!.file).toBe(file);
    expect(problem!.line).toBe(line);
    if (value !== undefined) expect(problem!.value).toEqual(value);
    for (const phrase of says) expect(problem!.message).toContain(phrase);
    // The one-line form a terminal shows: file:line:column: path message (found value).
    expect(formatProblem(problem!)).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line}:\\d+: ${path.replace(/[[\].]/g, "\\$&")} `));
  });

  it("reports a YAML syntax error with its line", () => {
    const text = edit("mode: remediate\n    cloudTrailLookup:", "mode: [remediate\n    cloudTrailLookup:");
    const { file, problems } = problemsFor(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, path: "" });
    expect(problems[0]!.message).toMatch(/^is not valid YAML: /);
    // The parser notices the unclosed `[` where the next line starts.
    const opened = lineOf(text, "mode: [remediate");
    expect([opened, opened + 1]).toContain(problems[0]!.line);
  });

  it("reports a YAML key written twice", () => {
    const text = edit("    name: data-dev\n", "    name: data-dev\n    name: data-dev2\n");
    const { problems } = problemsFor(text);
    expect(problems[0]!.message).toContain("is not valid YAML");
    expect(problems[0]!.line).toBe(lineOf(text, "name: data-dev2"));
  });

  it("reports a missing file with how to provide one", () => {
    const missing = join(dir, "nope.yaml");
    expect(() => loadConfig(missing)).toThrow(ConfigError);
    try {
      loadConfig(missing);
    } catch (err) {
      const [problem] = (err as ConfigError).problems;
      expect(problem).toMatchObject({ file: missing, path: "" });
      expect(problem!.message).toContain("does not exist");
      expect(problem!.message).toContain("DRIFTGUARD_CONFIG");
    }
  });

  it("reports an empty file as such", () => {
    const { problems } = problemsFor("# nothing yet\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain("must be a YAML mapping with version, organization, hub, defaults and accounts");
  });

  it("names a missing required section and where it belongs", () => {
    const text = edit("organization:\n  id: o-example0001          # aws organizations describe-organization --query Organization.Id\n", "");
    const { problems } = problemsFor(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: "organization" });
    expect(problems[0]!.message).toContain("is required");
    expect(problems[0]!.message).toContain("add `organization:`");
  });

  it("shows field errors and duplicates together, in file order", () => {
    const text = edit("name: data-dev", "name: payments-prod", unquoted);
    const { problems, error } = problemsFor(text);
    expect(problems.map((p) => p.path)).toEqual(["accounts[0].id", "accounts[1].name"]);
    expect(formatConfigError(error)).toMatch(/: 2 problems to fix:\n {2}.*accounts\[0\]\.id.*\n {2}.*accounts\[1\]\.name/);
  });

  it("accepts the hub as a spoke when marked isHub", () => {
    const text = edit("  # - { id: \"111111111111\", name: hub, isHub: true }", '  - { id: "111111111111", name: hub, isHub: true }');
    const file = join(dir, "with-hub.yaml");
    writeFileSync(file, text);
    expect(loadConfig(file).accounts.at(-1)).toMatchObject({ id: "111111111111", isHub: true });
  });
});
