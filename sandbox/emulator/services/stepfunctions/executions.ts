import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AwsError, type CallContext } from "../../protocol/types.js";
import type { Principal } from "../../state.js";
import { mintRoleSession } from "../iam/principals.js";
import { afterResponse } from "../shared/background.js";
import { required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { regionalState } from "../shared/regional.js";
import { serviceMayAssume } from "../shared/service-trust.js";
import { authorize } from "../../authorization/evaluate.js";
import { readItems, runTask, writeResults, type ChildRecord, type StatesHost } from "./integrations.js";
import { CLOSING_METRIC, deliverLogRecord, executionMetric, logRecord, logStreamName, type LoggingSettings } from "./telemetry.js";
import { Interpreter, type ChildOutcome, type MapRunConfig, type ContextObject, type StateMachineDefinition } from "./interpreter.js";
import { StatesError } from "./paths.js";
import { stepFunctionsService } from "./service.js";

/**
 * Executions of a state machine: StartExecution runs the definition (interpreter.ts) after the
 * call returns, as a STANDARD workflow does; DescribeExecution, GetExecutionHistory,
 * ListExecutions and StopExecution show and end it. Every AWS call the execution makes is made
 * with a session of the state machine's role, which must trust states.amazonaws.com
 * ("Step Functions … assumes the role", procedure-create-iam-role.html). Distributed Map child
 * executions are executions too (their ARN `execution:<machine>/<map label>:<id>`, listed by
 * ListExecutions with mapRunArn). Source: the Step Functions API Reference, one page per action,
 * cited at each handler.
 */

type Json = unknown;
export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface HistoryEvent {
  timestamp: Date;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  mapRunArn?: string;
  history: HistoryEvent[];
  /** Settles when the execution ends (tests and the harness wait on it); a redrive replaces it. */
  done: Promise<void>;
  stopRequested?: { error?: string; cause?: string };
  /** The definition it runs (a redrive runs the same one, API_RedriveExecution.html). */
  machine: MachineRef;
  redriveCount: number;
  redriveDate?: Date;
  /** The top-level state that did not complete, and its input: where a redrive continues. */
  failedAt?: { state: string; input: Json };
  /** The CloudWatch Logs stream its records go to (telemetry.ts). */
  logStream: string;
}

export interface MapRun {
  mapRunArn: string;
  executionArn: string;
  stateMachineArn: string;
  startDate: Date;
  stopDate?: Date;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  /** The Distributed Map state's label: a redrive of the parent finds the Map Run by it. */
  label: string;
  /** Each item's input to its child execution, by item index (a redriven Map Run reads no items again). */
  inputs: Json[];
  /** The child execution of each item, by item index; absent for an item whose child never started. */
  children: (string | undefined)[];
  redriveCount: number;
  redriveDate?: Date;
}

export const executionsState = regionalState("states-executions", () => ({ executions: new Map<string, Execution>(), mapRuns: new Map<string, MapRun>() }));

/**
 * Waits are compressed: a Retry's IntervalSeconds 2 with BackoffRate 2 over 6 attempts is 126 s
 * in AWS and 126 ms here, so a retried task still waits in order (history shows the retries)
 * without making tests slow. Task TimeoutSeconds is not compressed: it races the real work.
 */
export const SANDBOX_WAIT_SCALE = 1 / 1000;

/** API_StartExecution.html, name: 1-80 characters, the state machine name rules; unique per machine for 90 days. */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
/** "Step Functions service quotas" (service-quotas.html): 256 KiB of input or output. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

export interface MachineRef {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  /** STANDARD when absent. */
  type?: "STANDARD" | "EXPRESS";
  loggingConfiguration?: LoggingSettings;
}

const ARN = /^arn:aws:states:([^:]+):(\d{12}):(execution|mapRun|express):([^:]+):([^:]+)(?::[^:]+)?$/;

/** The execution of this account and region an ARN names; ExecutionDoesNotExist otherwise (API_DescribeExecution.html). */
export function executionOf(ctx: Pick<CallContext, "world" | "accountId" | "region">, arn: string | undefined): Execution {
  const given = required(arn, () => new AwsError("InvalidArn", `Invalid Arn: '${String(arn)}'`));
  const m = ARN.exec(given);
  if (!m || m[3] !== "execution") throw new AwsError("InvalidArn", `Invalid Arn: 'Resource type not valid in this context: ${given.split(":")[5] ?? given}'`);
  const account = ctx.world.accounts.get(m[2]!);
  const found = account && m[1] === ctx.region && m[2] === ctx.accountId ? executionsState.at(account, m[1]!).executions.get(given) : undefined;
  if (!found) throw new AwsError("ExecutionDoesNotExist", `Execution Does Not Exist: '${given}'`);
  return found;
}

