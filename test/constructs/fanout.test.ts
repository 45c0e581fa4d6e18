import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import { fanoutDefinition } from "../../modules/fanout-state-machine.js";
import { runKeys } from "../../functions/aws/bucket-layout.js";
import { exampleConfig } from "../support/config.js";
import { synthHub, type PolicyStatement } from "./synth.js";

const fanout = synthHub(exampleConfig({ hub: { execution: "fanout", fanout: { maxConcurrency: 40 }, schedule: "rate(12 hours)" } }));
const { synth } = fanout;

type State = Record<string, unknown> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

const machine = synth.only("aws_sfn_state_machine");
const definition = JSON.parse(machine.definition as string) as Definition;
const fnArn = synth.ref("aws_lambda_function", synth.only("aws_lambda_function"), "arn");
const bucket = synth.only("aws_s3_bucket");
const bucketName = synth.ref("aws_s3_bucket", bucket, "bucket");
const bucketArn = synth.ref("aws_s3_bucket", bucket, "arn");
const roles = synth.resources("aws_iam_role");
const roleNamed = (name: string) => Object.values(roles).find((r) => r.name === name)!;
const policyOf = (role: Record<string, unknown>) =>
  synth.policy(Object.values(synth.resources("aws_iam_role_policy")).find((p) => p.role === synth.ref("aws_iam_role", role, "id"))!.policy);
const statementWith = (statements: PolicyStatement[], action: string) => statements.filter((s) => s.actions?.includes(action));

/** A JSONPath of the form $.a.b (all this definition uses), read as Step Functions does: absent is an error. */
function readPath(state: unknown, path: string): unknown {
  if (!path.startsWith("$.")) throw new Error(`not a $. path: ${path}`);
  return path.slice(2).split(".").reduce<unknown>((value, key) => {
    if (typeof value !== "object" || value === null || !(key in value)) throw new Error(`States.Runtime: ${path} is absent`);
    return (value as Record<string, unknown>)[key];
  }, state);
}

function applySelector(selector: Record<string, string>, input: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(selector).map(([key, path]) => [key.replace(/\.\$$/, ""), readPath(input, path)]));
}

/** A JSONPath Choice with IsPresent rules only (the rules this definition uses). */
function nextOf(choice: State, input: unknown): string {
  for (const rule of choice.Choices as { Variable: string; IsPresent: boolean; Next: string }[]) {
    let present = true;
    try {
      readPath(input, rule.Variable);
    } catch {
      present = false;
    }
    if (present === rule.IsPresent) return rule.Next;
  }
  return choice.Default as string;
}

