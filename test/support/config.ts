import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { ConfigError, type ConfigProblem } from "../../functions/config/load.js";
import type { Config, ConfigInput } from "../../functions/config/schema.js";
import { configSchema, parseConfig } from "../../functions/accounts-file/index.js";

/**
 * The one factory of test configurations: one base, and layers of overrides with one meaning —
 * objects merge key by key, arrays and scalars replace — applied left to right, then validated
 * by the schema every loader uses (defaults applied), as the Lambda receives it. A layer is an
 * object or accounts.yaml text (the same thing written as YAML). Families of tests that share a
 * setting pass it as a named layer (e.g. events/helpers.ts PAYMENTS_SPOKE), not as another base.
 */
export type ConfigLayer = DeepPartial<ConfigInput> | string;
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * The base: an organization, a hub in us-east-1, two regions and no accounts. The small
 * concurrency caps make the scan's limits visible with the handful of accounts a test lists.
 */
const BASE = {
  version: 1,
  organization: { id: "o-example0001" },
  hub: { accountId: "111111111111", region: "us-east-1" },
  defaults: { regions: ["us-east-1", "eu-west-1"], concurrency: { accounts: 2, regionsPerAccount: 2, stacksPerRegion: 2 } },
  accounts: [],
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** `over` on top of `under`: objects merge key by key; arrays, scalars and null replace. */
export function mergeLayer(under: unknown, over: unknown): unknown {
  if (!isObject(under) || !isObject(over)) return over === undefined ? under : over;
  const out: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) out[key] = mergeLayer(under[key], value);
  return out;
}

function layered(base: unknown, layers: ConfigLayer[]): Config {
  const raw = layers.reduce<unknown>((acc, layer) => mergeLayer(acc, typeof layer === "string" ? (parse(layer) ?? {}) : layer), base);
  return configSchema.parse(raw);
}

export function testConfig(...layers: ConfigLayer[]): Config {
  return layered(BASE, layers);
}

/** The accounts.yaml the repository ships (the example organization README and the construct tests use). */
export const EXAMPLE_FILE = fileURLToPath(new URL("../../accounts.yaml", import.meta.url));

/** The shipped accounts.yaml as raw input, e.g. to extend its account list in a layer. */
export function exampleInput(): ConfigInput {
  return parse(readFileSync(EXAMPLE_FILE, "utf8")) as ConfigInput;
}

/**
 * The shipped accounts.yaml with `layers` over it, merged as testConfig merges them and validated
 * like the real loader: the base of the tests that check what the example deploys (constructs,
 * terraform, the sandbox's deployed services).
 */
export function exampleConfig(...layers: ConfigLayer[]): Config {
  return layered(exampleInput(), layers);
}

/** The problems accounts.yaml text is rejected with; fails the test when the text is accepted. */
export function configProblems(text: string): ConfigProblem[] {
  try {
    parseConfig(text, "accounts.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}
