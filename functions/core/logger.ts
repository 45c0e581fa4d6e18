import { Logger } from "@aws-lambda-powertools/logger";

export type { Logger };

/** Keys every log line of a scan carries, so one run, account, region or stack can be filtered. */
// A type alias (not an interface) so it is assignable to Powertools' LogAttributes index signature.
export type LogScope = {
  runId?: string;
  account?: string;
  region?: string;
  stack?: string;
};

/** The process-wide logger; service name and level come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "driftguard" });

export function scoped(parent: Logger, scope: LogScope): Logger {
  return parent.createChild({ persistentKeys: scope });
}
