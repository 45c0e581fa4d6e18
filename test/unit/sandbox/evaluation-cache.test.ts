import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { cachedSimulation, EvaluationMemo, exactEvaluation, prepareEvaluation, resourceClass, resourceIndependent } from "../../../sandbox/emulator/authorization/evaluation-cache.js";

/**
 * The emulator's evaluation memo may only merge questions the simulator answers alike: the
 * oracle is @cloud-copilot/iam-simulate itself, run on both requests of every merged pair.
 */

const ACCOUNT = "111122223333";
const STACK_A = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/app-a/11111111-2222-3333-4444-555555555555`;
const STACK_B = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/app-b/66666666-7777-8888-9999-000000000000`;

const allowAll = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cloudformation:*", Resource: "*" }] };
/** driftguard's spoke policy shape: Allow * plus a Deny scoped to some roles, for IAM writes only. */
const spokeLike = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["cloudformation:Describe*", "cloudformation:DetectStackDrift", "iam:PutRolePolicy"], Resource: "*" },
    { Effect: "Deny", Action: "iam:Put*", Resource: `arn:aws:iam::${ACCOUNT}:role/protected` },
  ],
};
const scopedToA = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cloudformation:DetectStackDrift", Resource: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/app-a/*` }] };

function simulation(policy: unknown, action: string, resource: string): Simulation {
  return {
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/driftguard/run`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { "aws:PrincipalAccount": ACCOUNT },
    },
    identityPolicies: [{ name: "inline", policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}

async function verdict(s: Simulation): Promise<string> {
  const r = await runSimulation(s, {});
  return r.resultType === "error" ? "error" : r.overallResult;
}

describe("resourceIndependent", () => {
  it("is true when every statement for the action allows or denies every resource", () => {
    expect(resourceIndependent([allowAll], "cloudformation:DetectStackDrift")).toBe(true);
    // The scoped Deny names iam:Put* only.
    expect(resourceIndependent([spokeLike], "cloudformation:DescribeStacks")).toBe(true);
  });

  it("is false when a statement that applies to the action names resources", () => {
    expect(resourceIndependent([spokeLike], "iam:PutRolePolicy")).toBe(false);
    expect(resourceIndependent([scopedToA], "cloudformation:detectstackdrift")).toBe(false);
    expect(resourceIndependent([{ Statement: { Effect: "Allow", NotAction: "s3:*", Resource: "arn:aws:sqs:*:*:q" } }], "cloudformation:GetTemplate")).toBe(false);
    expect(resourceIndependent([{ Statement: [{ Effect: "Allow", Action: "*", NotResource: "arn:aws:s3:::b" }] }], "cloudformation:GetTemplate")).toBe(false);
    expect(resourceIndependent(["{\"Statement\":[]}"], "cloudformation:GetTemplate")).toBe(false);
  });

  it("reads NotAction as every action but those", () => {
    const notS3 = { Statement: [{ Effect: "Deny", NotAction: "cloudformation:*", Resource: "arn:aws:s3:::b" }] };
    expect(resourceIndependent([notS3], "cloudformation:GetTemplate")).toBe(true);
    expect(resourceIndependent([notS3], "s3:GetObject")).toBe(false);
  });
});

describe("resourceClass", () => {
  it("keeps the ARN up to the resource type", () => {
    expect(resourceClass(STACK_A)).toBe(`arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack`);
    expect(resourceClass(`arn:aws:iam::${ACCOUNT}:role/path/name`)).toBe(`arn:aws:iam::${ACCOUNT}:role`);
    expect(resourceClass("arn:aws:s3:::bucket/key")).toBe("arn:aws:s3:::bucket");
    expect(resourceClass(`arn:aws:sns:eu-west-1:${ACCOUNT}:topic-name`)).toBe(`arn:aws:sns:eu-west-1:${ACCOUNT}:topic-name`);
    expect(resourceClass("*")).toBe("*");
    expect(resourceClass(`arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/*`)).toBe(`arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack*`);
  });
});

/** The key once the policy set's first (full) simulation validated it. */
async function keyOf(s: Simulation, policies: string): Promise<string> {
  await cachedSimulation(s, policies, undefined);
  return prepareEvaluation(s, policies).key;
}

describe("prepareEvaluation", () => {
  it("merges two stacks only where the simulator answers both alike", async () => {
    const cases: [unknown, string, boolean][] = [
      [allowAll, "cloudformation:DetectStackDrift", true],
      [spokeLike, "cloudformation:DescribeStacks", true],
      [scopedToA, "cloudformation:DetectStackDrift", false],
    ];
    for (const [policy, action, merged] of cases) {
      const a = simulation(policy, action, STACK_A);
      const b = simulation(policy, action, STACK_B);
      const name = JSON.stringify(policy);
      expect((await keyOf(a, name)) === (await keyOf(b, name))).toBe(merged);
      if (merged) expect(await verdict(a)).toBe(await verdict(b));
    }
    // The oracle for the unmerged case: the simulator does tell the two stacks apart.
    expect(await verdict(simulation(scopedToA, "cloudformation:DetectStackDrift", STACK_A))).toBe("Allowed");
    expect(await verdict(simulation(scopedToA, "cloudformation:DetectStackDrift", STACK_B))).not.toBe("Allowed");
  });

  it("keeps the exact request when a resource policy takes part", () => {
    const a = simulation(allowAll, "s3:GetObject", "arn:aws:s3:::bucket/a");
    const b = simulation(allowAll, "s3:GetObject", "arn:aws:s3:::bucket/b");
    expect(exactEvaluation(a, "rp", { Statement: [] }).key).not.toBe(exactEvaluation(b, "rp", { Statement: [] }).key);
    expect(exactEvaluation(a, "rp", { Statement: [] }).simulation).toBe(a);
  });

  it("still rejects a policy set with an invalid statement the action does not match", async () => {
    const broken = { Version: "2012-10-17", Statement: [allowAll.Statement[0], { Effect: "Allow", Action: "s3:GetObject", Resource: "*", Bogus: 1 }] };
    const first = await cachedSimulation(simulation(broken, "cloudformation:DetectStackDrift", STACK_A), "broken", undefined);
    const second = await cachedSimulation(simulation(broken, "cloudformation:DetectStackDrift", STACK_B), "broken", undefined);
    expect(first.resultType).toBe("error");
    expect(second.resultType).toBe("error");
  });

  it("drops context keys no applying statement reads, and keeps those one does", async () => {
    const inRegion = (policy: unknown, region: string) => {
      const s = simulation(policy, "cloudformation:DetectStackDrift", STACK_A);
      return { ...s, request: { ...s.request, contextVariables: { ...s.request.contextVariables, "aws:RequestedRegion": region } } };
    };
    expect(await keyOf(inRegion(allowAll, "eu-west-1"), "all")).toBe(await keyOf(inRegion(allowAll, "us-east-1"), "all"));
    const regional = { Statement: [{ Effect: "Allow", Action: "cloudformation:*", Resource: "*", Condition: { StringEquals: { "aws:requestedregion": "eu-west-1" } } }] };
    expect(await keyOf(inRegion(regional, "eu-west-1"), "regional")).not.toBe(await keyOf(inRegion(regional, "us-east-1"), "regional"));
    expect(await verdict(inRegion(regional, "eu-west-1"))).toBe("Allowed");
    expect(await verdict(inRegion(regional, "us-east-1"))).not.toBe("Allowed");
  });

  it("answers as the full simulation does, for allowed, implicitly and explicitly denied requests", async () => {
    const policies = [allowAll, spokeLike, scopedToA, { Statement: [{ Effect: "Deny", NotAction: "iam:*", Resource: "*" }, { Effect: "Allow", Action: "*", Resource: "*" }] }];
    const actions = ["cloudformation:DetectStackDrift", "cloudformation:GetTemplate", "iam:PutRolePolicy", "s3:GetObject"];
    const resources = [STACK_A, STACK_B, `arn:aws:iam::${ACCOUNT}:role/protected`, `arn:aws:iam::${ACCOUNT}:role/app`, "*"];
    for (const [i, policy] of policies.entries()) {
      for (const action of actions) {
        for (const resource of resources) {
          const s = simulation(policy, action, resource);
          const cached = await cachedSimulation(s, `oracle-${i}`, undefined);
          expect(cached.resultType === "error" ? "error" : cached.overallResult, `${i} ${action} ${resource}`).toBe(await verdict(s));
        }
      }
    }
  });
});

describe("EvaluationMemo", () => {
  it("computes each answer once, forgets failures and drops the oldest entry when full", async () => {
    const memo = new EvaluationMemo<number>(2);
    let runs = 0;
    const run = async () => ++runs;
    expect(await memo.get("a", run)).toBe(1);
    expect(await memo.get("a", run)).toBe(1);
    await expect(memo.get("bad", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(memo.size).toBe(1);
    await memo.get("b", run);
    await memo.get("c", run);
    expect(memo.size).toBe(2);
    expect(await memo.get("a", run)).toBe(4);
  });
});
