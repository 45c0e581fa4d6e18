import { applyResultPath, applyTemplate, filterPath, isPresent, runtimeError, select, StatesError } from "./paths.js";

/**
 * The Amazon States Language interpreter (JSONPath query language) for one execution: states
 * are run from StartAt until a terminal state, with input/output processing, Retry and Catch,
 * and each step recorded in the execution's history. Source: Amazon States Language
 * specification (states-language.net/spec.html) and the Step Functions Developer Guide, each
 * section cited where it is followed. What AWS calls — Lambda, S3, SNS, child executions — goes
 * through the `ExecutionHost` port, so this file decides and integrations.ts acts.
 *
 * Supported: Task, Pass, Choice, Wait, Succeed, Fail, Map (inline and DISTRIBUTED with an S3
 * ItemReader and ResultWriter). Parallel, JSONata, Variables (Assign), HeartbeatSeconds and
 * callback patterns are refused with States.Runtime naming the field, so an unsupported
 * definition fails the execution loudly instead of running differently than in AWS.
 */

type Json = unknown;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type State = Record<string, any>;
export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage?: string;
}

export interface ContextObject {
  Execution: { Id: string; Input: Json; Name: string; RoleArn: string; StartTime: string; RedriveCount: number };
  StateMachine: { Id: string; Name: string };
  State?: { EnteredTime: string; Name: string; RetryCount: number };
  Map?: { Item: { Index: number; Value: Json } };
}

export interface ChildOutcome {
  executionArn: string;
  status: "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
  output?: Json;
  error?: string;
  cause?: string;
}

/** A Map Run's configuration as DescribeMapRun reports it. */
export interface MapRunConfig {
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
}

/** What an execution needs from the world: AWS calls as the state machine's role, child executions, time. */
export interface ExecutionHost {
  /** A Task state's Resource with its effective parameters; throws StatesError. */
  task(resource: string, parameters: Json, where: string): Promise<Json>;
  /** A Distributed Map's ItemReader (s3:getObject / JSON), parameters already resolved. */
  readItems(reader: State, parameters: Json, where: string): Promise<Json[]>;
  /** A Map Run: its ARN, one child execution per item (their inputs, kept for a redrive), the ResultWriter export. */
  startMapRun(label: string, config: MapRunConfig, inputs: Json[]): string;
  /**
   * In a redriven execution, the unsuccessful Map Run this Distributed Map state left, now running
   * again with the item inputs it had (redrive-map-run.html); undefined otherwise (a new Map Run).
   */
  redriveMapRun(label: string): { mapRunArn: string; inputs: Json[]; redriveCount: number } | undefined;
  /** The Map Run's end (DescribeMapRun's status). */
  finishMapRun(mapRunArn: string, status: "SUCCEEDED" | "FAILED" | "ABORTED"): void;
  runChild(mapRunArn: string, processor: StateMachineDefinition, input: Json, index: number): Promise<ChildOutcome>;
  writeResults(mapRunArn: string, writer: State, parameters: Json, outcomes: ChildOutcome[], where: string): Promise<Json>;
  record(type: string, details?: Record<string, unknown>): void;
  /** Waits (Retry intervals, Wait states) in sandbox time; see service.ts for the scale. */
  sleep(seconds: number): Promise<void>;
  random(): number;
  now(): number;
  /** Set once StopExecution aborted the execution. */
  readonly stopped: boolean;
}

/** "States.ALL … cannot catch the States.DataLimitExceeded terminal error or the Runtime error types" (concepts-error-handling.html). */
const UNCATCHABLE_BY_ALL = new Set(["States.Runtime", "States.DataLimitExceeded"]);

/** "States.TaskFailed … acts as a wildcard that matches any known error name except for States.Timeout" (same page). */
function matches(errorEquals: string[], error: string): boolean {
  if (errorEquals.includes(error)) return true;
  if (UNCATCHABLE_BY_ALL.has(error)) return false;
  return errorEquals.includes("States.ALL") || (errorEquals.includes("States.TaskFailed") && error !== "States.Timeout");
}

