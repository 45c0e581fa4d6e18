import {
  CloudFormationClient,
  CloudFormationServiceException,
  DeleteStackCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import { HttpResponse } from "@smithy/core/protocols";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSpokeClients } from "../../../functions/aws/clients.js";
import { LEAN_COMMANDS, leanAttempts, leanOperationName, type LeanAttempt } from "../../../functions/aws/lean-query.js";
import { AdaptiveRateLimiter } from "../../../functions/aws/rate-limit.js";
import { UnapprovedWriteError } from "../../../functions/aws/write-gate.js";
import { systemClock } from "../../../functions/core/clock.js";
import { mintRoleSession } from "../../../sandbox/emulator/services/iam/principals.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { deployStack, sandboxSpokeClients, spokeSession, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

/**
 * The lean request path (functions/aws/lean-query.ts) is a protocol client of its own: these
 * tests send it to the sandbox over the wire (SigV4 verified, IAM evaluated against the spoke
 * role), with the sandbox's injected faults, and hold every call it handles to the SDK's own
 * decoding of the very same bytes.
 */

const REGION = "us-east-1";
let sandbox: Sandbox;
let stackId: string;
let detectionId: string;

/** The lean path's attempts while `work` runs. */
async function attemptsOf<T>(work: () => Promise<T>): Promise<{ result: T; attempts: LeanAttempt[] }> {
  const attempts: LeanAttempt[] = [];
  const listen = (m: unknown) => attempts.push(m as LeanAttempt);
  leanAttempts.subscribe(listen);
  try {
    return { result: await work(), attempts };
  } finally {
    leanAttempts.unsubscribe(listen);
  }
}

/** A stock SDK client that answers every request with `response`'s bytes: the SDK's decoding of what the lean path received. */
function replaying(response: HttpResponse): CloudFormationClient {
  const handler = { handle: async () => ({ response: new HttpResponse({ statusCode: response.statusCode, headers: { ...response.headers }, body: response.body as Uint8Array }) }) };
  return new CloudFormationClient({ region: REGION, credentials: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }), maxAttempts: 1, requestHandler: handler as never });
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

/** What callers can see of an SDK exception: its class, name, message and every own field. */
function exceptionView(err: Error & Record<string, unknown>) {
  return { ctor: err.constructor, name: err.name, message: err.message, isService: err instanceof CloudFormationServiceException, fields: { ...err } };
}

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: { latency: { apiMs: 0, detectionMs: [20, 20], changeSetMs: [0, 0] } } });
  await deployStack(sandbox, WORKLOAD, REGION, "lean-probe", { Resources: { Topic: { Type: "AWS::SNS::Topic" } } });
  const cfn = sandboxSpokeClients(sandbox, WORKLOAD, REGION, { lean: false }).cloudformation;
  stackId = (await cfn.send(new DescribeStacksCommand({ StackName: "lean-probe" }))).Stacks![0]!.StackId!;
  detectionId = (await cfn.send(new DetectStackDriftCommand({ StackName: stackId }))).StackDriftDetectionId!;
  for (let i = 0; i < 100; i++) {
    const status = await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }));
    if (status.DetectionStatus !== "DETECTION_IN_PROGRESS") break;
    await new Promise((r) => setTimeout(r, 20));
  }
  cfn.destroy();
  // A sandbox, a stack and one detection: seconds idle, more on a loaded machine with other test workers.
}, 60_000);

afterAll(() => sandbox?.close());
afterEach(() => sandbox.setFaults([]));

/** An input for every command the lean path takes; a command added to LEAN_COMMANDS without one fails below. */
const INPUTS: Record<string, () => object> = {
  ListStacks: () => ({ StackStatusFilter: ["CREATE_COMPLETE", "UPDATE_COMPLETE"] }),
  DescribeStacks: () => ({ StackName: stackId }),
  DetectStackDrift: () => ({ StackName: stackId }),
  DescribeStackDriftDetectionStatus: () => ({ StackDriftDetectionId: detectionId }),
  DescribeStackResourceDrifts: () => ({ StackName: stackId, MaxResults: 100 }),
  ListStackResources: () => ({ StackName: stackId }),
};