/**
 * The role session Step Functions uses for an execution. A role that is gone or does not trust
 * states.amazonaws.com (or the regional states.<region>.amazonaws.com) fails the execution with
 * this message (as AWS words it; lumigo-io/lumigo-CLI#83 quotes it).
 */
export const UNTRUSTED_ROLE = "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.";

/** The role, when it exists and trusts states.amazonaws.com or states.<region>.amazonaws.com for this machine. */
export function trustedRole(world: StatesHost["world"], roleArn: string, region: string, machineArn: string) {
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const role = m ? world.accounts.get(m[1]!)?.roles.get(m[2]!) : undefined;
  const trusted = role && [`states.amazonaws.com`, `states.${region}.amazonaws.com`].some((service) => serviceMayAssume(role, { service, sourceAccount: machineArn.split(":")[4], sourceArn: machineArn }));
  return trusted ? { accountId: m![1]!, role: role! } : undefined;
}

export function stateMachineSession(host: StatesHost, machine: Pick<MachineRef, "arn" | "roleArn">, region: string, sessionName: string): Principal {
  const found = trustedRole(host.world, machine.roleArn, region, machine.arn);
  if (!found) throw new StatesError("States.Runtime", UNTRUSTED_ROLE);
  const now = host.runtime.now();
  return mintRoleSession(host.world, host.runtime.random, found.accountId, found.role, sessionName.slice(0, 64), { issuedAt: now, expiresAt: now + 3600_000 });
}

/** Appends to the execution's history, and logs the event at the machine's level (telemetry.ts). */
class Recorder {
  constructor(private readonly host: StatesHost, private readonly execution: Execution) {}
  record(type: string, details: Record<string, unknown> = {}): void {
    const history = this.execution.history;
    const id = history.length + 1;
    const event = { timestamp: new Date(this.host.runtime.now()), type, id, previousEventId: id - 1, ...details };
    history.push(event);
    const logging = this.execution.machine.loggingConfiguration;
    const line = logging ? logRecord(logging, this.execution.executionArn, this.execution.redriveCount, event) : undefined;
    if (line) deliverLogRecord(this.host, logging!, this.execution.logStream, line);
  }
}

/**
 * Starts an execution of `machine` as the service would and returns it at once; it runs on its own.
 * An EXPRESS machine's execution ARN is `express:<machine>:<name>:<id>` (the form CloudWatch Logs
 * records show, telemetry.ts), which the history and describe APIs refuse as AWS does.
 */
export function startExecution(host: StatesHost, machine: MachineRef, region: string, accountId: string, input: Json, options: { name?: string; executionArn?: string; mapRunArn?: string; duplicate?: boolean }): Execution {
  const name = options.name ?? randomUUID();
  const express = machine.type === "EXPRESS" && !options.mapRunArn;
  const executionArn = options.executionArn ?? (express ? `arn:aws:states:${region}:${accountId}:express:${machine.name}:${name}:${randomUUID()}` : `arn:aws:states:${region}:${accountId}:execution:${machine.name}:${name}`);
  const account = host.world.accounts.get(accountId)!;
  const { executions } = executionsState.at(account, region);
  const inputText = JSON.stringify(input ?? {});
  const startDate = new Date(host.runtime.now());
  const execution: Execution = {
    executionArn,
    stateMachineArn: machine.arn,
    name,
    status: "RUNNING",
    startDate,
    input: inputText,
    history: [],
    done: Promise.resolve(),
    // A snapshot: an update of the machine does not change what this execution (or its redrive) runs.
    machine: { arn: machine.arn, name: machine.name, definition: machine.definition, roleArn: machine.roleArn, ...(machine.type ? { type: machine.type } : {}), ...(machine.loggingConfiguration ? { loggingConfiguration: structuredClone(machine.loggingConfiguration) } : {}) },
    redriveCount: 0,
    logStream: logStreamName(machine.name, startDate),
    ...(options.mapRunArn ? { mapRunArn: options.mapRunArn } : {}),
  };
  // A duplicate delivery is the same execution again: the first keeps the ARN's entry (backgroundSettled waits for both).
  if (!options.duplicate) executions.set(executionArn, execution);
  const recorder = new Recorder(host, execution);
  recorder.record("ExecutionStarted", { executionStartedEventDetails: { input: inputText, inputDetails: { truncated: false }, roleArn: machine.roleArn } });
  if (!execution.mapRunArn) void executionMetric(host, machine.arn, "ExecutionsStarted");
  launch(host, region, accountId, execution, recorder, input);
  return execution;
}