const asString = (v: Json) => JSON.stringify(v ?? null);
/** Payloads are never truncated here (the 256 KiB quota is not enforced by the sandbox). */
const details = () => ({ truncated: false });

/** The fields the sandbox refuses outright, so an execution never silently ignores them. */
const UNSUPPORTED_FIELDS = ["Assign", "Arguments", "Output", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "TimeoutSecondsPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "MaxConcurrencyPath", "ItemBatcher"];

function refuseUnsupported(name: string, state: State): void {
  if (state.QueryLanguage === "JSONata") throw runtimeError(`State '${name}' uses JSONata, which the sandbox does not evaluate`);
  for (const field of UNSUPPORTED_FIELDS) if (field in state) throw runtimeError(`State '${name}' uses ${field}, which the sandbox does not emulate`);
  if (typeof state.Resource === "string" && /\.(sync|waitForTaskToken)(:\d+)?$/.test(state.Resource)) throw runtimeError(`State '${name}' uses the ${state.Resource.split(".").pop()} integration pattern, which the sandbox does not emulate`);
}

/** Retry with its defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0, optional MaxDelaySeconds and FULL jitter ("Retrying after an error", concepts-error-handling.html#error-handling-retrying-after-an-error). */
function retryDelay(retrier: State, attempt: number, random: () => number): number {
  let delay = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, attempt);
  if (retrier.MaxDelaySeconds !== undefined) delay = Math.min(delay, retrier.MaxDelaySeconds);
  return retrier.JitterStrategy === "FULL" ? random() * delay : delay;
}

export class Interpreter {
  /** The top-level state running (or that failed) and its input: where a redrive continues (API_RedriveExecution.html). */
  position?: { state: string; input: Json };
  private depth = 0;

  constructor(
    private readonly host: ExecutionHost,
    private readonly context: ContextObject,
  ) {}

  /** Runs a (sub-)state machine to its end, from StartAt or from `from`: the output, or a StatesError. */
  async run(machine: StateMachineDefinition, input: Json, mapItem?: ContextObject["Map"], from?: string): Promise<Json> {
    if (machine.QueryLanguage === "JSONata") throw runtimeError("The state machine uses JSONata, which the sandbox does not evaluate");
    const top = this.depth++ === 0;
    try {
      let name: string | undefined = from ?? machine.StartAt;
      let data = input;
      while (name !== undefined) {
        if (this.host.stopped) throw new StatesError("States.Aborted", "the execution was stopped");
        const state = machine.States[name];
        if (!state) throw runtimeError(`The state '${name}' does not exist`);
        if (top) this.position = { state: name, input: data };
        const step = await this.runState(name, state, data, mapItem);
        data = step.output;
        name = step.next;
      }
      return data;
    } finally {
      this.depth--;
    }
  }

  private ctx(name: string, retryCount: number, mapItem?: ContextObject["Map"]): ContextObject {
    return { ...this.context, State: { EnteredTime: new Date(this.host.now()).toISOString(), Name: name, RetryCount: retryCount }, ...(mapItem ? { Map: mapItem } : {}) };
  }

