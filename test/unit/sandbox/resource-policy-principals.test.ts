import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { AwsError, type CallContext, type ServiceDefinition } from "../../../sandbox/emulator/protocol/types.js";
import { eventsService } from "../../../sandbox/emulator/services/events/service.js";
import { iamService, putRole } from "../../../sandbox/emulator/services/iam/service.js";
import { kmsService } from "../../../sandbox/emulator/services/kms/service.js";
import { lambdaService } from "../../../sandbox/emulator/services/lambda/service.js";
import { putBucket, s3Service } from "../../../sandbox/emulator/services/s3/service.js";
import { snsService } from "../../../sandbox/emulator/services/sns/service.js";
import { sqsService } from "../../../sandbox/emulator/services/sqs/service.js";
import { ACCOUNT, harness } from "./cloudformation/fixture.js";

/**
 * Resource policies refuse a principal that does not exist, each with its service's own error
 * (sources: sandbox/emulator/services/iam/principal-existence.ts): S3 PutBucketPolicy MalformedPolicy
 * "Invalid principal in policy"; KMS CreateKey / PutKeyPolicy MalformedPolicyDocumentException
 * "Policy contains a statement with one or more invalid principals." (API_CreateKey.html, Policy:
 * "The principals in the key policy must exist"); SNS InvalidParameter "Invalid parameter: Policy
 * Error: PrincipalNotFound" (hashicorp/terraform#14179); SQS InvalidAttributeValue "Invalid value for
 * the parameter Policy." (hashicorp/terraform-provider-aws#42209); Lambda AddPermission
 * InvalidParameterValueException "The provided principal was invalid. …"
 * (cloudformation-coverage-roadmap#1189). EventBridge PutPermission accepts them
 * (terraform-provider-aws events/permission_test.go grants accounts that do not exist).
 */

const MISSING_ACCOUNT = "444455556666";

function world() {
  const h = harness();
  putRole(h.world.accounts.get(ACCOUNT)!, { roleName: "reader", assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] } }, h.ctx.sandbox.random, h.ctx.sandbox.now());
  putBucket(h.world, ACCOUNT, "policy-bucket", "us-east-1", h.ctx.sandbox.now());
  const call = (service: ServiceDefinition, action: string, params: Record<string, unknown>) => service.actions[action]!(params, { ...h.ctx, service: service.name, action } satisfies CallContext) as Record<string, unknown>;
  /** The same call awaited, for the handlers that answer with a promise (Lambda's). */
  const send = async (service: ServiceDefinition, action: string, params: Record<string, unknown>) => (await call(service, action, params)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { h, call, send };
}

const allow = (aws: unknown) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "s3:GetObject", Resource: "arn:aws:s3:::policy-bucket/*" }] });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof AwsError) return { code: error.code, message: error.message, status: error.status };
    throw error;
  }
  return undefined;
};
const refusalOf = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (error) {
    if (error instanceof AwsError) return { code: error.code, message: error.message, status: error.status };
    throw error;
  }
  return undefined;
};

const REFUSED = [
  `arn:aws:iam::${ACCOUNT}:role/deleted`,
  `arn:aws:iam::${ACCOUNT}:user/nobody`,
  MISSING_ACCOUNT,
  `arn:aws:iam::${MISSING_ACCOUNT}:root`,
  `arn:aws:iam::${MISSING_ACCOUNT}:role/reader`,
];
const ACCEPTED = [`arn:aws:iam::${ACCOUNT}:role/reader`, `arn:aws:iam::${ACCOUNT}:root`, ACCOUNT, "*", `arn:aws:sts::${ACCOUNT}:assumed-role/reader/any-session`];

describe("S3 PutBucketPolicy: principals must exist", () => {
  it.each(REFUSED)("refuses %s with MalformedPolicy, keeping the policy it had", (principal) => {
    const { h, call } = world();
    call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(ACCEPTED[0])) });
    expect(refusal(() => call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow([ACCEPTED[1], principal])) }))).toEqual({
      code: "MalformedPolicy",
      message: "Invalid principal in policy",
      status: 400,
    });
    expect(h.world.buckets.get("policy-bucket")!.policy).toEqual(allow(ACCEPTED[0]));
  });

  it("accepts existing roles, the account, its root and sessions (\"*\" is public: the bucket's public access block refuses it)", () => {
    const { h, call } = world();
    const named = ACCEPTED.filter((p) => p !== "*");
    call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(named)) });
    expect(h.world.buckets.get("policy-bucket")!.policy).toEqual(allow(named));
  });
});