/**
 * Runs the execution from its start, or (a redrive) from the state it did not complete, after the
 * call that started it returns — as background work (shared/background.ts), so a harness that waits
 * for backgroundSettled waits for every execution too, Map Run children included (a child is
 * started, and counted, before its parent ends).
 */
function launch(host: StatesHost, region: string, accountId: string, execution: Execution, recorder: Recorder, input: Json, from?: { state: string; input: Json }): void {
  let finish!: () => void;
  execution.done = new Promise<void>((resolve) => (finish = resolve));
  afterResponse(() => run(host, region, accountId, execution, recorder, input, from).finally(finish));
}

/** Closes a running execution: its status, and the closing metrics (telemetry.ts) unless it is a Map Run's child. */
function end(host: StatesHost, execution: Execution, status: ExecutionStatus, fields: Partial<Execution>): void {
  if (execution.status !== "RUNNING") return;
  const now = host.runtime.now();
  Object.assign(execution, { status, stopDate: new Date(now), ...fields });
  if (!execution.mapRunArn) void executionMetric(host, execution.stateMachineArn, CLOSING_METRIC[status]!, now - (execution.redriveDate ?? execution.startDate).getTime());
}

async function run(host: StatesHost, region: string, accountId: string, execution: Execution, recorder: Recorder, input: Json, from?: { state: string; input: Json }): Promise<void> {
  const { machine } = execution;
  const context: ContextObject = {
    Execution: { Id: execution.executionArn, Input: input, Name: execution.name, RoleArn: machine.roleArn, StartTime: execution.startDate.toISOString(), RedriveCount: execution.redriveCount },
    StateMachine: { Id: machine.arn, Name: machine.name },
  };
  const interpreter = new Interpreter(
    {
      task: (resource, parameters) => runTask(host, principal(), region, resource, parameters),
      readItems: (reader, parameters, where) => readItems(host, principal(), region, reader, parameters, where),
      startMapRun: (label, config, inputs) => startMapRun(host, machine, region, accountId, execution, label, config, inputs),
      redriveMapRun: (label) => (execution.redriveCount > 0 ? redriveMapRun(host, region, accountId, execution, label) : undefined),
      finishMapRun: (mapRunArn, status) => finishMapRun(host, region, accountId, mapRunArn, status),
      runChild: (mapRunArn, processor, childInput, index) => runChild(host, machine, principal(), region, accountId, mapRunArn, processor, childInput, index),
      writeResults: (mapRunArn, _writer, parameters, outcomes) => writeResults(host, principal(), region, mapRunArn, parameters, outcomes.map((o) => childRecord(host, region, accountId, o))),
      record: (type, details) => recorder.record(type, details),
      sleep: (seconds) => sleep(seconds * 1000 * SANDBOX_WAIT_SCALE),
      random: host.runtime.random,
      now: host.runtime.now,
      get stopped() {
        return execution.stopRequested !== undefined;
      },
    },
    context,
  );
  let session: Principal | undefined;
  const principal = () => (session ??= stateMachineSession(host, machine, region, execution.name));
  try {
    principal();
    const definition = JSON.parse(machine.definition) as StateMachineDefinition;
    const output = await interpreter.run(definition, from ? from.input : input, undefined, from?.state);
    const text = JSON.stringify(output ?? null);
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw new StatesError("States.DataLimitExceeded", `The state/task returned a result with a size exceeding the maximum number of bytes service limit.`);
    if (execution.status !== "RUNNING") return;
    delete execution.failedAt;
    recorder.record("ExecutionSucceeded", { executionSucceededEventDetails: { output: text, outputDetails: { truncated: false } } });
    end(host, execution, "SUCCEEDED", { output: text });
  } catch (err) {
    if (interpreter.position) execution.failedAt = interpreter.position;
    if (execution.status !== "RUNNING") return;
    const e = err instanceof StatesError ? err : new StatesError("States.Runtime", `The sandbox's interpreter failed: ${(err as Error).stack ?? String(err)}`);
    if (e.error === "States.Aborted") return;
    recorder.record("ExecutionFailed", { executionFailedEventDetails: { error: e.error, cause: e.cause } });
    end(host, execution, "FAILED", { error: e.error, cause: e.cause });
  }
}

