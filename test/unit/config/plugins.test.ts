import { describe, expect, it } from "vitest";
import { z } from "zod";
import { configSchema, parseConfig } from "../../../functions/accounts-file/index.js";
import { parseConfigWith } from "../../../functions/config/load.js";
import { buildConfigSchema } from "../../../functions/config/schema.js";
import { GUARDRAIL_SETTINGS, GUARDRAILS } from "../../../functions/events/index.js";
import { configProblems } from "../../support/config.js";

/**
 * Each guardrail owns its block of accounts.yaml defaults.events.guardrails (its file under
 * functions/events/guardrails/); the config schema is built from the registry's blocks. The
 * facts below come from the registry and the guardrail files, never from a retyped list of keys.
 */
const minimal = (guardrails = "") => `version: 1
organization: { id: o-a1b2c3d4e5 }
hub: { accountId: "999988887777", region: eu-west-1 }
accounts:
  - { id: "111122223333", name: payments-prod }
${guardrails ? `defaults:\n  events:\n    guardrails:\n${guardrails}\n` : ""}`;

const ownKeys = GUARDRAILS.flatMap((g) => Object.keys(g.settings).map((key) => ({ guardrail: g.name, key })));

describe("guardrail settings plugged into the config schema", () => {
  it("has every guardrail declare at least one setting, each key owned by one guardrail", () => {
    for (const g of GUARDRAILS) expect(Object.keys(g.settings), g.name).not.toEqual([]);
    expect(new Set(ownKeys.map((k) => k.key)).size).toBe(ownKeys.length);
    expect(Object.keys(GUARDRAIL_SETTINGS).sort()).toEqual(ownKeys.map((k) => k.key).sort());
  });

  it("parses an absent block to exactly the defaults each guardrail file declares", () => {
    const parsed = parseConfig(minimal()).defaults.events.guardrails;
    const fromFiles = Object.assign({}, ...GUARDRAILS.map((g) => z.object(g.settings).parse({})));
    expect(parsed).toEqual(fromFiles);
    expect(Object.keys(parsed).sort()).toEqual(ownKeys.map((k) => k.key).sort());
  });

  it("hands each guardrail the settings it owns, as accounts.yaml gives them", () => {
    const config = parseConfig(minimal("      openIngressPorts: [8080]\n      notifyOnCreateVpc: false"));
    const settings = config.defaults.events.guardrails;
    const byName = new Map(GUARDRAILS.map((g) => [g.name, g.enabled(settings)]));
    expect(settings).toMatchObject({ openIngressPorts: [8080], notifyOnCreateVpc: false });
    expect(byName.get("vpc-created")).toBe(false);
    expect(byName.get("open-ingress")).toBe(true);
  });

  it.each(ownKeys)("rejects a mistyped $key ($guardrail) with the file, line, field and what is allowed", ({ key }) => {
    const [problem, ...rest] = configProblems(minimal(`      ${key}: { not: valid }`));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file: "accounts.yaml", path: `defaults.events.guardrails.${key}`, line: 9 });
    expect(problem!.message).toMatch(/must|expected/);
  });

  it("names the guardrails' settings when a key is unknown, with a did-you-mean", () => {
    const [problem] = configProblems(minimal("      openIngresPorts: [22]"));
    expect(problem).toMatchObject({ path: "defaults.events.guardrails", line: 9 });
    expect(problem!.message).toContain("openIngressPorts");
    for (const { key } of ownKeys) expect(problem!.message).toContain(key);
  });

  it("builds the schema from whatever blocks it is given (a new guardrail needs no edit in config/)", () => {
    const schema = buildConfigSchema({ ...GUARDRAIL_SETTINGS, quarantineTag: z.string().default("quarantine") });
    const parsed = parseConfigWith(schema, minimal("      quarantineTag: hold"));
    expect(parsed.defaults.events.guardrails).toMatchObject({ quarantineTag: "hold", restoreBucketEncryption: true });
    // The composed schema every loader uses does not know that key.
    expect(configSchema.safeParse(parsed).success).toBe(false);
  });
});