  private async runState(name: string, state: State, input: Json, mapItem?: ContextObject["Map"]): Promise<{ output: Json; next?: string }> {
    const type = String(state.Type);
    this.host.record(`${type}StateEntered`, { stateEnteredEventDetails: { name, input: asString(input), inputDetails: details() } });
    refuseUnsupported(name, state);
    const done = (output: Json, next?: string) => {
      if (type !== "Fail") this.host.record(`${type}StateExited`, { stateExitedEventDetails: { name, output: asString(output), outputDetails: details() } });
      return { output, next: state.End === true ? undefined : next };
    };
    const ctx = this.ctx(name, 0, mapItem);
    switch (type) {
      case "Pass": {
        // Pass: Result (or the effective input) → ResultPath → OutputPath (spec "Pass State").
        const effective = this.effectiveInput(state, input, ctx, name);
        const result = "Result" in state ? state.Result : effective;
        return done(filterPath(applyResultPath(input, result, state.ResultPath, name), ctx, state.OutputPath, name), state.Next);
      }
      case "Succeed":
        return { ...done(filterPath(filterPath(input, ctx, state.InputPath, name), ctx, state.OutputPath, name)), next: undefined };
      case "Fail": {
        // Fail: Error/Cause or ErrorPath/CausePath (spec "Fail State").
        const error = state.ErrorPath ? String(select(input, ctx, state.ErrorPath, name)) : (state.Error ?? "States.Fail");
        const cause = state.CausePath ? String(select(input, ctx, state.CausePath, name)) : (state.Cause ?? "");
        throw new StatesError(error, cause);
      }
      case "Choice": {
        const effective = filterPath(input, ctx, state.InputPath, name);
        const rule = (state.Choices as State[]).find((c) => this.choose(c, effective, ctx, name));
        const next = rule?.Next ?? state.Default;
        // "States.NoChoiceMatched … reported as States.Runtime" (concepts-error-handling.html).
        if (!next) throw runtimeError(`An error occurred while executing the state '${name}'. No Choice matched and no Default is specified`);
        const output = filterPath(effective, ctx, state.OutputPath, name);
        this.host.record("ChoiceStateExited", { stateExitedEventDetails: { name, output: asString(output), outputDetails: details() } });
        return { output, next };
      }
      case "Wait": {
        const effective = filterPath(input, ctx, state.InputPath, name);
        const seconds = state.Seconds ?? (state.SecondsPath ? Number(select(effective, ctx, state.SecondsPath, name)) : undefined);
        const until = state.Timestamp ?? (state.TimestampPath ? String(select(effective, ctx, state.TimestampPath, name)) : undefined);
        await this.host.sleep(seconds ?? Math.max(0, (Date.parse(until) - this.host.now()) / 1000));
        return done(filterPath(effective, ctx, state.OutputPath, name), state.Next);
      }
      case "Task":
      case "Map":
        return this.withRetryAndCatch(name, state, input, mapItem, done);
      default:
        throw runtimeError(`State '${name}' is of type ${type}, which the sandbox does not emulate`);
    }
  }

  /** InputPath, then Parameters (spec "Input and Output Processing"). */
  private effectiveInput(state: State, input: Json, ctx: ContextObject, name: string): Json {
    const selected = filterPath(input, ctx, state.InputPath, name);
    return state.Parameters === undefined ? selected : applyTemplate(state.Parameters, selected, ctx, name);
  }

  /**
   * Task and Map: the work, then ResultSelector → ResultPath → OutputPath; an error goes to the
   * first Retrier that matches it (each with its own attempt count), then to the first Catcher,
   * whose ResultPath places {Error, Cause} into the state's input (spec "Retrying after an error", "Fallback states").
   */
  private async withRetryAndCatch(name: string, state: State, input: Json, mapItem: ContextObject["Map"] | undefined, done: (output: Json, next?: string) => { output: Json; next?: string }) {
    const retriers = (state.Retry ?? []) as State[];
    const attempts = retriers.map(() => 0);
    let retryCount = 0;
    for (;;) {
      const ctx = this.ctx(name, retryCount, mapItem);
      try {
        const effective = this.effectiveInput(state.Type === "Map" ? { ...state, Parameters: undefined } : state, input, ctx, name);
        const result = state.Type === "Task" ? await this.task(name, state, effective) : await this.map(name, state, effective, ctx);
        const selected = state.ResultSelector === undefined ? result : applyTemplate(state.ResultSelector, result, ctx, name);
        return done(filterPath(applyResultPath(input, selected, state.ResultPath, name), ctx, state.OutputPath, name), state.Next);
      } catch (err) {
        if (!(err instanceof StatesError) || err.error === "States.Aborted") throw err;
        const r = retriers.findIndex((rt) => matches(rt.ErrorEquals ?? [], err.error));
        if (r >= 0 && attempts[r]! < (retriers[r]!.MaxAttempts ?? 3)) {
          await this.host.sleep(retryDelay(retriers[r]!, attempts[r]!, this.host.random));
          attempts[r]!++;
          retryCount++;
          continue;
        }
        const catcher = ((state.Catch ?? []) as State[]).find((c) => matches(c.ErrorEquals ?? [], err.error));
        if (!catcher) throw err;
        const output = applyResultPath(input, { Error: err.error, Cause: err.cause }, catcher.ResultPath, name);
        this.host.record(`${state.Type}StateExited`, { stateExitedEventDetails: { name, output: asString(output), outputDetails: details() } });
        return { output, next: catcher.Next as string };
      }
    }
  }

