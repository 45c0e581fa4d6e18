import { describe, expect, it } from "vitest";
import { resolveAccounts } from "../../../functions/config/resolve.js";
import type { ResourceDrift } from "../../../functions/core/types.js";
import { leasedGuards, repairsWanted, s3RunBudget, type RunBudget } from "../../../functions/fanout/budget.js";
import type { StackRemediationInput, StackRemediationResult } from "../../../functions/remediation/engine.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import { createGuards, type GuardLimits } from "../../../functions/remediation/guards.js";
import { silentLogger } from "../scanner/fixtures.js";
import { testConfig } from "../../support/config.js";
import { awsError } from "../../support/aws.js";
import { useHubBucket } from "../../support/sandbox.js";

const KEY = "runs/20260102T030405Z-a1b2c3/budget.json";
const backoff = { sleep: async () => {}, random: () => 0.5 };

function drift(logicalResourceId: string, resourceType: string, status: ResourceDrift["status"] = "MODIFIED"): ResourceDrift {
  return { logicalResourceId, physicalResourceId: `${logicalResourceId}-1X2Y`, resourceType, status, differences: [] };
}

const config = testConfig(`
accounts:
  - id: "222222222222"
    name: payments-prod
    mode: remediate
    modeRules: [{ resourceTypes: [AWS::IAM::Role], mode: report }]
`);
const account = resolveAccounts(config)[0]!;

function stackInput(drifts: ResourceDrift[]): StackRemediationInput {
  return { account, drifts, stack: { stackName: "web-tier", stackId: "arn:aws:cloudformation:us-east-1:222222222222:stack/web-tier/1", tags: {} } } as StackRemediationInput;
}

describe("s3RunBudget", () => {
  // The hub's report bucket in a sandbox: real S3's conditional writes settle the race, over HTTP.
  const hub = useHubBucket();
  it("never grants more than maxPerRun to workers leasing at the same time, and takes back what they return", async () => {
    const { bucket } = hub;
    const budget = s3RunBudget(bucket.s3, bucket.bucket, KEY, 10, backoff);

    const granted = await Promise.all(Array.from({ length: 8 }, () => budget.lease(3)));
    expect(granted.reduce((a, b) => a + b, 0)).toBe(10);
    expect(bucket.conflicts).toBeGreaterThan(0); // they did race, and the conditional writes settled it
    expect(bucket.json(KEY)).toEqual({ version: 1, maxPerRun: 10, leased: 10 });

    expect(await budget.lease(1)).toBe(0);
    await budget.giveBack(2);
    expect(await budget.lease(5)).toBe(2);
  });

  it("does not write when nothing can be granted", async () => {
    const { bucket } = hub;
    const budget = s3RunBudget(bucket.s3, bucket.bucket, KEY, 1, backoff);
    await budget.lease(1);
    const etag = bucket.etag(KEY);
    const writes = bucket.keys().length;
    expect(await budget.lease(1)).toBe(0);
    expect(bucket.etag(KEY)).toBe(etag);
    expect(bucket.keys()).toHaveLength(writes);
  });
});

describe("repairsWanted", () => {
  it("counts drifted resources the engine could repair: remediate mode, not deleted", () => {
    const input = stackInput([drift("Web", "AWS::EC2::SecurityGroup"), drift("App", "AWS::IAM::Role"), drift("Queue", "AWS::SQS::Queue", "DELETED"), drift("Logs", "AWS::S3::Bucket")]);
    expect(repairsWanted(account, input)).toBe(2);
  });
});

/** A budget that records what it was asked, over a fixed pool shared by "other workers". */
function pool(size: number): RunBudget & { asked: number[]; returned: number[] } {
  let left = size;
  const asked: number[] = [];
  const returned: number[] = [];
  return {
    asked,
    returned,
    lease: async (wanted) => {
      asked.push(wanted);
      const granted = Math.min(wanted, left);
      left -= granted;
      return granted;
    },
    giveBack: async (count) => {
      returned.push(count);
      left += count;
    },
  };
}

async function guardsOver(budget: RunBudget, limits: Partial<GuardLimits> = {}) {
  const all: GuardLimits = { ...config.defaults.remediation, ...limits };
  const inner = await createGuards({ runId: "20260102T030405Z-a1b2c3", counting: "scan", limits: all, store: memoryFlappingStore() });
  return leasedGuards(inner, budget, all, silentLogger());
}

