import { readFileSync } from "node:fs";
import { crossFieldIssues } from "./cross-checks.js";
import { ConfigError } from "./problems.js";
import type { Config, ConfigSchema } from "./schema.js";
import { lineOfField, parseYamlWith } from "./yaml-validation.js";

export { ConfigError, formatConfigError, formatProblem, type ConfigProblem } from "./problems.js";

/**
 * Parses and validates config text against `schema`, the composed one (functions/accounts-file/:
 * the kernel cannot build it, the plug-in settings blocks live in features); `file` only labels the errors.
 */
export function parseConfigWith(schema: ConfigSchema, text: string, file = "accounts.yaml"): Config {
  return parseYamlWith(text, file, schema, {
    example: "the example accounts.yaml",
    topLevel: "version, organization, hub, defaults and accounts",
    extraIssues: crossFieldIssues,
  });
}

export function loadConfigWith(schema: ConfigSchema, file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(err as Error).message})`;
    throw new ConfigError([
      {
        file,
        path: "",
        message: `${reason}; copy the example accounts.yaml from the repository root, or point DRIFTGUARD_CONFIG at your file`,
      },
    ]);
  }
  return parseConfigWith(schema, text, file);
}

/** The configuration object's content, as the hub stack writes it to the report bucket and the scanner reads it. */
export function configObjectBody(config: Config): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Where accounts.yaml names the organization, for the organization check's message. */
export function organizationIdSource(file: string): { file: string; line?: number } {
  try {
    const line = lineOfField(readFileSync(file, "utf8"), ["organization", "id"]);
    return line === undefined ? { file } : { file, line };
  } catch {
    return { file };
  }
}