  /** TimeoutSeconds (default 99999999) turns a task that runs longer into States.Timeout (spec "Task State"). */
  private async task(name: string, state: State, parameters: Json): Promise<Json> {
    const resource = String(state.Resource);
    const [resourceType, action] = taskResourceNames(resource);
    this.host.record("TaskScheduled", { taskScheduledEventDetails: { resourceType, resource: action, region: resource.split(":")[3] || undefined, parameters: asString(parameters), ...(state.TimeoutSeconds ? { timeoutInSeconds: state.TimeoutSeconds } : {}) } });
    this.host.record("TaskStarted", { taskStartedEventDetails: { resourceType, resource: action } });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = state.TimeoutSeconds
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new StatesError("States.Timeout", `Task '${name}' timed out after ${state.TimeoutSeconds} seconds`)), state.TimeoutSeconds * 1000);
          })
        : undefined;
      const work = this.host.task(resource, parameters, name);
      const result = await (timeout ? Promise.race([work, timeout]) : work);
      this.host.record("TaskSucceeded", { taskSucceededEventDetails: { resourceType, resource: action, output: asString(result), outputDetails: details() } });
      return result;
    } catch (err) {
      const e = err instanceof StatesError ? err : new StatesError("States.TaskFailed", (err as Error).message);
      this.host.record(e.error === "States.Timeout" ? "TaskTimedOut" : "TaskFailed", { [e.error === "States.Timeout" ? "taskTimedOutEventDetails" : "taskFailedEventDetails"]: { resourceType, resource: action, error: e.error, cause: e.cause } });
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Map (state-map.html). Inline: ItemsPath selects the array, each item through ItemSelector
   * (or the older Parameters) into ItemProcessor (or Iterator), at most MaxConcurrency at once,
   * the results an array; one failed iteration fails the state. DISTRIBUTED (state-map-distributed.html):
   * the items come from ItemReader, each runs as a child execution of a Map Run, failures up to
   * ToleratedFailurePercentage/Count are tolerated ("States.ExceedToleratedFailureThreshold"
   * otherwise), and with a ResultWriter the results are exported to S3 and the state's result is
   * {MapRunArn, ResultWriterDetails} (input-output-resultwriter.html).
   */
  private async map(name: string, state: State, input: Json, ctx: ContextObject): Promise<Json> {
    const processor = (state.ItemProcessor ?? state.Iterator) as (StateMachineDefinition & { ProcessorConfig?: { Mode?: string } }) | undefined;
    if (!processor) throw runtimeError(`Map state '${name}' has no ItemProcessor`);
    const distributed = processor.ProcessorConfig?.Mode === "DISTRIBUTED";
    const label = state.Label ?? name;
    // A redriven execution redrives the Map Run it left unsuccessful, with its items as they were.
    const redriven = distributed ? this.host.redriveMapRun(label) : undefined;
    const selector = state.ItemSelector ?? state.Parameters;
    const itemInput = (value: Json, index: number) => (selector === undefined ? value : applyTemplate(selector, input, { ...ctx, Map: { Item: { Index: index, Value: value } } }, name));
    let items: Json[] = [];
    if (redriven) {
      // No new read: the Map Run's children already have their inputs.
    } else if (state.ItemReader) {
      if (!distributed) throw runtimeError(`Map state '${name}' has an ItemReader but is not DISTRIBUTED`);
      items = await this.host.readItems(state.ItemReader, applyTemplate(state.ItemReader.Parameters ?? {}, input, ctx, name), name);
    } else {
      const selected = select(input, ctx, state.ItemsPath ?? "$", name);
      if (!Array.isArray(selected)) throw runtimeError(`An error occurred while executing the state '${name}'. Items of the Map state must be an array, got ${JSON.stringify(selected)?.slice(0, 200)}`);
      items = selected;
    }
    const limit = state.MaxConcurrency && state.MaxConcurrency > 0 ? state.MaxConcurrency : distributed ? 10_000 : 40;
    if (!distributed) {
      this.host.record("MapStateStarted", { mapStateStartedEventDetails: { length: items.length } });
      const results = await pool(items, limit, async (value, index) => {
        this.host.record("MapIterationStarted", { mapIterationStartedEventDetails: { name, index } });
        try {
          const out = await this.run(processor, itemInput(value, index), { Item: { Index: index, Value: value } });
          this.host.record("MapIterationSucceeded", { mapIterationSucceededEventDetails: { name, index } });
          return out;
        } catch (err) {
          this.host.record("MapIterationFailed", { mapIterationFailedEventDetails: { name, index } });
          throw err;
        }
      });
      this.host.record("MapStateSucceeded");
      return results;
    }
    let mapRunArn: string;
    let inputs: Json[];
    if (redriven) {
      ({ mapRunArn, inputs } = redriven);
      // HistoryEventType MapRunRedriven, mapRunRedrivenEventDetails {mapRunArn, redriveCount} (API_HistoryEvent.html).
      this.host.record("MapRunRedriven", { mapRunRedrivenEventDetails: { mapRunArn, redriveCount: redriven.redriveCount } });
    } else {
      inputs = items.map(itemInput);
      mapRunArn = this.host.startMapRun(label, { maxConcurrency: state.MaxConcurrency ?? 0, toleratedFailurePercentage: state.ToleratedFailurePercentage ?? 0, toleratedFailureCount: state.ToleratedFailureCount ?? 0 }, inputs);
      this.host.record("MapRunStarted", { mapRunStartedEventDetails: { mapRunArn } });
    }
    let outcomes: ChildOutcome[];
    try {
      outcomes = await pool(inputs, limit, (childInput, index) => this.host.runChild(mapRunArn, processor, childInput, index));
    } catch (err) {
      this.host.finishMapRun(mapRunArn, "FAILED");
      throw err;
    }
    const failed = outcomes.filter((o) => o.status !== "SUCCEEDED").length;
    const toleratedPercent = state.ToleratedFailurePercentage ?? 0;
    const toleratedCount = state.ToleratedFailureCount;
    const tooMany = inputs.length > 0 && failed > 0 && (toleratedCount !== undefined ? failed > toleratedCount && (failed * 100) / inputs.length > toleratedPercent : (failed * 100) / inputs.length > toleratedPercent);
    if (tooMany) {
      const cause = `The specified tolerated failure threshold was exceeded: ${failed} of ${inputs.length} child executions failed`;
      this.host.record("MapRunFailed", { mapRunFailedEventDetails: { error: "States.ExceedToleratedFailureThreshold", cause } });
      this.host.finishMapRun(mapRunArn, "FAILED");
      throw new StatesError("States.ExceedToleratedFailureThreshold", cause);
    }
    let result: Json;
    try {
      result = state.ResultWriter
        ? await this.host.writeResults(mapRunArn, state.ResultWriter, applyTemplate(state.ResultWriter.Parameters ?? {}, input, ctx, name), outcomes, name)
        : outcomes.map((o) => (o.status === "SUCCEEDED" ? o.output : { Error: o.error, Cause: o.cause }));
    } catch (err) {
      this.host.finishMapRun(mapRunArn, "FAILED");
      throw err;
    }
    this.host.record("MapRunSucceeded");
    this.host.finishMapRun(mapRunArn, "SUCCEEDED");
    return result;
  }

  /** Choice Rules (state-choice.html, "JSONPath Choice Rules"): comparison operators, And/Or/Not. */
  private choose(rule: State, input: Json, ctx: ContextObject, where: string): boolean {
    if (rule.And) return (rule.And as State[]).every((r) => this.choose(r, input, ctx, where));
    if (rule.Or) return (rule.Or as State[]).some((r) => this.choose(r, input, ctx, where));
    if (rule.Not) return !this.choose(rule.Not as State, input, ctx, where);
    const variable = String(rule.Variable);
    const operator = Object.keys(rule).find((k) => k !== "Variable" && k !== "Next" && k !== "Comment");
    if (!operator) throw runtimeError(`A Choice rule of state '${where}' has no comparison operator`);
    const root = variable.startsWith("$$") ? ctx : input;
    const path = variable.startsWith("$$") ? variable.slice(1) : variable;
    if (operator === "IsPresent") return isPresent(root, path) === rule.IsPresent;
    const value = select(input, ctx, variable, where);
    let expected: Json = rule[operator];
    let op = operator;
    if (op.endsWith("Path")) {
      expected = select(input, ctx, String(expected), where);
      op = op.slice(0, -4);
    }
    const compare = COMPARISONS[op];
    if (!compare) throw runtimeError(`The Choice operator ${operator} of state '${where}' is not emulated by the sandbox`);
    return compare(value, expected);
  }
}

