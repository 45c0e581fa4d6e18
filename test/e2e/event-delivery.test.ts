import { zipSync, strToU8 } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { deliveries } from "../../sandbox/emulator/services/events/delivery.js";
import { onAsyncInvocation, type AsyncInvocation } from "../../sandbox/emulator/services/lambda/invoke.js";
import { mintRoleSession } from "../../sandbox/emulator/services/iam/principals.js";
import { sqsState } from "../../sandbox/emulator/services/sqs/service.js";
import { executionsState } from "../../sandbox/emulator/services/stepfunctions/executions.js";
import { startBareSandbox, type BareSandbox } from "../../sandbox/harness/server.js";
import { EXAMPLE_FILE } from "../support/config.js";
import { boto3 } from "./boto3.js";

/**
 * EventBridge delivery in the bare sandbox, set up through the emulated APIs the way the deployed
 * stacks set it up (spoke default-bus rule → hub bus through a role, hub rule → Lambda, a
 * schedule rule → Lambda), with IAM evaluated on every hop: a CloudTrail event in a spoke reaches
 * the hub function, and each missing permission (bus policy, role trust, Lambda resource policy)
 * stops it visibly (a failed delivery, the event in the rule target's dead-letter queue). A
 * schedule or pattern rule whose target is a state machine starts an execution as the target's
 * role (states:StartExecution evaluated for it), as the fan-out hub's schedule does; PutTargets
 * checks iam:PassRole for the caller, with iam:PassedToService events.amazonaws.com. Retries:
 * a target answering 429 or 5xx (a scenario fault on its service) is retried within its
 * RetryPolicy, anything else goes to the dead-letter queue at once, with EventBridge's message
 * attributes; InputTransformer fills its template from the event (boto3 checks the shapes).
 * One sandbox for the file; calls are in-process.
 */

const config = loadConfig(EXAMPLE_FILE);
const HUB = config.hub.accountId;
const SPOKE = config.accounts[0]!.id;
const REGION = "us-east-1";
let sandbox: BareSandbox;
const HUB_BUS = `arn:aws:events:${REGION}:${HUB}:event-bus/hub`;

const call = (account: string, service: string, action: string, params: unknown) => sandbox.dispatch(account, REGION, service, action, params);

function trust(service: string) {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
}

/** The next asynchronous invocation of `functionName` that `trigger` causes. */
function nextInvocation(functionName: string, trigger: () => Promise<unknown>): Promise<AsyncInvocation> {
  return new Promise((resolve, reject) => {
    const stop = onAsyncInvocation((o) => {
      if (o.functionArn.endsWith(`:function:${functionName}`)) {
        stop();
        resolve(o);
      }
    });
    trigger().catch(reject);
  });
}