describe("the lean path decodes as the SDK does (meta-test over LEAN_COMMANDS)", () => {
  it.each(LEAN_COMMANDS.map((command) => [leanOperationName(command), command] as const))("%s: the same output as the SDK's client decoding the same answer", async (name, command) => {
    expect(INPUTS[name], `no input for ${name} in INPUTS`).toBeDefined();
    // One constructor type for the table's commands (each takes its own input shape).
    const Command = command as unknown as new (input: object) => DescribeStacksCommand;
    const clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION);
    const { result, attempts } = await attemptsOf(() => clients.cloudformation.send(new Command(INPUTS[name]!())));
    clients.destroy();
    expect(attempts.map((a) => a.operation)).toEqual([name]);
    expect(attempts[0]!.response!.statusCode).toBe(200);
    const sdk = replaying(attempts[0]!.response!);
    expect(result).toEqual(await sdk.send(new Command(INPUTS[name]!())));
    // The answer is not empty: the decoding was exercised.
    expect(Object.keys(result).length).toBeGreaterThan(1);
  });

  it("decodes a service error into the SDK's exception, field for field", async () => {
    const clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION);
    const { result: err, attempts } = await attemptsOf(() => rejection(clients.cloudformation.send(new DescribeStacksCommand({ StackName: "no-such-stack" }))));
    clients.destroy();
    expect(attempts).toHaveLength(1);
    expect(err.name).toBe("ValidationError");
    const sdkErr = await rejection(replaying(attempts[0]!.response!).send(new DescribeStacksCommand({ StackName: "no-such-stack" })));
    expect(exceptionView(err)).toEqual(exceptionView(sdkErr));
    expect((err as { $response?: HttpResponse }).$response?.statusCode).toBe(400);
  });

  it("leaves every other command on the SDK's path", async () => {
    const clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION);
    const { result, attempts } = await attemptsOf(() => clients.cloudformation.send(new GetTemplateCommand({ StackName: stackId })));
    clients.destroy();
    expect(attempts).toEqual([]);
    expect(result.TemplateBody).toContain("AWS::SNS::Topic");
  });
});