const ts = (v: Json) => (typeof v === "string" ? Date.parse(v) : NaN);
const ordered = <T>(test: (a: T, b: T) => boolean, guard: (v: Json) => boolean) => (a: Json, b: Json) => guard(a) && guard(b) && test(a as T, b as T);
const isStr = (v: Json) => typeof v === "string";
const isNum = (v: Json) => typeof v === "number";
const isTs = (v: Json) => typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v));

/** The comparison operators of the spec's "Choice Rules"; a type mismatch is false, not an error. */
const COMPARISONS: Record<string, (value: Json, expected: Json) => boolean> = {
  StringEquals: ordered<string>((a, b) => a === b, isStr),
  StringLessThan: ordered<string>((a, b) => a < b, isStr),
  StringGreaterThan: ordered<string>((a, b) => a > b, isStr),
  StringLessThanEquals: ordered<string>((a, b) => a <= b, isStr),
  StringGreaterThanEquals: ordered<string>((a, b) => a >= b, isStr),
  StringMatches: (a, b) => typeof a === "string" && typeof b === "string" && new RegExp(`^${b.replace(/[.+^${}()|[\]]/g, "\\$&").replace(/(?<!\\)\*/g, ".*").replace(/\\\*/g, "\\*")}$`).test(a),
  NumericEquals: ordered<number>((a, b) => a === b, isNum),
  NumericLessThan: ordered<number>((a, b) => a < b, isNum),
  NumericGreaterThan: ordered<number>((a, b) => a > b, isNum),
  NumericLessThanEquals: ordered<number>((a, b) => a <= b, isNum),
  NumericGreaterThanEquals: ordered<number>((a, b) => a >= b, isNum),
  BooleanEquals: (a, b) => typeof a === "boolean" && a === b,
  TimestampEquals: (a, b) => isTs(a) && ts(a) === ts(b),
  TimestampLessThan: (a, b) => isTs(a) && ts(a) < ts(b),
  TimestampGreaterThan: (a, b) => isTs(a) && ts(a) > ts(b),
  TimestampLessThanEquals: (a, b) => isTs(a) && ts(a) <= ts(b),
  TimestampGreaterThanEquals: (a, b) => isTs(a) && ts(a) >= ts(b),
  IsNull: (a, b) => (a === null) === b,
  IsString: (a, b) => (typeof a === "string") === b,
  IsNumeric: (a, b) => (typeof a === "number") === b,
  IsBoolean: (a, b) => (typeof a === "boolean") === b,
  IsTimestamp: (a, b) => isTs(a) === b,
};

/**
 * The resourceType/resource pair of a Task's history events (API_TaskScheduledEventDetails.html):
 * "lambda"/"invoke" for arn:aws:states:::lambda:invoke, "aws-sdk:s3"/"putObject" for an SDK
 * integration, "lambda"/"invoke" for a function ARN used as the Resource.
 */
export function taskResourceNames(resource: string): [string, string] {
  const states = /^arn:aws[\w-]*:states:[^:]*:[^:]*:(.+)$/.exec(resource);
  if (states) {
    const parts = states[1]!.split(":");
    return [parts.slice(0, -1).join(":"), parts[parts.length - 1]!];
  }
  return ["lambda", "invoke"];
}

/** Runs `fn` over `items`, at most `limit` at once, results in item order; the first failure rejects after the running ones settle. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}
