import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintRoleSession } from "../../../sandbox/emulator/services/iam/principals.js";
import type { Principal } from "../../../sandbox/emulator/state.js";
import { startBareSandbox, type BareSandbox } from "../../../sandbox/harness/server.js";
import { BASE_SCENARIO, HUB, TEST_CONFIG } from "../../support/sandbox.js";

/**
 * Step Functions executions in the bare sandbox, driven through the emulated APIs (in-process
 * dispatch, IAM evaluated for role sessions): small ASL definitions exercising each construct
 * the interpreter runs (Pass, Choice, Task → Lambda with the $$ context, Retry/Catch/Fail,
 * Distributed Map with an S3 ItemReader, ResultWriter and tolerated failures, StopExecution),
 * the role checks of CreateStateMachine (trust, iam:PassRole) and the execution's calls made as
 * its role. Expected values come from the Amazon States Language spec and the Step Functions
 * API Reference pages cited in sandbox/emulator/services/stepfunctions/. Also KMS alias
 * authorization on the key (alias-access.html). One sandbox for the file.
 */

const REGION = "us-east-1";
const BUCKET = "sfn-test-111111111111";
const FN = `arn:aws:lambda:${REGION}:${HUB}:function:worker`;
let sandbox: BareSandbox;

const call = <T = Record<string, unknown>>(action: string, params: unknown, principal?: Principal, service = "states") => sandbox.dispatch(HUB, REGION, service, action, params, principal) as Promise<T>;
const trust = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
const policy = (...statements: { Action: string | string[]; Resource: string | string[] }[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow", ...s })) });

async function role(name: string, service: string, document?: string): Promise<string> {
  await call("CreateRole", { RoleName: name, AssumeRolePolicyDocument: trust(service) }, undefined, "iam");
  if (document) await call("PutRolePolicy", { RoleName: name, PolicyName: "p", PolicyDocument: document }, undefined, "iam");
  return `arn:aws:iam::${HUB}:role/${name}`;
}

/** A session of a role with `document` as its only policy, as a person signed in with it. */
async function session(name: string, document: string): Promise<Principal> {
  const trustAccount = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: "sts:AssumeRole" }] });
  await call("CreateRole", { RoleName: name, AssumeRolePolicyDocument: trustAccount }, undefined, "iam");
  await call("PutRolePolicy", { RoleName: name, PolicyName: "p", PolicyDocument: document }, undefined, "iam");
  return mintRoleSession(sandbox.world, sandbox.runtime.random, HUB, sandbox.world.accounts.get(HUB)!.roles.get(name)!, "person", { issuedAt: sandbox.runtime.now() });
}

async function machine(name: string, definition: object, roleArn = `arn:aws:iam::${HUB}:role/sfn`): Promise<string> {
  const out = await call<{ stateMachineArn: string }>("CreateStateMachine", { name, definition: JSON.stringify(definition), roleArn });
  return out.stateMachineArn;
}

interface Described {
  status: string;
  output?: string;
  error?: string;
  cause?: string;
  name: string;
  startDate: Date;
}

async function runToEnd(stateMachineArn: string, input: object, name?: string): Promise<{ arn: string; described: Described; history: { type: string; [k: string]: unknown }[] }> {
  const { executionArn } = await call<{ executionArn: string }>("StartExecution", { stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) });
  let described = await call<Described>("DescribeExecution", { executionArn });
  // Up to 30 s: on the shared 2-core machine at load 30 a Distributed Map of four children took over 5 s.
  for (let i = 0; described.status === "RUNNING" && i < 3000; i++) {
    await new Promise((r) => setTimeout(r, 10));
    described = await call<Described>("DescribeExecution", { executionArn });
  }
  const { events } = await call<{ events: { type: string }[] }>("GetExecutionHistory", { executionArn, maxResults: 1000 });
  return { arn: executionArn, described, history: events };
}

const WORKER = `
export const handler = async (event) => {
  if (event.fail) { const e = new Error("boom " + event.id); e.name = "WorkerError"; throw e; }
  return { doubled: (event.n ?? 0) * 2, seen: event };
};`;

