import { ConfigError, type ConfigProblem } from "../../functions/config/load.js";
import { parseConfig } from "../../functions/accounts-file/index.js";

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