async function until<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  sandbox = await startBareSandbox({
    config,
    scenario: { organization: { managementAccount: "999999999999" }, accounts: [{ id: HUB, name: "driftguard-hub" }, ...config.accounts.map((a) => ({ id: a.id, name: a.name }))] },
  });
  // Hub: a bus admitting the organization, a rule on it and a schedule rule, both invoking a function that returns its event.
  const zip = Buffer.from(zipSync({ "index.mjs": strToU8("export const handler = async (event) => event;") }));
  await call(HUB, "iam", "CreateRole", { RoleName: "fn", AssumeRolePolicyDocument: trust("lambda.amazonaws.com") });
  await call(HUB, "lambda", "CreateFunction", { FunctionName: "hub-fn", Role: `arn:aws:iam::${HUB}:role/fn`, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: zip } });
  await call(HUB, "lambda", "PutFunctionEventInvokeConfig", { FunctionName: "hub-fn", MaximumRetryAttempts: 0 });
  await call(HUB, "events", "CreateEventBus", { Name: "hub" });
  await call(HUB, "events", "PutPermission", {
    EventBusName: "hub",
    Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "org", Effect: "Allow", Principal: "*", Action: "events:PutEvents", Resource: HUB_BUS, Condition: { StringEquals: { "aws:PrincipalOrgID": config.organization.id } } }] }),
  });
  const rule = (await call(HUB, "events", "PutRule", { Name: "to-fn", EventBusName: "hub", EventPattern: JSON.stringify({ source: ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"] }) })) as { RuleArn: string };
  await call(HUB, "events", "PutTargets", { Rule: "to-fn", EventBusName: "hub", Targets: [{ Id: "fn", Arn: `arn:aws:lambda:${REGION}:${HUB}:function:hub-fn` }] });
  await call(HUB, "lambda", "AddPermission", { FunctionName: "hub-fn", StatementId: "bus", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceArn: rule.RuleArn });
  const schedule = (await call(HUB, "events", "PutRule", { Name: "every-hour", ScheduleExpression: "rate(1 hour)" })) as { RuleArn: string };
  await call(HUB, "events", "PutTargets", { Rule: "every-hour", Targets: [{ Id: "fn", Arn: `arn:aws:lambda:${REGION}:${HUB}:function:hub-fn` }] });
  await call(HUB, "lambda", "AddPermission", { FunctionName: "hub-fn", StatementId: "schedule", Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceArn: schedule.RuleArn });
  // Spoke: a forwarder role EventBridge assumes, a dead-letter queue, a default-bus rule to the hub bus.
  await call(SPOKE, "iam", "CreateRole", { RoleName: "forwarder", AssumeRolePolicyDocument: trust("events.amazonaws.com") });
  await call(SPOKE, "iam", "PutRolePolicy", { RoleName: "forwarder", PolicyName: "put", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "events:PutEvents", Resource: HUB_BUS }] }) });
  await call(SPOKE, "sqs", "CreateQueue", { QueueName: "dlq" });
  await call(SPOKE, "events", "PutRule", { Name: "forward", EventPattern: JSON.stringify({ source: ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"] }) });
  await call(SPOKE, "events", "PutTargets", { Rule: "forward", Targets: [{ Id: "hub", Arn: HUB_BUS, RoleArn: `arn:aws:iam::${SPOKE}:role/forwarder`, DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${SPOKE}:dlq` } }] });
});

afterAll(() => sandbox?.close());

const createGroup = (name: string) => () => call(SPOKE, "ec2", "CreateSecurityGroup", { GroupName: name, Description: "d" });

describe("EventBridge delivery through the deployed kind of rules", () => {
  it("a CloudTrail event in a spoke reaches the hub function through the spoke rule, the role and the hub bus", async () => {
    const invocation = await nextInvocation("hub-fn", createGroup("group-one"));
    const event = invocation.payload as { account: string; source: string; detail: { eventName: string } };
    expect(invocation.functionError).toBeUndefined();
    expect(event).toMatchObject({ account: SPOKE, source: "aws.ec2", detail: { eventName: "CreateSecurityGroup" } });
  });

  it("a schedule fired now invokes its target with EventBridge's Scheduled Event", async () => {
    const invocation = await nextInvocation("hub-fn", () => sandbox.fireSchedule(HUB, REGION, "every-hour"));
    expect(invocation.payload).toMatchObject({ source: "aws.events", "detail-type": "Scheduled Event", account: HUB, resources: [`arn:aws:events:${REGION}:${HUB}:rule/every-hour`], detail: {} });
  });

  it("a hub bus policy that does not admit the spoke stops the event, which lands in the rule target's dead-letter queue", async () => {
    await call(HUB, "events", "RemovePermission", { EventBusName: "hub", RemoveAllPermissions: true });
    try {
      const before = deliveries.length;
      await createGroup("group-two")();
      const failed = await until(() => deliveries.slice(before).find((d) => d.targetArn === HUB_BUS && d.outcome === "failed"));
      expect(failed.error).toContain("events:PutEvents");
      const dlq = sqsState.at(sandbox.world.accounts.get(SPOKE)!, REGION).queues.get("dlq")!;
      const message = await until(() => dlq.messages.find((m) => (JSON.parse(m.body) as { detail: { requestParameters?: { groupName?: string } } }).detail.requestParameters?.groupName === "group-two"));
      expect(message.attributes?.RULE_ARN).toBe(`arn:aws:events:${REGION}:${SPOKE}:rule/forward`);
    } finally {
      await call(HUB, "events", "PutPermission", { EventBusName: "hub", Action: "events:PutEvents", Principal: SPOKE, StatementId: "spoke" });
    }
  });

  it("a forwarder role that does not trust events.amazonaws.com, or a function policy for another rule, fails the delivery", async () => {
    await call(SPOKE, "iam", "UpdateAssumeRolePolicy", { RoleName: "forwarder", PolicyDocument: trust("lambda.amazonaws.com") });
    let before = deliveries.length;
    await createGroup("group-three")();
    const untrusted = await until(() => deliveries.slice(before).find((d) => d.targetArn === HUB_BUS));
    expect(untrusted).toMatchObject({ outcome: "failed", error: expect.stringContaining("does not trust events.amazonaws.com") });
    await call(SPOKE, "iam", "UpdateAssumeRolePolicy", { RoleName: "forwarder", PolicyDocument: trust("events.amazonaws.com") });

    await call(HUB, "lambda", "RemovePermission", { FunctionName: "hub-fn", StatementId: "bus" });
    before = deliveries.length;
    await createGroup("group-four")();
    const refused = await until(() => deliveries.slice(before).find((d) => d.targetArn.includes(":lambda:")));
    expect(refused).toMatchObject({ outcome: "failed", error: expect.stringContaining("does not allow events.amazonaws.com") });
  });
});

describe("EventBridge → Step Functions targets", () => {
  const MACHINE = `arn:aws:states:${REGION}:${HUB}:stateMachine:echo`;
  const STARTER = `arn:aws:iam::${HUB}:role/starter`;
  const startPolicy = (resource: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "states:StartExecution", Resource: resource }] });

  /** The execution the delivery of `eventId` to MACHINE started, once it has ended. */
  async function executionFor(eventId: string) {
    const delivery = await until(() => deliveries.find((d) => d.eventId === eventId && d.targetArn === MACHINE));
    expect(delivery.outcome, delivery.error).toBe("delivered");
    const execution = executionsState.at(sandbox.world.accounts.get(HUB)!, REGION).executions.get(delivery.executionArn!)!;
    await execution.done;
    return execution;
  }

  beforeAll(async () => {
    // A state machine that returns its input, as its own role; the role EventBridge starts it with (the fan-out hub's schedule role).
    await call(HUB, "iam", "CreateRole", { RoleName: "echo-states", AssumeRolePolicyDocument: trust("states.amazonaws.com") });
    await call(HUB, "states", "CreateStateMachine", { name: "echo", roleArn: `arn:aws:iam::${HUB}:role/echo-states`, definition: JSON.stringify({ StartAt: "Echo", States: { Echo: { Type: "Pass", End: true } } }) });
    await call(HUB, "iam", "CreateRole", { RoleName: "starter", AssumeRolePolicyDocument: trust("events.amazonaws.com") });
    await call(HUB, "iam", "PutRolePolicy", { RoleName: "starter", PolicyName: "start", PolicyDocument: startPolicy(MACHINE) });
    await call(HUB, "sqs", "CreateQueue", { QueueName: "sfn-dlq" });
    await call(HUB, "events", "PutRule", { Name: "start-echo", ScheduleExpression: "rate(1 day)" });
    await call(HUB, "events", "PutTargets", {
      Rule: "start-echo",
      Targets: [{ Id: "echo", Arn: MACHINE, RoleArn: STARTER, Input: JSON.stringify({ trigger: "schedule" }), DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${HUB}:sfn-dlq` } }],
    });
  });

  it("a schedule starts an execution as the target's role, with the target's constant Input", async () => {
    const fired = await sandbox.fireSchedule(HUB, REGION, "start-echo");
    const execution = await executionFor(fired.id);
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.output!)).toEqual({ trigger: "schedule" });
    expect(execution.stateMachineArn).toBe(MACHINE);
  });

  it("a pattern rule's execution gets the whole event when the target sets no Input, InputPath's part with one", async () => {
    await call(HUB, "events", "PutRule", { Name: "echo-events", EventBusName: "hub", EventPattern: JSON.stringify({ source: ["test.echo"] }) });
    await call(HUB, "events", "PutTargets", { Rule: "echo-events", EventBusName: "hub", Targets: [{ Id: "whole", Arn: MACHINE, RoleArn: STARTER }] });
    const put = (await call(HUB, "events", "PutEvents", { Entries: [{ EventBusName: "hub", Source: "test.echo", DetailType: "Echo", Detail: JSON.stringify({ n: 1 }) }] })) as { Entries: { EventId: string }[] };
    const whole = await executionFor(put.Entries[0]!.EventId);
    expect(JSON.parse(whole.input)).toMatchObject({ id: put.Entries[0]!.EventId, source: "test.echo", "detail-type": "Echo", account: HUB, detail: { n: 1 } });

    await call(HUB, "events", "PutTargets", { Rule: "echo-events", EventBusName: "hub", Targets: [{ Id: "whole", Arn: MACHINE, RoleArn: STARTER, InputPath: "$.detail" }] });
    const again = (await call(HUB, "events", "PutEvents", { Entries: [{ EventBusName: "hub", Source: "test.echo", DetailType: "Echo", Detail: JSON.stringify({ n: 2 }) }] })) as { Entries: { EventId: string }[] };
    expect(JSON.parse((await executionFor(again.Entries[0]!.EventId)).input)).toEqual({ n: 2 });
  });

  it("a role that may not start the machine fails the delivery with Step Functions' AccessDenied; the event goes to the target's dead-letter queue", async () => {
    await call(HUB, "iam", "PutRolePolicy", { RoleName: "starter", PolicyName: "start", PolicyDocument: startPolicy(`arn:aws:states:${REGION}:${HUB}:stateMachine:other`) });
    try {
      const fired = await sandbox.fireSchedule(HUB, REGION, "start-echo");
      const failed = deliveries.find((d) => d.eventId === fired.id)!;
      expect(failed).toMatchObject({ outcome: "failed", error: expect.stringContaining(`assumed-role/starter/`) });
      expect(failed.error).toContain(`is not authorized to perform: states:StartExecution on resource: ${MACHINE}`);
      const dlq = sqsState.at(sandbox.world.accounts.get(HUB)!, REGION).queues.get("sfn-dlq")!;
      const message = dlq.messages.find((m) => (JSON.parse(m.body) as { id: string }).id === fired.id)!;
      expect(message.attributes).toMatchObject({ ERROR_CODE: "AccessDeniedException", RULE_ARN: `arn:aws:events:${REGION}:${HUB}:rule/start-echo`, TARGET_ARN: MACHINE });
    } finally {
      await call(HUB, "iam", "PutRolePolicy", { RoleName: "starter", PolicyName: "start", PolicyDocument: startPolicy(MACHINE) });
    }
  });

  it("PutTargets refuses a state machine target without a RoleArn, and a caller without iam:PassRole for events.amazonaws.com on the role", async () => {
    await expect(call(HUB, "events", "PutTargets", { Rule: "start-echo", Targets: [{ Id: "no-role", Arn: MACHINE }] })).rejects.toMatchObject({ code: "ValidationException", message: `RoleArn is required for target ${MACHINE}.` });
    const person = async (name: string, passedTo: string) => {
      await call(HUB, "iam", "CreateRole", { RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${HUB}:root` }, Action: "sts:AssumeRole" }] }) });
      const statements = [
        { Effect: "Allow", Action: "events:*", Resource: "*" },
        { Effect: "Allow", Action: "iam:PassRole", Resource: STARTER, Condition: { StringEquals: { "iam:PassedToService": passedTo } } },
      ];
      await call(HUB, "iam", "PutRolePolicy", { RoleName: name, PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });
      return mintRoleSession(sandbox.world, sandbox.runtime.random, HUB, sandbox.world.accounts.get(HUB)!.roles.get(name)!, "person", { issuedAt: sandbox.runtime.now() });
    };
    const target = { Rule: "start-echo", Targets: [{ Id: "echo", Arn: MACHINE, RoleArn: STARTER, Input: JSON.stringify({ trigger: "schedule" }) }] };
    const toLambda = await person("passes-to-lambda", "lambda.amazonaws.com");
    await expect(sandbox.dispatch(HUB, REGION, "events", "PutTargets", target, toLambda)).rejects.toMatchObject({
      code: "AccessDeniedException",
      message: expect.stringContaining(`assumed-role/passes-to-lambda/person is not authorized to perform: iam:PassRole on resource: ${STARTER}`),
    });
    const toEvents = await person("passes-to-events", "events.amazonaws.com");
    await expect(sandbox.dispatch(HUB, REGION, "events", "PutTargets", target, toEvents)).resolves.toMatchObject({ FailedEntryCount: 0 });
  });
});

describe("EventBridge retries, dead letters and InputTransformer", () => {
  // A hub-side rule on a bus of its own with SQS targets: PutEvents in, the queues read back.
  const queueOf = (name: string) => sqsState.at(sandbox.world.accounts.get(HUB)!, REGION).queues.get(name)!;
  const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${HUB}:${name}`;
  const RULE_ARN = `arn:aws:events:${REGION}:${HUB}:rule/retries/to-queue`;

  beforeAll(async () => {
    await call(HUB, "events", "CreateEventBus", { Name: "retries" });
    for (const q of ["inbox", "dead"]) await call(HUB, "sqs", "CreateQueue", { QueueName: q });
    await call(HUB, "events", "PutRule", { Name: "to-queue", EventBusName: "retries", EventPattern: JSON.stringify({ source: ["driftguard.test"] }) });
  });
  afterAll(() => sandbox.setFaults([]));

  /** PutEvents of one event with `detail`; resolves with the delivery to `inbox` that followed. */
  async function send(detail: Record<string, unknown>) {
    const { Entries } = (await call(HUB, "events", "PutEvents", { Entries: [{ EventBusName: "retries", Source: "driftguard.test", DetailType: "probe", Detail: JSON.stringify(detail) }] })) as { Entries: { EventId: string }[] };
    const id = Entries[0]!.EventId;
    return until(() => deliveries.find((d) => d.eventId === id && d.targetArn === queueArn("inbox")));
  }
  const target = (extra: Record<string, unknown>) => call(HUB, "events", "PutTargets", { Rule: "to-queue", EventBusName: "retries", Targets: [{ Id: "q", Arn: queueArn("inbox"), DeadLetterConfig: { Arn: queueArn("dead") }, ...extra }] });

  it("InputTransformer: the queue receives the template filled from the event, minified", async () => {
    await target({ InputTransformer: { InputPathsMap: { group: "$.detail.groupId", port: "$.detail.port" }, InputTemplate: '{ "text": "port <port> opened on <group>", "group": <group>, "port": <port>, "rule": <aws.events.rule-name> }' } });
    const delivery = await send({ groupId: "sg-0123", port: 22 });
    expect(delivery).toMatchObject({ outcome: "delivered", attempts: 1 });
    expect(queueOf("inbox").messages.at(-1)!.body).toBe('{"text":"port 22 opened on sg-0123","group":"sg-0123","port":22,"rule":"to-queue"}');
  });

  it("a throttled target (429) is retried and then delivered; RetryPolicy's MaximumRetryAttempts then ends the retries and the event is dead-lettered with the attributes", async () => {
    await target({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } });
    sandbox.setFaults([{ service: "sqs", action: "SendMessage", account: HUB, error: "ThrottlingException", status: 429, times: 2 }]);
    expect(await send({ n: 1 })).toMatchObject({ outcome: "delivered", attempts: 3 });

    sandbox.setFaults([{ service: "sqs", action: "SendMessage", account: HUB, error: "InternalError", status: 500, times: 10 }]);
    const before = queueOf("dead").messages.length;
    expect(await send({ n: 2 })).toMatchObject({ outcome: "failed", attempts: 4, exhausted: "MaximumRetryAttempts" });
    const dead = queueOf("dead").messages.slice(before);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ source: "driftguard.test", detail: { n: 2 } });
    expect(dead[0]!.attributes).toEqual({ ERROR_CODE: "InternalError", ERROR_MESSAGE: expect.any(String), RULE_ARN: RULE_ARN, TARGET_ARN: queueArn("inbox"), RETRY_ATTEMPTS: "3", EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts" });
  });

  it("with the default 185 attempts, a 60-second MaximumEventAgeInSeconds ends the retries first", async () => {
    await target({ RetryPolicy: { MaximumEventAgeInSeconds: 60 } });
    sandbox.setFaults([{ service: "sqs", action: "SendMessage", account: HUB, error: "ServiceUnavailable", status: 503 }]);
    const delivery = await send({ n: 3 });
    expect(delivery).toMatchObject({ outcome: "failed", exhausted: "MaximumEventAgeInSeconds" });
    expect(delivery.attempts).toBeGreaterThan(1);
    expect(delivery.attempts).toBeLessThan(186);
    expect(queueOf("dead").messages.at(-1)!.attributes?.EXHAUSTED_RETRY_CONDITION).toBe("MaximumEventAgeInSeconds");
  });

  it("an error EventBridge does not retry (a 4xx other than 429) goes to the dead-letter queue after one attempt, with no exhausted condition", async () => {
    sandbox.setFaults([{ service: "sqs", action: "SendMessage", account: HUB, error: "KmsAccessDenied", status: 400 }]);
    const delivery = await send({ n: 4 });
    expect(delivery).toMatchObject({ outcome: "failed", attempts: 1 });
    expect(delivery.exhausted).toBeUndefined();
    expect(queueOf("dead").messages.at(-1)!.attributes).toMatchObject({ ERROR_CODE: "KmsAccessDenied", RETRY_ATTEMPTS: "0" });
    expect(queueOf("dead").messages.at(-1)!.attributes).not.toHaveProperty("EXHAUSTED_RETRY_CONDITION");
  });

  it("boto3: put_targets with InputTransformer, RetryPolicy and DeadLetterConfig reads back through list_targets_by_rule; put_events through a throttled queue is retried and delivers the filled template", async () => {
    const targets = [
      {
        Id: "q",
        Arn: queueArn("inbox"),
        InputTransformer: { InputPathsMap: { instance: "$.detail.instance-id", state: "$.detail.state" }, InputTemplate: '{"instance": <instance>, "status": "instance \\"<instance>\\" is in <state>"}' },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: queueArn("dead") },
      },
    ];
    sandbox.setFaults([{ service: "sqs", action: "SendMessage", account: HUB, error: "ThrottlingException", status: 429, times: 2 }]);
    const result = await boto3(sandbox, sandbox.adminCredentials(HUB), `
ev = client("events")
targets = json.loads(${JSON.stringify(JSON.stringify(targets))})
put = ev.put_targets(Rule="to-queue", EventBusName="retries", Targets=targets)
listed = ev.list_targets_by_rule(Rule="to-queue", EventBusName="retries")["Targets"]
sent = ev.put_events(Entries=[{"EventBusName": "retries", "Source": "driftguard.test", "DetailType": "probe", "Detail": json.dumps({"instance-id": "i-0123456789", "state": "RUNNING"})}])
reserved = err(lambda: ev.put_targets(Rule="to-queue", EventBusName="retries", Targets=[{"Id": "q", "Arn": targets[0]["Arn"], "InputTransformer": {"InputPathsMap": {"aws.events.rule-arn": "$.id"}, "InputTemplate": "<aws.events.rule-arn>"}}]))
out({"failed": put["FailedEntryCount"], "listed": listed, "eventId": sent["Entries"][0]["EventId"], "reserved": reserved})
`);
    expect(result.failed).toBe(0);
    expect(result.listed).toEqual(targets);
    expect(result.reserved).toMatchObject({ code: "ValidationException", status: 400 });
    const delivery = await until(() => deliveries.find((d) => d.eventId === result.eventId));
    expect(delivery).toMatchObject({ outcome: "delivered", attempts: 3 });
    expect(JSON.parse(queueOf("inbox").messages.at(-1)!.body)).toEqual({ instance: "i-0123456789", status: 'instance "i-0123456789" is in RUNNING' });
  });

  it("PutTargets refuses an InputTransformer with a reserved key, and Input with InputPath together", async () => {
    sandbox.setFaults([]);
    await expect(target({ InputTransformer: { InputPathsMap: { "aws.events.rule-arn": "$.id" }, InputTemplate: "<aws.events.rule-arn>" } })).rejects.toMatchObject({ code: "ValidationException", message: expect.stringContaining("reserved") });
    await expect(target({ Input: "{}", InputPath: "$.detail" })).rejects.toMatchObject({ code: "ValidationException", message: expect.stringContaining("mutually exclusive") });
  });
});
