import { DriftguardError } from "../core/errors.js";

/** One problem in a YAML file we read (accounts.yaml, a sandbox scenario), located precisely enough for a newcomer to fix it. */
export interface ConfigProblem {
  file: string;
  /** YAML path such as `accounts[2].id`; empty for the document root. */
  path: string;
  line?: number;
  column?: number;
  value?: unknown;
  message: string;
}

export class ConfigError extends DriftguardError {
  constructor(readonly problems: ConfigProblem[]) {
    super("ConfigError", problems.map(formatProblem).join("\n"));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  const at = p.path === "" ? "" : ` ${p.path}`;
  const shown = p.value === undefined ? "" : ` (found ${JSON.stringify(p.value)})`;
  return `${where}:${at} ${p.message}${shown}`;
}

/** The whole report for a terminal: a header naming the file(s), then one problem per line. */
export function formatConfigError(err: ConfigError): string {
  const files = [...new Set(err.problems.map((p) => p.file))].join(", ");
  const count = err.problems.length;
  return [`${files}: ${count} problem${count === 1 ? "" : "s"} to fix:`, ...err.problems.map((p) => `  ${formatProblem(p)}`)].join("\n");
}