/**
 * A Map Run (concepts-examine-map-run.html): arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>.
 * The Distributed Map starts its children with StartExecution on its own state machine, which the
 * role must allow ("IAM policies for using Distributed Map states", iam-policies-eg-dist-map.html).
 */
function startMapRun(host: StatesHost, machine: MachineRef, region: string, accountId: string, parent: Execution, label: string, config: MapRunConfig, inputs: Json[]): string {
  const mapRunArn = `arn:aws:states:${region}:${accountId}:mapRun:${machine.name}/${label}:${randomUUID()}`;
  executionsState.at(host.world.accounts.get(accountId)!, region).mapRuns.set(mapRunArn, {
    mapRunArn,
    executionArn: parent.executionArn,
    stateMachineArn: `arn:aws:states:${region}:${accountId}:stateMachine:${machine.name}/${label}`,
    startDate: new Date(host.runtime.now()),
    status: "RUNNING",
    ...config,
    label,
    inputs,
    children: [],
    redriveCount: 0,
  });
  return mapRunArn;
}

/** "You haven't exceeded the hard limit of 1000 redrives of a given Map Run … you'll receive the States.Runtime error" (redrive-map-run.html). */
const MAX_MAP_RUN_REDRIVES = 1000;

/**
 * "Redriving Map Runs" (redrive-map-run.html): a redriven parent "redrives all the unsuccessful
 * states, including Distributed Map … to redrive all the unsuccessful child workflow executions in
 * the Map Run" — the same Map Run (its ARN, its items), its redriveCount and redriveDate set; a Map
 * Run that was never started (the ItemReader failed) is started anew, which the caller does when
 * this finds none.
 */
function redriveMapRun(host: StatesHost, region: string, accountId: string, parent: Execution, label: string): { mapRunArn: string; inputs: Json[]; redriveCount: number } | undefined {
  const runs = [...executionsState.at(host.world.accounts.get(accountId)!, region).mapRuns.values()];
  const run = runs.filter((r) => r.executionArn === parent.executionArn && r.label === label).sort((a, b) => b.startDate.getTime() - a.startDate.getTime())[0];
  if (!run || run.status === "SUCCEEDED" || run.status === "RUNNING") return undefined;
  if (run.redriveCount >= MAX_MAP_RUN_REDRIVES) throw new StatesError("States.Runtime", `The Map Run ${run.mapRunArn} has reached the limit of ${MAX_MAP_RUN_REDRIVES} redrives.`);
  run.redriveCount++;
  run.redriveDate = new Date(host.runtime.now());
  run.status = "RUNNING";
  delete run.stopDate;
  return { mapRunArn: run.mapRunArn, inputs: run.inputs, redriveCount: run.redriveCount };
}

function finishMapRun(host: StatesHost, region: string, accountId: string, mapRunArn: string, status: MapRun["status"]): void {
  const run = executionsState.at(host.world.accounts.get(accountId)!, region).mapRuns.get(mapRunArn);
  if (run && run.status === "RUNNING") Object.assign(run, { status, stopDate: new Date(host.runtime.now()) });
}

/**
 * Item `index` of a Map Run: a new child execution, or in a redriven Map Run the item's earlier
 * child — kept as it is when it SUCCEEDED ("doesn't rerun these steps"), otherwise redriven like a
 * parent (same ARN, from its unsuccessful step; "Child workflow execution redrive behavior",
 * redrive-map-run.html, for STANDARD children, driftguard's ExecutionType). Starting a child needs
 * states:StartExecution on the state machine, redriving one states:RedriveExecution on it ("IAM
 * permissions to redrive a Map Run", same page; iam-policies-eg-dist-map.html).
 */