describe("FanoutStateMachine definition", () => {
  const { Plan: plan, "Scan accounts": map, Reduce: reduce } = definition.States;
  const processor = (map!.ItemProcessor as { ProcessorConfig: unknown; StartAt: string; States: Record<string, State> });
  const worker = processor.States["Scan account"]!;

  it("plans, maps the scanner over the accounts, then reduces", () => {
    expect(definition.StartAt).toBe("Plan");
    expect(plan).toMatchObject({ Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Next: "Lease taken?" });
    expect(plan!.Parameters).toEqual({ FunctionName: fnArn, Payload: { fanout: "plan", "input.$": "$", execution: { "name.$": "$$.Execution.Name", "startTime.$": "$$.Execution.StartTime" } } });
    expect(definition.States["Lease taken?"]).toMatchObject({ Type: "Choice", Default: "Scan accounts" });
    expect(map).toMatchObject({ Type: "Map", Next: "Reduce", ResultPath: null });
    expect(reduce).toMatchObject({ Type: "Task", End: true, Parameters: { FunctionName: fnArn, Payload: { fanout: "reduce", "runId.$": "$.runId" } } });
  });

  it("ends a run whose Plan found the lease held in a Succeed state, not a failed execution; a planned run goes on to the Map", () => {
    // The Plan step's result as Step Functions builds it: the ResultSelector applied to the
    // Lambda integration's output ({Payload: <the handler's answer>}), with the real answers.
    const select = (payload: Record<string, unknown>) => applySelector(plan!.ResultSelector as Record<string, string>, { Payload: payload });
    const skip = { runId: "20260102T030405Z-a1b2c3", skipped: "another run in progress (run 20260102T030000Z-000001, …)", holder: { runId: "20260102T030000Z-000001" } };
    const skippedState = select(skip);
    expect(nextOf(definition.States["Lease taken?"]!, skippedState)).toBe("Skipped");
    expect(definition.States.Skipped).toEqual({ Type: "Succeed", OutputPath: "$.plan" });

    const planned = select({ runId: "20260102T030405Z-a1b2c3", itemsKey: runKeys("20260102T030405Z-a1b2c3").items, workers: 3 });
    expect(nextOf(definition.States["Lease taken?"]!, planned)).toBe("Scan accounts");
    // What the Map and the Reduce read from the state exists in it.
    expect(readPath(planned, (map!.ItemReader as { Parameters: Record<string, string> }).Parameters["Key.$"]!)).toBe(runKeys("20260102T030405Z-a1b2c3").items);
    expect(readPath(planned, (reduce!.Parameters as { Payload: Record<string, string> }).Payload["runId.$"]!)).toBe("20260102T030405Z-a1b2c3");
  });

  it("is valid Amazon States Language (asl-validator: the ASL JSON schemas and path syntax)", () => {
    // Concrete ARNs: the synthesized definition carries terraform references where ARNs go.
    const concrete = fanoutDefinition({
      partition: "aws",
      functionArn: "arn:aws:lambda:us-east-1:111111111111:function:driftguard-scanner",
      bucket: "driftguard-reports-111111111111-us-east-1",
      maxConcurrency: 40,
      workerTimeoutSeconds: 900,
      topicArn: "arn:aws:sns:us-east-1:111111111111:driftguard-notifications",
    });
    const { isValid, errorsText } = aslValidator(concrete);
    expect(errorsText("\n")).toBe("");
    expect(isValid).toBe(true);
    // The validator can fail: a Choice without a rule is not ASL.
    expect(aslValidator({ ...concrete, States: { ...(concrete.States as object), "Lease taken?": { Type: "Choice", Choices: [], Default: "Scan accounts" } } }).isValid).toBe(false);
  });

  it("is a Distributed Map over the planner's items.json, with the configured concurrency", () => {
    expect(processor.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    expect(map!.MaxConcurrency).toBe(40);
    expect(map!.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "JSON" },
      Parameters: { Bucket: bucketName, "Key.$": "$.plan.itemsKey" },
    });
    // The Map's results go to S3 and are dropped from the state: payloads stay small at any size.
    expect(map!.ResultWriter).toMatchObject({ Resource: "arn:aws:states:::s3:putObject", Parameters: { Bucket: bucketName } });
    expect(map!.ToleratedFailurePercentage).toBe(100);
  });

  it("invokes the scanner with the work item, retries Lambda throttling with backoff, and catches every failure", () => {
    expect(worker).toMatchObject({ Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: fnArn, "Payload.$": "$" }, End: true });
    const retry = (worker.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[])[0]!;
    expect(retry.ErrorEquals).toEqual(expect.arrayContaining(["Lambda.TooManyRequestsException", "Lambda.ServiceException"]));
    expect(retry.BackoffRate).toBeGreaterThan(1);
    expect(worker.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Record failure" }]);
    expect(worker.TimeoutSeconds).toBe(900 + 60);
  });

  it("catches a failed Plan or Reduce: a failure record, an SNS message, then a failed execution the alarm counts", () => {
    const topicArn = synth.ref("aws_sns_topic", synth.only("aws_sns_topic"), "arn");
    for (const step of ["Plan", "Reduce"] as const) {
      const state = definition.States[step]!;
      expect(state.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: `Record ${step} failure` }]);
      const record = definition.States[`Record ${step} failure`]!;
      expect(record).toMatchObject({ Type: "Task", Resource: "arn:aws:states:::aws-sdk:s3:putObject", Next: `Notify ${step} failure` });
      expect((record.Parameters as Record<string, string>)["Key.$"]).toBe("States.Format('runs/failed/{}.json', $$.Execution.Name)");
      // The message is sent even when the record cannot be written.
      expect(record.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.recordFailure", Next: `Notify ${step} failure` }]);
      const notify = definition.States[`Notify ${step} failure`]!;
      expect(notify).toMatchObject({ Type: "Task", Resource: "arn:aws:states:::sns:publish", Next: `${step} failed` });
      const params = notify.Parameters as Record<string, string>;
      expect(params.TopicArn).toBe(topicArn);
      expect(params.Subject).toMatch(/^[\x20-\x7E]{1,99}$/);
      // Each {} of States.Format takes the next argument: as many placeholders as arguments.
      const format = /^States\.Format\('([^']+)', (.+)\)$/.exec(params["Message.$"]!)!;
      expect(format[1]!.split("{}").length - 1).toBe(format[2]!.split(", ").length);
      expect(definition.States[`${step} failed`]).toMatchObject({ Type: "Fail" });
    }
    // Every Next names a state that exists.
    for (const [name, state] of Object.entries(definition.States)) {
      const nexts = [state.Next, state.Default, ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next), ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next)].filter((n) => n !== undefined);
      for (const next of nexts) expect(definition.States, `${name} -> ${String(next)}`).toHaveProperty([String(next)]);
    }
    const statesPolicy = policyOf(roleNamed("driftguard-scan-states"));
    expect(statementWith(statesPolicy, "sns:Publish")).toEqual([{ sid: "AnnounceRunFailure", actions: ["sns:Publish"], resources: [topicArn] }]);
  });

  it("records a failed worker where the reducer looks for it", () => {
    const record = processor.States["Record failure"]!;
    expect(record).toMatchObject({ Type: "Task", Resource: "arn:aws:states:::aws-sdk:s3:putObject", End: true });
    const params = record.Parameters as Record<string, string>;
    expect(params.Bucket).toBe(bucketName);
    expect(params["Body.$"]).toBe("$.failure");
    // Evaluate the States.Format the way Step Functions does: each {} takes the next argument.
    const match = /^States\.Format\('([^']+)', \$\.runId, \$\.accountId\)$/.exec(params["Key.$"]!);
    expect(match).not.toBeNull();
    const run = "20260102T030405Z-a1b2c3";
    expect(match![1]!.replace("{}", run).replace("{}", "222222222222")).toBe(runKeys(run).failure("222222222222"));
  });
});

