import { buildConfigSchema, type ConfigSchema } from "../config/schema.js";
import { GUARDRAIL_SETTINGS, type GuardrailSettingsBlocks } from "../events/index.js";

/**
 * accounts.yaml's schema as every loader parses it: the kernel's schema (config/schema.ts) with
 * each plug-in's settings block, today the guardrails' (events/guardrails/registry.ts). It is
 * composed here, outside the kernel, because config/ may import only core/ (lint/import-boundaries.js).
 */
export const configSchema: ConfigSchema = buildConfigSchema(GUARDRAIL_SETTINGS);

declare module "../config/schema.js" {
  /**
   * The kernel's `Config` type is the type of the schema built above: this fills in the
   * interface config/schema.ts declares empty, so the type follows the guardrail files and the
   * assignment above fails to compile if the two ever part.
   */
  interface ConfigPlugins {
    guardrails: GuardrailSettingsBlocks;
  }
}