async function runChild(host: StatesHost, machine: MachineRef, principal: Principal, region: string, accountId: string, mapRunArn: string, processor: StateMachineDefinition, input: Json, index: number): Promise<ChildOutcome> {
  const { executions, mapRuns } = executionsState.at(host.world.accounts.get(accountId)!, region);
  const run = mapRuns.get(mapRunArn)!;
  const earlier = run.children[index] ? executions.get(run.children[index]!) : undefined;
  if (earlier?.status === "SUCCEEDED") return outcomeOf(earlier);
  const action = earlier ? "RedriveExecution" : "StartExecution";
  try {
    await authorize(host.world, { service: stepFunctionsService, action, params: earlier ? { executionArn: earlier.executionArn } : { stateMachineArn: machine.arn }, principal, accountId, region }, { secureTransport: true, now: host.runtime.now() });
  } catch (err) {
    // Not a task error a Catch could handle: the Map Run itself cannot run.
    throw new StatesError("States.Runtime", `The Distributed Map could not ${earlier ? "redrive" : "start"} its child executions: ${(err as Error).message}`);
  }
  if (earlier) {
    if (earlier.status !== "RUNNING") redrive(host, earlier);
    await earlier.done;
    return outcomeOf(earlier);
  }
  const label = mapRunArn.split(":")[6]!;
  const id = randomUUID();
  const child = startExecution(host, { ...machine, definition: JSON.stringify(processor) }, region, accountId, input, { name: id, executionArn: `arn:aws:states:${region}:${accountId}:execution:${label}:${id}`, mapRunArn });
  run.children[index] = child.executionArn;
  await child.done;
  return outcomeOf(child);
}

function outcomeOf(child: Execution): ChildOutcome {
  return { executionArn: child.executionArn, status: child.status as ChildOutcome["status"], ...(child.output !== undefined ? { output: JSON.parse(child.output) as Json } : {}), ...(child.error !== undefined ? { error: child.error, cause: child.cause } : {}) };
}

/** A child execution's record in the ResultWriter's files (input-output-resultwriter.html). */
function childRecord(host: StatesHost, region: string, accountId: string, outcome: ChildOutcome): ChildRecord {
  const child = executionsState.at(host.world.accounts.get(accountId)!, region).executions.get(outcome.executionArn)!;
  return {
    ExecutionArn: child.executionArn,
    Name: child.name,
    StateMachineArn: child.stateMachineArn,
    Status: child.status,
    StartDate: child.startDate.toISOString(),
    StopDate: (child.stopDate ?? child.startDate).toISOString(),
    Input: child.input,
    InputDetails: { Included: true },
    ...(child.output !== undefined ? { Output: child.output, OutputDetails: { Included: true } } : {}),
    ...(child.error !== undefined ? { Error: child.error, Cause: child.cause } : {}),
    RedriveCount: child.redriveCount,
  };
}

// ---- API handlers -------------------------------------------------------------------------

/**
 * API_StartExecution.html: name optional (a UUID), unique per state machine ("ExecutionAlreadyExists"
 * unless the running one has the same input, which is idempotent for STANDARD workflows); input a
 * JSON text of at most 256 KiB ("InvalidExecutionInput").
 */
export function startExecutionHandler(machineOf: (ctx: CallContext, arn: string | undefined) => MachineRef, params: { stateMachineArn?: string; name?: string; input?: string }, ctx: CallContext, sync = false) {
  const machine = machineOf(ctx, params.stateMachineArn);
  const text = params.input ?? "{}";
  let input: Json;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new AwsError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${(err as Error).message}'`);
  }
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw new AwsError("InvalidExecutionInput", "Invalid State Machine Execution Input: 'the input exceeds 262144 bytes'");
  if (params.name !== undefined && (params.name.length < 1 || params.name.length > 80 || NAME_FORBIDDEN.test(params.name))) throw new AwsError("InvalidName", `Invalid Name: '${params.name}'`);
  const arn = `arn:aws:states:${ctx.region}:${ctx.accountId}:execution:${machine.name}:${params.name ?? ""}`;
  // Names are unique per STANDARD machine; EXPRESS executions are not tracked by name (API_StartExecution.html, name).
  const existing = params.name && machine.type !== "EXPRESS" ? executionsState.of(ctx).executions.get(arn) : undefined;
  if (existing) {
    if (existing.status === "RUNNING" && existing.input === JSON.stringify(input)) return { executionArn: existing.executionArn, startDate: existing.startDate };
    throw new AwsError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
  }
  const host = { world: ctx.world, runtime: ctx.sandbox };
  const execution = startExecution(host, machine, ctx.region, ctx.accountId, input, { name: params.name });
  // At-least-once, when the scenario asks for it: the same execution delivered a second time.
  if (machine.type === "EXPRESS" && !sync && ctx.sandbox.duplicateExpressExecutions) startExecution(host, machine, ctx.region, ctx.accountId, input, { name: execution.name, executionArn: execution.executionArn, duplicate: true });
  return { executionArn: execution.executionArn, startDate: execution.startDate };
}