/** An engine that tries to reserve one repair per drift and says how each attempt went. */
function reservingEngine(results: string[]) {
  return async (input: StackRemediationInput): Promise<StackRemediationResult> => {
    await new Promise((resolve) => setImmediate(resolve));
    for (const d of input.drifts) {
      const r = input.guards.reserve(input.account.id);
      results.push(`${input.stack.stackName}/${d.logicalResourceId}: ${r.ok ? "ok" : r.reason}`);
    }
    return { exemption: { kind: "none" }, resources: [] };
  };
}

describe("leasedGuards", () => {
  const twoRepairs = stackInput([drift("Web", "AWS::EC2::SecurityGroup"), drift("Logs", "AWS::S3::Bucket")]);
  const oneRepair = (stackName: string) => ({ ...stackInput([drift("Web", "AWS::EC2::SecurityGroup")]), stack: { stackName, stackId: stackName, tags: {} } });

  it("leases what a stack may need before the engine runs, and the engine reserves from that lease", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget);
    const results: string[] = [];
    await lease.remediateStack(reservingEngine(results))(twoRepairs);
    expect(budget.asked).toEqual([2]);
    expect(results).toEqual(["web-tier/Web: ok", "web-tier/Logs: ok"]);
  });

  it("gives each of several stacks in flight its own lease", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget);
    const results: string[] = [];
    const remediate = lease.remediateStack(reservingEngine(results));
    await Promise.all([remediate(oneRepair("a")), remediate(oneRepair("b")), remediate(oneRepair("c"))]);
    expect(results.sort()).toEqual(["a/Web: ok", "b/Web: ok", "c/Web: ok"]);
    expect(budget.asked).toEqual([1, 1, 1]);
  });

  it("serves later stacks from what earlier ones did not use, and gives the rest back at the end", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget);
    const results: string[] = [];
    // The engine repairs nothing here (say, the resources were exempt): the lease stays unused.
    await lease.remediateStack(async () => ({ exemption: { kind: "none" }, resources: [] }))(twoRepairs);
    await lease.remediateStack(reservingEngine(results))(oneRepair("later"));
    expect(budget.asked).toEqual([2]);
    expect(results).toEqual(["later/Web: ok"]);
    await lease.release();
    expect(budget.returned).toEqual([1]);
    await lease.release();
    expect(budget.returned).toEqual([1]);
  });

  it("lets a stack in flight use what a stack that finished meanwhile left unused", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget, { maxPerAccount: 2 });
    const remediate = lease.remediateStack;
    let finishA!: () => void;
    const aDone = new Promise<void>((resolve) => (finishA = resolve));
    const results: string[] = [];
    // A leases the account's whole share (2) and ends up repairing nothing, B starts while A holds it.
    const a = remediate(async () => {
      await aDone;
      return { exemption: { kind: "none" }, resources: [] };
    })(twoRepairs);
    const b = remediate(async (input) => {
      await a;
      const r = input.guards.reserve(input.account.id);
      results.push(r.ok ? "ok" : r.reason);
      return { exemption: { kind: "none" }, resources: [] };
    })(oneRepair("b"));
    await new Promise((resolve) => setImmediate(resolve));
    finishA();
    await b;
    expect(budget.asked).toEqual([2]);
    expect(results).toEqual(["ok"]);
  });

  it("skips repairs once the run's budget is spent by other workers", async () => {
    const lease = await guardsOver(pool(1));
    const results: string[] = [];
    await lease.remediateStack(reservingEngine(results))(twoRepairs);
    expect(results).toEqual([
      "web-tier/Web: ok",
      "web-tier/Logs: blast radius: one more repair would exceed the limit of 50 per run (the run's workers have leased all of it)",
    ]);
  });

  it("keeps the per-account limit and its own reason", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget, { maxPerAccount: 1 });
    const results: string[] = [];
    await lease.remediateStack(reservingEngine(results))(twoRepairs);
    expect(budget.asked).toEqual([1]);
    expect(results[0]).toBe("web-tier/Web: ok");
    expect(results[1]).toContain("limit of 1 per account in 222222222222");
  });

  it("fails closed when the shared budget cannot be read", async () => {
    const lease = await guardsOver({
      lease: async () => {
        throw awsError("AccessDenied", "Access Denied", 403);
      },
      giveBack: async () => {},
    });
    const results: string[] = [];
    await lease.remediateStack(reservingEngine(results))(oneRepair("a"));
    expect(results[0]).toContain("could not be leased: AccessDenied: Access Denied");
  });

  it("asks for nothing when the stack has nothing it may repair, and never reserves outside a stack", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget);
    await lease.remediateStack(reservingEngine([]))(stackInput([drift("App", "AWS::IAM::Role"), drift("Queue", "AWS::SQS::Queue", "DELETED")]));
    expect(budget.asked).toEqual([]);
    expect(lease.guards.reserve(account.id).ok).toBe(false);
  });
});