describe("KMS CreateKey and PutKeyPolicy: principals must exist", () => {
  const keyPolicy = (aws: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "kms:*", Resource: "*" }] });
  const INVALID = { code: "MalformedPolicyDocumentException", message: "Policy contains a statement with one or more invalid principals.", status: 400 };

  it.each(REFUSED)("refuses %s at CreateKey (no key made) and at PutKeyPolicy (the policy kept)", (principal) => {
    const { call } = world();
    const kms = (action: string, params: Record<string, unknown>) => call(kmsService, action, params);
    expect(refusal(() => kms("CreateKey", { Policy: keyPolicy([ACCEPTED[1], principal]) }))).toEqual(INVALID);
    expect((kms("ListKeys", {}) as { Keys: unknown[] }).Keys).toEqual([]);
    const { KeyMetadata } = kms("CreateKey", { Policy: keyPolicy(ACCEPTED) }) as { KeyMetadata: { KeyId: string } };
    expect(refusal(() => kms("PutKeyPolicy", { KeyId: KeyMetadata.KeyId, PolicyName: "default", Policy: keyPolicy(principal) }))).toEqual(INVALID);
    expect((kms("GetKeyPolicy", { KeyId: KeyMetadata.KeyId }) as { Policy: string }).Policy).toBe(keyPolicy(ACCEPTED));
  });
});

describe("accounts outside the organization (scenario accountsOutsideOrganization)", () => {
  it("accepts their account id and root, still refuses their roles, which the sandbox cannot know", () => {
    const { h, call } = world();
    h.world.accountsOutsideOrganization = new Set([MISSING_ACCOUNT]);
    for (const principal of [MISSING_ACCOUNT, `arn:aws:iam::${MISSING_ACCOUNT}:root`]) {
      call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(principal)) });
      expect(h.world.buckets.get("policy-bucket")!.policy).toEqual(allow(principal));
    }
    expect(refusal(() => call(s3Service, "PutBucketPolicy", { Bucket: "policy-bucket", Policy: JSON.stringify(allow(`arn:aws:iam::${MISSING_ACCOUNT}:role/reader`)) }))?.code).toBe("MalformedPolicy");
  });

  it("are accepted the same way by SNS, SQS and Lambda", async () => {
    const { h, send } = await lambdaWorld();
    h.world.accountsOutsideOrganization = new Set([MISSING_ACCOUNT]);
    const root = `arn:aws:iam::${MISSING_ACCOUNT}:root`;
    const role = `arn:aws:iam::${MISSING_ACCOUNT}:role/reader`;
    const { TopicArn } = await send(snsService, "CreateTopic", { Name: "partner", Attributes: { Policy: topicPolicy([MISSING_ACCOUNT, root]) } });
    expect(await refusalOf(send(snsService, "SetTopicAttributes", { TopicArn, AttributeName: "Policy", AttributeValue: topicPolicy(role) }))).toEqual(PRINCIPAL_NOT_FOUND);
    const { QueueUrl } = await send(sqsService, "CreateQueue", { QueueName: "partner", Attributes: { Policy: queuePolicy([MISSING_ACCOUNT, root]) } });
    expect(await refusalOf(send(sqsService, "SetQueueAttributes", { QueueUrl, Attributes: { Policy: queuePolicy(role) } }))).toEqual(INVALID_QUEUE_POLICY);
    await send(lambdaService, "AddPermission", { FunctionName: "fn", StatementId: "partner", Action: "lambda:InvokeFunction", Principal: MISSING_ACCOUNT });
    expect(await refusalOf(send(lambdaService, "AddPermission", { FunctionName: "fn", StatementId: "partner-role", Action: "lambda:InvokeFunction", Principal: role }))).toEqual(INVALID_LAMBDA_PRINCIPAL);
  });
});

describe("KMS: a policy that is not JSON", () => {
  it("is MalformedPolicyDocumentException with KMS's empty message, not the lockout wording (aws/aws-sdk-ruby#1784)", () => {
    const { call } = world();
    expect(refusal(() => call(kmsService, "CreateKey", { Policy: "not a real policy statement" }))).toEqual({ code: "MalformedPolicyDocumentException", message: "", status: 400 });
    expect((call(kmsService, "ListKeys", {}) as { Keys: unknown[] }).Keys).toEqual([]);
  });
});

const topicPolicy = (aws: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "sns:Publish", Resource: "*" }] });
const PRINCIPAL_NOT_FOUND = { code: "InvalidParameter", message: "Invalid parameter: Policy Error: PrincipalNotFound", status: 400 };

describe("SNS topic policies: principals must exist", () => {
  it.each(REFUSED)("refuses %s in CreateTopic's Attributes (no topic made) and in SetTopicAttributes (the policy kept)", async (principal) => {
    const { send } = world();
    expect(await refusalOf(send(snsService, "CreateTopic", { Name: "refused", Attributes: { Policy: topicPolicy([ACCEPTED[1], principal]) } }))).toEqual(PRINCIPAL_NOT_FOUND);
    expect((await send(snsService, "ListTopics", {})).Topics ?? []).toEqual([]);
    const { TopicArn } = await send(snsService, "CreateTopic", { Name: "kept", Attributes: { Policy: topicPolicy(ACCEPTED) } });
    expect(await refusalOf(send(snsService, "SetTopicAttributes", { TopicArn, AttributeName: "Policy", AttributeValue: topicPolicy(principal) }))).toEqual(PRINCIPAL_NOT_FOUND);
    expect((await send(snsService, "GetTopicAttributes", { TopicArn })).Attributes.Policy).toBe(topicPolicy(ACCEPTED));
  });
});