/** API_DescribeExecution.html. */
export function describeExecution(params: { executionArn?: string }, ctx: CallContext) {
  const e = executionOf(ctx, params.executionArn);
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.stopDate ? { stopDate: e.stopDate } : {}),
    input: e.input,
    inputDetails: { included: true },
    ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
    ...(e.mapRunArn ? { mapRunArn: e.mapRunArn } : {}),
    redriveCount: e.redriveCount,
    ...(e.redriveDate ? { redriveDate: e.redriveDate } : {}),
    ...redrivability(e, ctx),
  };
}

/** API_GetExecutionHistory.html: oldest first unless reverseOrder; up to 1000 events a page (default 100); includeExecutionData false drops inputs and outputs. */
export function getExecutionHistory(params: { executionArn?: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean }, ctx: CallContext) {
  const e = executionOf(ctx, params.executionArn);
  const events = params.reverseOrder ? [...e.history].reverse() : e.history;
  const page = paginate(events, params.nextToken, params.maxResults || 100, () => new AwsError("InvalidToken", "Invalid Token"));
  const strip = params.includeExecutionData === false;
  return {
    events: page.items.map((ev) => (strip ? JSON.parse(JSON.stringify(ev, (k: string, v: unknown) => (k === "input" || k === "output" ? undefined : v)), (k: string, v: unknown) => (k === "timestamp" ? new Date(v as string) : v)) : ev)),
    ...(page.next ? { nextToken: page.next } : {}),
  };
}

/** API_ListExecutions.html: by state machine or by map run (one of the two), newest first, statusFilter. */
export function listExecutions(machineOf: (ctx: CallContext, arn: string | undefined) => MachineRef, params: { stateMachineArn?: string; mapRunArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string }, ctx: CallContext) {
  if ((params.stateMachineArn === undefined) === (params.mapRunArn === undefined)) throw new AwsError("ValidationException", "Exactly one of stateMachineArn or mapRunArn must be specified");
  const machine = params.stateMachineArn ? machineOf(ctx, params.stateMachineArn) : undefined;
  // API_ListExecutions.html: "This API action is not supported by EXPRESS state machines."
  if (machine?.type === "EXPRESS") throw new AwsError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
  const machineArn = machine?.arn;
  const all = [...executionsState.of(ctx).executions.values()]
    .filter((e) => (machineArn ? e.stateMachineArn === machineArn && !e.mapRunArn : e.mapRunArn === params.mapRunArn))
    .filter((e) => !params.statusFilter || e.status === params.statusFilter)
    .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  const page = paginate(all, params.nextToken, params.maxResults || 100, () => new AwsError("InvalidToken", "Invalid Token"));
  return {
    executions: page.items.map((e) => ({ executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate, ...(e.stopDate ? { stopDate: e.stopDate } : {}), ...(e.mapRunArn ? { mapRunArn: e.mapRunArn } : {}) })),
    ...(page.next ? { nextToken: page.next } : {}),
  };
}

/** API_StopExecution.html: a running execution becomes ABORTED with the given error and cause; stopping a finished one changes nothing. */
/** The two redrive fields of DescribeExecution (redriveStatus, redriveStatusReason with the wording API_DescribeExecution.html lists). */
function redrivability(e: Execution, ctx: CallContext): { redriveStatus: "REDRIVABLE" | "NOT_REDRIVABLE"; redriveStatusReason?: string } {
  const reason = notRedrivable(e, ctx.sandbox.now());
  return reason ? { redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: reason } : { redriveStatus: "REDRIVABLE" };
}