describe("FanoutStateMachine permissions", () => {
  const role = roleNamed("driftguard-scan-states");
  const statements = policyOf(role);

  it("is a standard state machine with its own role, logging errors", () => {
    expect(machine).toMatchObject({ name: "driftguard-scan", type: "STANDARD", role_arn: synth.ref("aws_iam_role", role, "arn") });
    expect(machine.logging_configuration).toMatchObject({ level: "ERROR", include_execution_data: false });
    expect(synth.policy(role.assume_role_policy)).toEqual([
      { effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["states.amazonaws.com"] }] },
    ]);
  });

  it("may invoke the scanner function and nothing else", () => {
    expect(statementWith(statements, "lambda:InvokeFunction")).toEqual([{ sid: "InvokeScanner", actions: ["lambda:InvokeFunction"], resources: [fnArn, `${fnArn}:*`] }]);
  });

  it("may run its own Map children, and touch the bucket's runs/ prefix only", () => {
    expect(statementWith(statements, "states:StartExecution")[0]!.resources).toEqual(["arn:aws:states:us-east-1:111111111111:stateMachine:driftguard-scan"]);
    for (const action of ["s3:GetObject", "s3:PutObject"]) expect(statementWith(statements, action)[0]!.resources).toEqual([`${bucketArn}/runs/*`]);
    const wildcard = statements.filter((s) => s.resources?.includes("*"));
    expect(wildcard.map((s) => s.sid)).toEqual(["DeliverLogs"]);
    expect(wildcard[0]!.actions!.every((a) => a.startsWith("logs:"))).toBe(true);
  });
});

describe("schedule with hub.execution fanout", () => {
  it("starts the state machine instead of invoking the Lambda", () => {
    const rules = Object.values(synth.resources("aws_cloudwatch_event_rule"));
    const schedule = rules.find((r) => r.schedule_expression !== undefined)!;
    expect(schedule).toMatchObject({ name: "driftguard-schedule", schedule_expression: "rate(12 hours)" });
    const targets = Object.values(synth.resources("aws_cloudwatch_event_target")).filter((t) => t.rule === synth.ref("aws_cloudwatch_event_rule", schedule, "name"));
    const scheduleRole = roleNamed("driftguard-scan-schedule");
    expect(targets).toEqual([
      expect.objectContaining({
        arn: synth.ref("aws_sfn_state_machine", machine, "arn"),
        role_arn: synth.ref("aws_iam_role", scheduleRole, "arn"),
        input: JSON.stringify({ trigger: "schedule" }),
      }),
    ]);
    expect(policyOf(scheduleRole)).toEqual([{ sid: "StartScan", actions: ["states:StartExecution"], resources: [synth.ref("aws_sfn_state_machine", machine, "arn")] }]);
    // The only Lambda permission left is the change-event bus's.
    const permissions = Object.values(synth.resources("aws_lambda_permission"));
    expect(permissions.map((p) => p.source_arn)).not.toContain(synth.ref("aws_cloudwatch_event_rule", schedule, "arn"));
  });

  it("is absent with hub.execution single", () => {
    const { synth: single } = synthHub(exampleConfig());
    expect(single.resources("aws_sfn_state_machine")).toEqual({});
  });
});
