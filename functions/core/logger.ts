import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { LogAttributes } from "@aws-lambda-powertools/logger/types";

/** Keys every log line of a scan carries, so one run, account, region or stack can be filtered. */
// A type alias (not an interface) so it is assignable to Powertools' LogAttributes index signature.
export type LogScope = {
  runId?: string;
  account?: string;
  region?: string;
  stack?: string;
};

type Log = (message: string, ...attributes: LogAttributes[]) => void;

/** What driftguard logs through: Powertools' Logger, or a scope of one (`scoped`). */
export interface Logger {
  debug: Log;
  info: Log;
  warn: Log;
  error: Log;
}

/** The process-wide logger; service name and level come from POWERTOOLS_* variables. */
export const logger = new PowertoolsLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "driftguard" });

/**
 * A scope's keys on every line, as Powertools' persistent keys would put them (top level,
 * merged like extra attributes). Not `createChild`: it builds a whole Logger (options, formatter,
 * environment reads) and cost 234 µs of CPU per call, measured (issue 19, load 25) — one per
 * stack scanned, against the 2 ms per stack the hub may spend. A scope costs one object.
 */
class ScopedLogger implements Logger {
  constructor(
    readonly parent: Logger,
    readonly scope: LogScope,
  ) {}
  debug(message: string, ...attributes: LogAttributes[]): void {
    this.parent.debug(message, this.scope, ...attributes);
  }
  info(message: string, ...attributes: LogAttributes[]): void {
    this.parent.info(message, this.scope, ...attributes);
  }
  warn(message: string, ...attributes: LogAttributes[]): void {
    this.parent.warn(message, this.scope, ...attributes);
  }
  error(message: string, ...attributes: LogAttributes[]): void {
    this.parent.error(message, this.scope, ...attributes);
  }
}

export function scoped(parent: Logger, scope: LogScope): Logger {
  // Scopes of scopes are one scope, so a stack's line passes one object, not one per level.
  return parent instanceof ScopedLogger ? new ScopedLogger(parent.parent, { ...parent.scope, ...scope }) : new ScopedLogger(parent, scope);
}