/** API_RedriveExecution.html: "didn't complete successfully in the last 14 days"; started no more than a year ago (the maximum execution time). */
const REDRIVE_WINDOW_MS = 14 * 86_400_000;
const MAX_EXECUTION_MS = 365 * 86_400_000;
/** Service quotas: 25,000 events in an execution's history. */
const MAX_HISTORY_EVENTS = 25_000;

function notRedrivable(e: Execution, now: number): string | undefined {
  if (e.status === "RUNNING") return "Execution is RUNNING and cannot be redriven.";
  if (e.status === "SUCCEEDED") return "Execution is SUCCEEDED and cannot be redriven.";
  if (e.mapRunArn) return "Execution is a child of a Map Run: redrive the parent execution.";
  if (now - (e.stopDate ?? e.startDate).getTime() > REDRIVE_WINDOW_MS) return "Execution redrivable period exceeded.";
  if (now - e.startDate.getTime() > MAX_EXECUTION_MS) return "Execution has exceeded the max execution time.";
  if (e.history.length >= MAX_HISTORY_EVENTS) return "Execution history event limit exceeded.";
  return undefined;
}

/**
 * API_RedriveExecution.html: a FAILED, ABORTED or TIMED_OUT STANDARD execution continues "from the
 * unsuccessful step and uses the same input … Step Functions preserves the results and execution
 * history of the successful steps, and doesn't rerun these steps"; same ARN and definition;
 * ExecutionNotRedrivable otherwise ("This API action is not supported by EXPRESS state machines").
 * The history gains ExecutionRedriven (redriveCount) and $$.Execution.RedriveCount counts it.
 * A Distributed Map that did not complete redrives its Map Run: only the items whose child
 * execution did not succeed run again (redriveMapRun, runChild). An inline Map is re-run whole
 * (AWS reschedules only its failed iterations; driftguard's definition has no inline Map).
 */
export function redriveExecution(params: { executionArn?: string; clientToken?: string }, ctx: CallContext) {
  const e = executionOf(ctx, params.executionArn);
  const reason = notRedrivable(e, ctx.sandbox.now());
  if (reason) throw new AwsError("ExecutionNotRedrivable", `Execution cannot be redriven: ${reason}`);
  redrive({ world: ctx.world, runtime: ctx.sandbox }, e);
  return { redriveDate: e.redriveDate };
}

/** Runs an unsuccessful execution again from the step it did not complete (a parent, or a Map Run's child). */
function redrive(host: StatesHost, e: Execution): void {
  e.redriveCount++;
  e.redriveDate = new Date(host.runtime.now());
  e.status = "RUNNING";
  for (const field of ["stopDate", "error", "cause", "output", "stopRequested"] as const) delete e[field];
  const recorder = new Recorder(host, e);
  recorder.record("ExecutionRedriven", { executionRedrivenEventDetails: { redriveCount: e.redriveCount } });
  if (!e.mapRunArn) void executionMetric(host, e.stateMachineArn, "ExecutionsRedriven");
  const [, , , region, accountId] = e.executionArn.split(":");
  launch(host, region!, accountId!, e, recorder, JSON.parse(e.input) as Json, e.failedAt);
}

/** API_ListMapRuns.html: the Map Runs an execution started, newest first. */
export function listMapRuns(params: { executionArn?: string; maxResults?: number; nextToken?: string }, ctx: CallContext) {
  const e = executionOf(ctx, params.executionArn);
  const runs = [...executionsState.of(ctx).mapRuns.values()].filter((r) => r.executionArn === e.executionArn).sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  const page = paginate(runs, params.nextToken, params.maxResults || 100, () => new AwsError("InvalidToken", "Invalid Token"));
  return {
    mapRuns: page.items.map((r) => ({ executionArn: r.executionArn, mapRunArn: r.mapRunArn, stateMachineArn: r.stateMachineArn, startDate: r.startDate, ...(r.stopDate ? { stopDate: r.stopDate } : {}) })),
    ...(page.next ? { nextToken: page.next } : {}),
  };
}

/**
 * API_DescribeMapRun.html: status, the configuration it ran with, and itemCounts / executionCounts
 * (pending, running, succeeded, failed, timedOut, aborted, total, resultsWritten), counted from its
 * child executions — one per item here, so both counts agree.
 */
