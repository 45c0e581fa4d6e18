/**
 * accounts.yaml as driftguard reads it: the composed schema and the loaders bound to it. The CLI,
 * the Lambda (runtime/settings.ts), the sandbox harness and the benchmark all parse through here,
 * so every one of them sees the same plug-in settings and the same file:line messages.
 */
import { loadConfigWith, parseConfigWith } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { configSchema } from "./schema.js";

export { configSchema } from "./schema.js";

/** Parses and validates config text; `file` only labels the errors. */
export function parseConfig(text: string, file = "accounts.yaml"): Config {
  return parseConfigWith(configSchema, text, file);
}

export function loadConfig(file: string): Config {
  return loadConfigWith(configSchema, file);
}