beforeAll(async () => {
  sandbox = await startBareSandbox({ config: TEST_CONFIG, scenario: { ...BASE_SCENARIO, accounts: [{ id: HUB, name: "hub" }, ...(BASE_SCENARIO.accounts ?? [])] } });
  await role("fn", "lambda.amazonaws.com");
  await call("CreateFunction", { FunctionName: "worker", Role: `arn:aws:iam::${HUB}:role/fn`, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: Buffer.from(zipSync({ "index.mjs": strToU8(WORKER) })) } }, undefined, "lambda");
  await call("CreateBucket", { Bucket: BUCKET }, undefined, "s3");
  await call("CreateTopic", { Name: "runs" }, undefined, "sns");
  await role(
    "sfn",
    "states.amazonaws.com",
    policy(
      { Action: "lambda:InvokeFunction", Resource: FN },
      { Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::${BUCKET}/*` },
      { Action: "states:StartExecution", Resource: `arn:aws:states:${REGION}:${HUB}:stateMachine:*` },
      { Action: "sns:Publish", Resource: `arn:aws:sns:${REGION}:${HUB}:runs` },
    ),
  );
});

afterAll(() => sandbox?.close());

describe("Step Functions executions (ASL interpreter)", () => {
  it("runs Pass, Choice, Task → Lambda with Parameters from the $$ context, ResultSelector, ResultPath and OutputPath, and records the history", async () => {
    const arn = await machine("basic", {
      StartAt: "Seed",
      States: {
        Seed: { Type: "Pass", Result: { n: 21 }, ResultPath: "$.seed", Next: "Big?" },
        "Big?": { Type: "Choice", Choices: [{ And: [{ Variable: "$.seed.n", NumericGreaterThan: 20 }, { Variable: "$.missing", IsPresent: false }], Next: "Double" }], Default: "Small" },
        Small: { Type: "Fail", Error: "Small" },
        Double: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: FN, Payload: { "n.$": "$.seed.n", "execution.$": "$$.Execution.Name", "started.$": "$$.Execution.StartTime", "label.$": "States.Format('run {} of {}', $$.Execution.Name, $.who)" } },
          ResultSelector: { "doubled.$": "$.Payload.doubled", "status.$": "$.StatusCode", "seen.$": "$.Payload.seen" },
          ResultPath: "$.result",
          Next: "Done",
        },
        Done: { Type: "Succeed", OutputPath: "$.result" },
      },
    });
    const { described, history } = await runToEnd(arn, { who: "tests" }, "first-run");
    expect(described.status).toBe("SUCCEEDED");
    const output = JSON.parse(described.output!);
    expect(output.doubled).toBe(42);
    expect(output.status).toBe(200);
    expect(output.seen.execution).toBe("first-run");
    expect(output.seen.started).toBe(described.startDate.toISOString());
    expect(output.seen.label).toBe("run first-run of tests");
    expect(history.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "PassStateEntered",
      "PassStateExited",
      "ChoiceStateEntered",
      "ChoiceStateExited",
      "TaskStateEntered",
      "TaskScheduled",
      "TaskStarted",
      "TaskSucceeded",
      "TaskStateExited",
      "SucceedStateEntered",
      "SucceedStateExited",
      "ExecutionSucceeded",
    ]);
    const scheduled = history.find((e) => e.type === "TaskScheduled") as unknown as { taskScheduledEventDetails: { resourceType: string; resource: string; parameters: string } };
    expect(scheduled.taskScheduledEventDetails).toMatchObject({ resourceType: "lambda", resource: "invoke" });
    expect(JSON.parse(scheduled.taskScheduledEventDetails.parameters).Payload.n).toBe(21);
    // API_StartExecution.html: a name is unique per state machine.
    await expect(call("StartExecution", { stateMachineArn: arn, name: "first-run", input: "{}" })).rejects.toMatchObject({ code: "ExecutionAlreadyExists" });
  });

  it("retries a failing task (each attempt in the history), then its Catch places {Error, Cause} and the Fail state fails the execution", async () => {
    const arn = await machine("retry-catch", {
      StartAt: "Work",
      States: {
        Work: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: FN, "Payload.$": "$" },
          Retry: [{ ErrorEquals: ["Lambda.ServiceException"], MaxAttempts: 5 }, { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
          Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Give up" }],
          End: true,
        },
        "Give up": { Type: "Fail", ErrorPath: "$.failure.Error", CausePath: "$.failure.Cause" },
      },
    });
    const { described, history } = await runToEnd(arn, { fail: true, id: 7 });
    expect(history.filter((e) => e.type === "TaskFailed")).toHaveLength(3);
    expect(described.status).toBe("FAILED");
    expect(described.error).toBe("WorkerError");
    expect(JSON.parse(described.cause!)).toMatchObject({ errorType: "WorkerError", errorMessage: "boom 7" });
    expect(history.at(-1)).toMatchObject({ type: "ExecutionFailed", executionFailedEventDetails: { error: "WorkerError" } });
  });

  it("runs a Distributed Map over an S3 JSON item list as child executions, tolerates the failures it may, and exports the results with ResultWriter", async () => {
    const items = [{ n: 1 }, { n: 2 }, { fail: true, id: "three" }, { n: 4 }];
    await call("PutObject", { Bucket: BUCKET, Key: "in/items.json", Body: JSON.stringify(items) }, undefined, "s3");
    const definition = (tolerated: number) => ({
      StartAt: "Each",
      States: {
        Each: {
          Type: "Map",
          Label: "Each",
          ItemReader: { Resource: "arn:aws:states:::s3:getObject", ReaderConfig: { InputType: "JSON" }, Parameters: { Bucket: BUCKET, "Key.$": "$.key" } },
          ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" }, StartAt: "Work", States: { Work: { Type: "Task", Resource: FN, End: true } } },
          MaxConcurrency: 2,
          ToleratedFailurePercentage: tolerated,
          ResultWriter: { Resource: "arn:aws:states:::s3:putObject", Parameters: { Bucket: BUCKET, Prefix: "out" } },
          ResultPath: "$.map",
          End: true,
        },
      },
    });
    const tolerant = await runToEnd(await machine("fanout", definition(25)), { key: "in/items.json" });
    expect(tolerant.described.status).toBe("SUCCEEDED");
    const { map } = JSON.parse(tolerant.described.output!) as { map: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } };
    expect(map.MapRunArn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${HUB}:mapRun:fanout/Each:[0-9a-f-]{36}$`));
    const id = map.MapRunArn.split(":").pop();
    expect(map.ResultWriterDetails).toEqual({ Bucket: BUCKET, Key: `out/${id}/manifest.json` });
    const read = async (key: string) => JSON.parse(Buffer.from(((await call("GetObject", { Bucket: BUCKET, Key: key }, undefined, "s3")) as { Body: Uint8Array }).Body).toString("utf8"));
    const manifest = await read(map.ResultWriterDetails.Key);
    expect(manifest.ResultFiles.SUCCEEDED.map((f: { Key: string }) => f.Key)).toEqual([`out/${id}/SUCCEEDED_0.json`]);
    const succeeded = await read(`out/${id}/SUCCEEDED_0.json`);
    expect(succeeded.map((r: { Output: string }) => JSON.parse(r.Output).doubled).sort()).toEqual([2, 4, 8]);
    const failed = await read(`out/${id}/FAILED_0.json`);
    expect(failed).toMatchObject([{ Status: "FAILED", Error: "WorkerError" }]);
    // The children are executions of the Map Run (API_ListExecutions.html, mapRunArn).
    const children = await call<{ executions: { executionArn: string; status: string }[] }>("ListExecutions", { mapRunArn: map.MapRunArn });
    expect(children.executions).toHaveLength(4);
    expect(children.executions[0]!.executionArn).toMatch(new RegExp(`:execution:fanout/Each:`));
    // The Map Run itself (API_ListMapRuns.html, API_DescribeMapRun.html): its configuration and the children's counts.
    const { mapRuns } = await call<{ mapRuns: { mapRunArn: string; stateMachineArn: string }[] }>("ListMapRuns", { executionArn: tolerant.arn });
    expect(mapRuns).toEqual([expect.objectContaining({ mapRunArn: map.MapRunArn, stateMachineArn: `arn:aws:states:${REGION}:${HUB}:stateMachine:fanout/Each` })]);
    const run = await call<{ status: string; maxConcurrency: number; toleratedFailurePercentage: number; itemCounts: Record<string, number> }>("DescribeMapRun", { mapRunArn: map.MapRunArn });
    expect(run).toMatchObject({ status: "SUCCEEDED", maxConcurrency: 2, toleratedFailurePercentage: 25 });
    expect(run.itemCounts).toMatchObject({ total: items.length, succeeded: 3, failed: 1, running: 0, resultsWritten: items.length });

    const strict = await runToEnd(await machine("fanout-strict", definition(0)), { key: "in/items.json" });
    expect(strict.described).toMatchObject({ status: "FAILED", error: "States.ExceedToleratedFailureThreshold" });
    const [strictRun] = (await call<{ mapRuns: { mapRunArn: string }[] }>("ListMapRuns", { executionArn: strict.arn })).mapRuns;
    expect(await call("DescribeMapRun", { mapRunArn: strictRun!.mapRunArn })).toMatchObject({ status: "FAILED", toleratedFailurePercentage: 0 });
  });

  it("fails loudly on what it does not emulate, and StopExecution aborts a running execution", async () => {
    const parallel = await runToEnd(await machine("parallel", { StartAt: "P", States: { P: { Type: "Parallel", Branches: [{ StartAt: "A", States: { A: { Type: "Pass", End: true } } }], End: true } } }), {});
    expect(parallel.described).toMatchObject({ status: "FAILED", error: "States.Runtime" });
    expect(parallel.described.cause).toContain("Parallel");

    const arn = await machine("waits", { StartAt: "Sleep", States: { Sleep: { Type: "Wait", Seconds: 100_000, End: true } } });
    const { executionArn } = await call<{ executionArn: string }>("StartExecution", { stateMachineArn: arn });
    await call("StopExecution", { executionArn, error: "Manual", cause: "stopped by the test" });
    const described = await call<Described>("DescribeExecution", { executionArn });
    expect(described).toMatchObject({ status: "ABORTED", error: "Manual", cause: "stopped by the test" });
  });
});

describe("the state machine's role", () => {
  it("CreateStateMachine refuses a role that does not trust states.amazonaws.com, and a caller without iam:PassRole on it", async () => {
    const lambdaRole = await role("not-for-states", "lambda.amazonaws.com");
    const definition = JSON.stringify({ StartAt: "A", States: { A: { Type: "Pass", End: true } } });
    await expect(call("CreateStateMachine", { name: "untrusted", definition, roleArn: lambdaRole })).rejects.toMatchObject({
      code: "AccessDeniedException",
      message: "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.",
    });
    const person = await session("no-pass-role", policy({ Action: "states:*", Resource: "*" }));
    await expect(call("CreateStateMachine", { name: "no-pass", definition, roleArn: `arn:aws:iam::${HUB}:role/sfn` }, person)).rejects.toMatchObject({ code: "AccessDeniedException", message: expect.stringContaining("iam:PassRole on resource: arn:aws:iam::111111111111:role/sfn") });
    const allowed = await session("pass-role", policy({ Action: "states:*", Resource: "*" }, { Action: "iam:PassRole", Resource: `arn:aws:iam::${HUB}:role/sfn` }));
    await expect(call("CreateStateMachine", { name: "passed", definition, roleArn: `arn:aws:iam::${HUB}:role/sfn` }, allowed)).resolves.toMatchObject({ stateMachineArn: expect.stringContaining(":stateMachine:passed") });
  });

  it("the execution calls Lambda as its role: a role without lambda:InvokeFunction fails the task with Lambda's AccessDenied", async () => {
    const weak = await role("weak-states", "states.amazonaws.com", policy({ Action: "s3:GetObject", Resource: "*" }));
    const arn = await machine("weak", { StartAt: "Call", States: { Call: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: FN }, End: true } } }, weak);
    const { described } = await runToEnd(arn, {});
    expect(described.status).toBe("FAILED");
    expect(described.error).toBe("Lambda.AWSLambdaException");
    expect(described.cause).toContain("assumed-role/weak-states/");
    expect(described.cause).toContain(`is not authorized to perform: lambda:InvokeFunction on resource: ${FN}`);
  });
});

describe("KMS alias operations are authorized on the alias and on the key (alias-access.html)", () => {
  it("CreateAlias needs kms:CreateAlias on both; UpdateAlias on the alias, the current and the new key", async () => {
    const kms = <T = Record<string, unknown>>(action: string, params: unknown, principal?: Principal) => call<T>(action, params, principal, "kms");
    const first = (await kms<{ KeyMetadata: { Arn: string } }>("CreateKey", {})).KeyMetadata.Arn;
    const second = (await kms<{ KeyMetadata: { Arn: string } }>("CreateKey", {})).KeyMetadata.Arn;
    const aliasArn = `arn:aws:kms:${REGION}:${HUB}:alias/reports`;
    const aliasOnly = await session("alias-only", policy({ Action: ["kms:CreateAlias", "kms:UpdateAlias"], Resource: aliasArn }));
    await expect(kms("CreateAlias", { AliasName: "alias/reports", TargetKeyId: first }, aliasOnly)).rejects.toMatchObject({ code: "AccessDeniedException", message: expect.stringContaining(`kms:CreateAlias on resource: ${first}`) });
    const firstKey = await session("alias-and-first", policy({ Action: ["kms:CreateAlias", "kms:UpdateAlias"], Resource: [aliasArn, first] }));
    await kms("CreateAlias", { AliasName: "alias/reports", TargetKeyId: first }, firstKey);
    await expect(kms("UpdateAlias", { AliasName: "alias/reports", TargetKeyId: second }, firstKey)).rejects.toMatchObject({ message: expect.stringContaining(`kms:UpdateAlias on resource: ${second}`) });
    const secondOnly = await session("alias-and-second", policy({ Action: "kms:UpdateAlias", Resource: [aliasArn, second] }));
    await expect(kms("UpdateAlias", { AliasName: "alias/reports", TargetKeyId: second }, secondOnly)).rejects.toMatchObject({ message: expect.stringContaining(`kms:UpdateAlias on resource: ${first}`) });
    const both = await session("alias-and-both", policy({ Action: "kms:UpdateAlias", Resource: [aliasArn, first, second] }));
    await kms("UpdateAlias", { AliasName: "alias/reports", TargetKeyId: second }, both);
    const { Aliases } = await kms<{ Aliases: { AliasName: string; TargetKeyId: string }[] }>("ListAliases", {});
    expect(Aliases.find((a) => a.AliasName === "alias/reports")?.TargetKeyId).toBe(second.split("/").pop());
  });
});