export function describeMapRun(params: { mapRunArn?: string }, ctx: CallContext) {
  const arn = required(params.mapRunArn, () => new AwsError("InvalidArn", `Invalid Arn: '${String(params.mapRunArn)}'`));
  if (!ARN.test(arn) || ARN.exec(arn)![3] !== "mapRun") throw new AwsError("InvalidArn", `Invalid Arn: '${arn}'`);
  const run = executionsState.of(ctx).mapRuns.get(arn);
  if (!run) throw new AwsError("ResourceNotFound", `Map Run Does Not Exist: '${arn}'`);
  const children = [...executionsState.of(ctx).executions.values()].filter((c) => c.mapRunArn === arn);
  const count = (status: ExecutionStatus) => children.filter((c) => c.status === status).length;
  const finished = children.filter((c) => c.status !== "RUNNING").length;
  const counts = {
    pending: 0,
    running: count("RUNNING"),
    succeeded: count("SUCCEEDED"),
    failed: count("FAILED"),
    timedOut: count("TIMED_OUT"),
    aborted: count("ABORTED"),
    total: children.length,
    resultsWritten: run.status === "RUNNING" ? 0 : finished,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
  };
  return {
    mapRunArn: run.mapRunArn,
    executionArn: run.executionArn,
    status: run.status,
    startDate: run.startDate,
    ...(run.stopDate ? { stopDate: run.stopDate } : {}),
    maxConcurrency: run.maxConcurrency,
    toleratedFailurePercentage: run.toleratedFailurePercentage,
    toleratedFailureCount: run.toleratedFailureCount,
    itemCounts: counts,
    executionCounts: counts,
    redriveCount: run.redriveCount,
    ...(run.redriveDate ? { redriveDate: run.redriveDate } : {}),
  };
}

/**
 * API_StartSyncExecution.html: EXPRESS only ("StateMachineTypeNotSupported" for a STANDARD machine);
 * runs to its end and answers with its outcome in the call's response (status SUCCEEDED, FAILED
 * or TIMED_OUT), which is the only record an EXPRESS execution leaves besides its logs and metrics.
 */
export async function startSyncExecution(machineOf: (ctx: CallContext, arn: string | undefined) => MachineRef, params: { stateMachineArn?: string; name?: string; input?: string }, ctx: CallContext) {
  const machine = machineOf(ctx, params.stateMachineArn);
  if (machine.type !== "EXPRESS") throw new AwsError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
  const { executionArn } = startExecutionHandler(machineOf, params, ctx, true);
  const e = executionsState.of(ctx).executions.get(executionArn)!;
  await e.done;
  // An EXPRESS execution is not kept for the history and describe APIs.
  executionsState.of(ctx).executions.delete(executionArn);
  const billedMs = Math.max(100, Math.ceil(((e.stopDate ?? e.startDate).getTime() - e.startDate.getTime()) / 100) * 100);
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    startDate: e.startDate,
    stopDate: e.stopDate,
    status: e.status,
    ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
    input: e.input,
    inputDetails: { included: true },
    ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    // "billedDurationInMilliseconds … rounded up to the nearest 100 ms", billedMemoryUsedInMB 64 (its minimum).
    billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: billedMs },
  };
}

export function stopExecution(params: { executionArn?: string; error?: string; cause?: string }, ctx: CallContext) {
  const e = executionOf(ctx, params.executionArn);
  if (e.status === "RUNNING") {
    e.stopRequested = { error: params.error, cause: params.cause };
    new Recorder({ world: ctx.world, runtime: ctx.sandbox }, e).record("ExecutionAborted", { executionAbortedEventDetails: { ...(params.error ? { error: params.error } : {}), ...(params.cause ? { cause: params.cause } : {}) } });
    end({ world: ctx.world, runtime: ctx.sandbox }, e, "ABORTED", { ...(params.error ? { error: params.error } : {}), ...(params.cause ? { cause: params.cause } : {}) });
    // The children of its Map Runs stop with it.
    for (const child of executionsState.of(ctx).executions.values()) {
      const run = child.mapRunArn ? executionsState.of(ctx).mapRuns.get(child.mapRunArn) : undefined;
      if (run?.executionArn === e.executionArn && child.status === "RUNNING") stopExecution({ executionArn: child.executionArn }, ctx);
    }
  }
  return { stopDate: e.stopDate ?? new Date(ctx.sandbox.now()) };
}