describe("the lean path's semantics are the spoke client's", () => {
  it("runs after the write gate and the event-loop turns, and a write never takes it", async () => {
    const clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION);
    const order = clients.cloudformation.middlewareStack.identify().map((e) => e.split(" ")[0]);
    expect(order.indexOf("driftguardWriteGate")).toBeLessThan(order.indexOf("driftguardLoopTurns"));
    expect(order.indexOf("driftguardLoopTurns")).toBeLessThan(order.indexOf("driftguardLeanQuery"));
    const { result: err, attempts } = await attemptsOf(() => rejection(clients.cloudformation.send(new DeleteStackCommand({ StackName: stackId }))));
    clients.destroy();
    expect(err).toBeInstanceOf(UnapprovedWriteError);
    expect(attempts).toEqual([]);
  });

  it("retries a throttled read on the account-region's bucket, which the throttle cuts, as the SDK's path does", async () => {
    const outcomes: { lean: boolean; attempts: number | undefined; throttles: number; rate: number; published: string[] }[] = [];
    for (const lean of [true, false]) {
      sandbox.setFaults([{ service: "cloudformation", action: "DescribeStackDriftDetectionStatus", error: "Throttling", message: "Rate exceeded", times: 1 }]);
      const budget = new AdaptiveRateLimiter({ perSecond: 10, maxInFlight: 4 }, systemClock);
      const clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION, { cloudformationRateLimiter: budget, lean });
      const { result, attempts } = await attemptsOf(() => clients.cloudformation.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId })));
      clients.destroy();
      expect(result.DetectionStatus).toBe("DETECTION_COMPLETE");
      expect(budget.queued).toBe(0);
      outcomes.push({ lean, attempts: result.$metadata.attempts, throttles: budget.throttles, rate: budget.rate, published: attempts.map((a) => a.error?.name ?? "ok") });
    }
    expect(outcomes[0]).toMatchObject({ attempts: 2, throttles: 1, published: ["Throttling", "ok"] });
    expect(outcomes[1]).toMatchObject({ attempts: 2, throttles: 1, published: [] });
    expect(outcomes[0]!.rate).toBeCloseTo(outcomes[1]!.rate);
    expect(outcomes[0]!.rate).toBeLessThan(10);
  });

  it("retries a 5xx answer (transient) and gives up on a client error at once", async () => {
    sandbox.setFaults([{ service: "cloudformation", action: "ListStackResources", error: "InternalFailure", status: 500, times: 1 }]);
    const clients = sandboxSpokeClients(sandbox, WORKLOAD, REGION);
    const { result, attempts } = await attemptsOf(() => clients.cloudformation.send(new ListStackResourcesCommand({ StackName: stackId })));
    expect(attempts.map((a) => a.error?.name ?? "ok")).toEqual(["InternalFailure", "ok"]);
    expect(result.$metadata.attempts).toBe(2);

    sandbox.setFaults([{ service: "cloudformation", action: "DescribeStacks", error: "AccessDenied", status: 403 }]);
    const { result: err, attempts: denied } = await attemptsOf(() => rejection(clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackId }))));
    clients.destroy();
    expect(denied).toHaveLength(1);
    expect(err.name).toBe("AccessDenied");
    expect((err.$metadata as { attempts?: number; httpStatusCode?: number }).attempts).toBe(1);
    expect((err.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(403);
  });

  it("signs each attempt with the credentials the provider holds now: expiring ones are refreshed, expired ones fail as on the SDK's path", async () => {
    // Credentials within the SDK's 5-minute refresh window are fetched again before the next request.
    const minted: string[] = [];
    const provider = async () => {
      const session = spokeSession(sandbox, WORKLOAD, `lean-${minted.length}`);
      minted.push(session.accessKeyId);
      return { ...session, expiration: new Date(Date.now() + 60_000) };
    };
    sandboxSpokeClients(sandbox, WORKLOAD, REGION).destroy(); // points the SDK at the sandbox
    const spoke = createSpokeClients(WORKLOAD, REGION, provider);
    const { attempts } = await attemptsOf(async () => {
      await spoke.cloudformation.send(new DescribeStacksCommand({ StackName: stackId }));
      await spoke.cloudformation.send(new DescribeStacksCommand({ StackName: stackId }));
    });
    const keys = attempts.map((a) => /Credential=([^/]+)\//.exec(a.request.headers.authorization ?? "")?.[1]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    for (const key of keys) expect(minted).toContain(key);
    spoke.destroy();

    // A session past its expiry: the sandbox answers ExpiredToken, decoded as the SDK decodes it.
    const now = sandbox.runtime.now();
    const role = sandbox.world.accounts.get(WORKLOAD)!.roles.get("driftguard-spoke")!;
    const stale = mintRoleSession(sandbox.world, sandbox.runtime.random, WORKLOAD, role, "lean-expired", { issuedAt: now - 7_200_000, expiresAt: now - 3_600_000 });
    const credentials = { accessKeyId: stale.accessKeyId, secretAccessKey: stale.secretAccessKey, sessionToken: stale.sessionToken! };
    const errors = [];
    for (const lean of [true, false]) {
      const c = sandboxSpokeClients(sandbox, WORKLOAD, REGION, { credentials, lean });
      errors.push(await rejection(c.cloudformation.send(new DescribeStacksCommand({ StackName: stackId }))));
      c.destroy();
    }
    expect(errors[0]!.name).toBe("ExpiredToken");
    const view = (e: Error & Record<string, unknown>) => ({ ...exceptionView(e), fields: { ...e, $metadata: { ...(e.$metadata as object), requestId: undefined } } });
    expect(view(errors[0]!)).toEqual(view(errors[1]!));
  });
});