const queuePolicy = (aws: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "sqs:SendMessage", Resource: "*" }] });
const INVALID_QUEUE_POLICY = { code: "InvalidAttributeValue", message: "Invalid value for the parameter Policy.", status: 400 };

describe("SQS queue policies: principals must exist", () => {
  it.each(REFUSED)("refuses %s at CreateQueue (no queue made) and at SetQueueAttributes (the policy kept)", async (principal) => {
    const { send } = world();
    expect(await refusalOf(send(sqsService, "CreateQueue", { QueueName: "refused", Attributes: { Policy: queuePolicy([ACCEPTED[1], principal]) } }))).toEqual(INVALID_QUEUE_POLICY);
    expect((await send(sqsService, "ListQueues", {})).QueueUrls).toBeUndefined();
    const { QueueUrl } = await send(sqsService, "CreateQueue", { QueueName: "kept", Attributes: { Policy: queuePolicy(ACCEPTED) } });
    expect(await refusalOf(send(sqsService, "SetQueueAttributes", { QueueUrl, Attributes: { Policy: queuePolicy(principal) } }))).toEqual(INVALID_QUEUE_POLICY);
    expect((await send(sqsService, "GetQueueAttributes", { QueueUrl, AttributeNames: ["Policy"] })).Attributes.Policy).toBe(queuePolicy(ACCEPTED));
  });
});

const INVALID_LAMBDA_PRINCIPAL = { code: "InvalidParameterValueException", message: "The provided principal was invalid. Please check the principal and try again.", status: 400 };

async function lambdaWorld() {
  const w = world();
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] };
  putRole(w.h.world.accounts.get(ACCOUNT)!, { roleName: "fn", assumeRolePolicyDocument: trust }, w.h.ctx.sandbox.random, w.h.ctx.sandbox.now());
  const zip = Buffer.from(zipSync({ "index.mjs": strToU8("export const handler = async () => 1;") }));
  await w.send(lambdaService, "CreateFunction", { FunctionName: "fn", Role: `arn:aws:iam::${ACCOUNT}:role/fn`, Runtime: "nodejs22.x", Handler: "index.handler", Code: { ZipFile: zip } });
  const statements = async () => JSON.parse((await w.send(lambdaService, "GetPolicy", { FunctionName: "fn" })).Policy).Statement.map((s: { Sid: string }) => s.Sid);
  return { ...w, statements };
}

describe("Lambda AddPermission: principals must exist", () => {
  // AddPermission takes an account id or an ARN (API_AddPermission.html, Principal); the account forms of REFUSED.
  const REFUSED_BY_LAMBDA = REFUSED.filter((p) => p !== `arn:aws:iam::${MISSING_ACCOUNT}:root`);

  it.each(REFUSED_BY_LAMBDA)("refuses %s and keeps the policy it had", async (principal) => {
    const { send, statements } = await lambdaWorld();
    await send(lambdaService, "AddPermission", { FunctionName: "fn", StatementId: "reader", Action: "lambda:InvokeFunction", Principal: ACCEPTED[0] });
    expect(await refusalOf(send(lambdaService, "AddPermission", { FunctionName: "fn", StatementId: "bad", Action: "lambda:InvokeFunction", Principal: principal }))).toEqual(INVALID_LAMBDA_PRINCIPAL);
    expect(await statements()).toEqual(["reader"]);
  });

  it("accepts the account, an existing role and a service; a role deleted since it was granted fails the next AddPermission (cloudformation-coverage-roadmap#1189)", async () => {
    const { send, statements } = await lambdaWorld();
    for (const [sid, principal] of [["account", ACCOUNT], ["role", ACCEPTED[0]], ["events", "events.amazonaws.com"]]) {
      await send(lambdaService, "AddPermission", { FunctionName: "fn", StatementId: sid, Action: "lambda:InvokeFunction", Principal: principal });
    }
    await send(iamService, "DeleteRole", { RoleName: "reader" });
    expect(await refusalOf(send(lambdaService, "AddPermission", { FunctionName: "fn", StatementId: "s3", Action: "lambda:InvokeFunction", Principal: "s3.amazonaws.com" }))).toEqual(INVALID_LAMBDA_PRINCIPAL);
    expect(await statements()).toEqual(["account", "role", "events"]);
  });
});

describe("EventBridge PutPermission: principals are not checked", () => {
  it("accepts an account and a role that do not exist, as terraform's acceptance tests against AWS show (events/permission_test.go)", async () => {
    const { send } = world();
    await send(eventsService, "PutPermission", { StatementId: "missing-account", Action: "events:PutEvents", Principal: MISSING_ACCOUNT });
    const bus = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`;
    const policy = { Version: "2012-10-17", Statement: [{ Sid: "role", Effect: "Allow", Principal: { AWS: REFUSED[0] }, Action: "events:PutEvents", Resource: bus }] };
    expect((await send(eventsService, "DescribeEventBus", {})).Policy).toContain(`arn:aws:iam::${MISSING_ACCOUNT}:root`);
    await send(eventsService, "PutPermission", { Policy: JSON.stringify(policy) });
    expect(JSON.parse((await send(eventsService, "DescribeEventBus", {})).Policy)).toEqual(policy);
  });
});
