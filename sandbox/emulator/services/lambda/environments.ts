import { randomBytes } from "node:crypto";
import type { LambdaFunction } from "./functions.js";

/**
 * A function's execution environments, as far as they show in its logs: "Each instance of a Lambda
 * function has a dedicated log stream. If a function scales up, each concurrent instance has its
 * own log stream. Each time an execution environment is reaped and a new environment is created in
 * response to an invocation, this generates a new log stream … A single execution environment
 * writes to the same log stream during its lifetime" ("How CloudWatch structures logs", Lambda
 * Operator Guide, docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html). So an
 * invocation takes an idle (warm) environment and writes to its stream; when every environment is
 * busy (concurrent invocations) it starts a new one (a cold start) with a new stream, which is
 * then kept for later invocations.
 *
 * An environment is set up from the function's code and configuration ("Lambda uses this
 * information to set up the execution environment", "Understanding the Lambda execution
 * environment lifecycle", lambda-runtime-environment.html), so an update of either retires the
 * idle ones: the next invocation is a cold start. The sandbox never reaps an idle environment of
 * an unchanged function (AWS does after an idle time it does not document).
 *
 * Stream names: "YYYY/MM/DD[Function version][Execution environment GUID]" (log-structure.html),
 * e.g. 2023/01/12/[$LATEST]b1a3f3bb5b284de1b7e1d7a6e3e2f54c, the date being the environment's
 * creation; in a log group other than /aws/lambda/<function name> the function's name comes
 * first: "YYYY/MM/DD/<function_name>[<function_version>][<execution_environment_GUID>]"
 * ("Configuring CloudWatch log groups", monitoring-cloudwatchlogs-loggroups.html).
 */

export interface ExecutionEnvironment {
  logStream: string;
  busy: boolean;
  /** The code and configuration it was set up with (setupOf). */
  setup: string;
}

/** What an environment is set up from: the package and the configuration its runtime reads. */
function setupOf(fn: LambdaFunction): string {
  return JSON.stringify([fn.codeSha256, fn.handler, fn.runtime, fn.role, fn.memorySize, fn.timeout, fn.environment ?? {}, fn.loggingConfig, fn.ephemeralStorage, fn.layers]);
}

export function logStreamName(fn: Pick<LambdaFunction, "name" | "loggingConfig">, createdAt: number): string {
  const date = new Date(createdAt).toISOString().slice(0, 10).replace(/-/g, "/");
  const custom = fn.loggingConfig.LogGroup !== `/aws/lambda/${fn.name}`;
  return `${date}/${custom ? fn.name : ""}[$LATEST]${randomBytes(16).toString("hex")}`;
}

/**
 * An idle environment of the function's current setup, or a new one; busy until `release`.
 * `coldStart` says which (the runtime's AWS_LAMBDA_INITIALIZATION_TYPE stays "on-demand" either way).
 */
export function acquireEnvironment(fn: LambdaFunction, now: number): { environment: ExecutionEnvironment; coldStart: boolean; release: () => void } {
  const setup = setupOf(fn);
  // An update retired the environments of the old setup; the busy ones finish their invocation first.
  const pool = (fn.environments = (fn.environments ?? []).filter((e) => e.setup === setup || e.busy));
  let environment = pool.find((e) => !e.busy && e.setup === setup);
  const coldStart = !environment;
  if (!environment) pool.push((environment = { logStream: logStreamName(fn, now), busy: false, setup }));
  environment.busy = true;
  const taken = environment;
  return {
    environment,
    coldStart,
    release: () => {
      taken.busy = false;
      if (taken.setup !== setupOf(fn)) fn.environments = (fn.environments ?? []).filter((e) => e !== taken);
    },
  };
}
