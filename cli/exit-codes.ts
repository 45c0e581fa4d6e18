import type { RunReport } from "../functions/core/types.js";
import { runCounts } from "../functions/report/index.js";

/**
 * The CLI's exit codes, for CI. 64, 70 and 78 are the BSD sysexits.h values (EX_USAGE,
 * EX_SOFTWARE, EX_CONFIG) that shells and CI systems already know.
 */
export const EXIT = {
  ok: 0,
  /** --fail-on drift: drift is left that nobody repaired (planned, manual, held, refused ...). */
  drift: 1,
  /** --fail-on drift|errors: an account, region or stack failed, a repair failed, or the run was incomplete. */
  errors: 2,
  usage: 64,
  internal: 70,
  config: 78,
} as const;

export const FAIL_ON = ["drift", "errors", "never"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Errors outrank drift: a run that could not look everywhere cannot say there is no drift. */
export function scanExitCode(report: RunReport, failOn: FailOn): number {
  if (failOn === "never") return EXIT.ok;
  const c = runCounts(report);
  const errors = c.errors + c.failed + c.refused + c.guardTrips > 0 || c.incomplete;
  if (errors) return EXIT.errors;
  const exempt = report.totals.exempt;
  const leftOver = c.resourcesDrifted - c.remediated - exempt;
  if (failOn === "drift" && leftOver > 0) return EXIT.drift;
  return EXIT.ok;
}

export const EXIT_CODES_HELP = [
  "exit codes:",
  `  ${EXIT.ok}   nothing --fail-on asked about`,
  `  ${EXIT.drift}   drift left unrepaired (--fail-on drift)`,
  `  ${EXIT.errors}   an account, region or stack failed, a repair failed or was refused, or the run was incomplete (--fail-on drift|errors)`,
  `  ${EXIT.usage}  bad command line`,
  `  ${EXIT.config}  accounts.yaml has problems (file:line listed)`,
  `  ${EXIT.internal}  driftguard itself failed (a bug; please report it)`,
].join("\n");
