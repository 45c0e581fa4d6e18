import { describe, expect, it, vi } from "vitest";
import { resolveAccounts } from "../../../functions/config/resolve.js";
import type { ResourceDrift } from "../../../functions/core/types.js";
import { leasedGuards, repairsWanted, s3RunBudget, type RunBudget } from "../../../functions/fanout/budget.js";
import type { StackRemediationInput, StackRemediationResult } from "../../../functions/remediation/engine.js";
import { memoryFlappingStore } from "../../support/flapping.js";
import { createGuards, type GuardLimits, type RemediationGuards } from "../../../functions/remediation/guards.js";
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

  it("leaves a spent budget's record untouched, byte for byte, when it grants nothing", async () => {
    const { bucket } = hub;
    // Written by hand with other spacing: any write of the same record by the budget would change its bytes (and ETag).
    const record = '{ "version": 1, "maxPerRun": 2, "leased": 2 }';
    await bucket.put(KEY, record);
    const etag = bucket.etag(KEY);
    expect(await s3RunBudget(bucket.s3, bucket.bucket, KEY, 2, backoff).lease(1)).toBe(0);
    expect(bucket.etag(KEY)).toBe(etag);
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

async function guardsOver(budget: RunBudget, limits: Partial<GuardLimits> = {}, log = silentLogger()) {
  const all: GuardLimits = { ...config.defaults.remediation, ...limits };
  const inner = await createGuards({ runId: "20260102T030405Z-a1b2c3", counting: "scan", limits: all, store: memoryFlappingStore() });
  return leasedGuards(inner, budget, all, log);
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

describe("leasedGuards: what is leased, spare and given back", () => {
  const limits = (overrides: Partial<GuardLimits> = {}): GuardLimits => ({ ...config.defaults.remediation, ...overrides });
  const stackOf = (stackName: string, repairs: number): StackRemediationInput => ({
    ...stackInput(Array.from({ length: repairs }, (_, i) => drift(`Web${i}`, "AWS::EC2::SecurityGroup"))),
    stack: { stackName, stackId: stackName, tags: {} },
  });
  const none = async (): Promise<StackRemediationResult> => ({ exemption: { kind: "none" }, resources: [] });
  /** A stack that holds the lease it got for `repairs` and repairs nothing until `finish()` (`done` settles after). */
  const heldStack = (lease: Awaited<ReturnType<typeof guardsOver>>, stackName: string, repairs: number) => {
    let finish!: () => void;
    const released = new Promise<void>((resolve) => (finish = resolve));
    const done = lease.remediateStack(async () => {
      await released;
      return none();
    })(stackOf(stackName, repairs));
    return { done, finish };
  };
  /** An engine that makes the given reservations in order and records how each went. */
  const reserving =
    (results: string[], reservations: { count?: number; critical?: boolean }[]) =>
    async (input: StackRemediationInput): Promise<StackRemediationResult> => {
      for (const { count, critical } of reservations) {
        const r = input.guards.reserve(input.account.id, count, critical ? { critical } : {});
        results.push(r.ok ? "ok" : r.reason);
      }
      return none();
    };

  it("counts as leased only what the run's budget granted, so a later stack can lease the rest of the account's share", async () => {
    const budget = pool(1);
    const lease = await guardsOver(budget, { maxPerAccount: 3 });
    await lease.remediateStack(reservingEngine([]))(stackOf("a", 2)); // asks 2, granted 1
    await budget.giveBack(5); // other workers returned theirs meanwhile
    await lease.remediateStack(reservingEngine([]))(stackOf("b", 3));
    expect(budget.asked).toEqual([2, 2]); // 3 per account, 1 of them leased so far
  });

  it("refuses the account's last repair when the run's budget granted less than the stack asked", async () => {
    const lease = await guardsOver(pool(1), { maxPerAccount: 2 });
    const results: string[] = [];
    await lease.remediateStack(reservingEngine(results))(twoRepairsOf("web-tier"));
    expect(results).toEqual([
      "web-tier/Web0: ok",
      "web-tier/Web1: blast radius: one more repair would exceed the limit of 50 per run (the run's workers have leased all of it)",
    ]);
  });

  it("names how many repairs a refused reservation asked for", async () => {
    const lease = await guardsOver(pool(0));
    const results: string[] = [];
    await lease.remediateStack(reserving(results, [{ count: 2 }]))(twoRepairsOf("web-tier"));
    expect(results).toEqual(["blast radius: 2 more repairs would exceed the limit of 50 per run (the run's workers have leased all of it)"]);
  });

  it("counts a critical revert without a lease, and the account's limit then refuses with its own reason", async () => {
    const lease = await guardsOver(pool(0), { maxPerAccount: 1 });
    const results: string[] = [];
    await lease.remediateStack(reserving(results, [{ critical: true }, {}]))(twoRepairsOf("web-tier"));
    expect(results[0]).toBe("ok");
    expect(results[1]).toContain("limit of 1 per account in 222222222222");
  });

  it("keeps the lease of a reservation the account's limit refused, and gives it back at the end", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget, { maxPerAccount: 2 });
    const results: string[] = [];
    // Leases 2; the critical revert takes the account's first repair without a lease, so the third reservation is refused.
    await lease.remediateStack(reserving(results, [{ critical: true }, {}, {}]))(twoRepairsOf("web-tier"));
    expect(results.slice(0, 2)).toEqual(["ok", "ok"]);
    expect(results[2]).toContain("limit of 2 per account in 222222222222");
    await lease.release();
    expect(budget.returned).toEqual([1]);
  });

  it("moves what a finished stack left to a stack in flight, and gives back only what is still spare", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget, { maxPerAccount: 2 });
    const results: string[] = [];
    const a = heldStack(lease, "a", 2); // leases the account's whole share, repairs nothing
    const b = lease.remediateStack(async (input) => {
      await a.done;
      return reserving(results, [{}])(input);
    })(stackOf("b", 1)); // leased nothing: the share was taken
    await new Promise((resolve) => setImmediate(resolve));
    a.finish();
    await b;
    expect(results).toEqual(["ok"]);
    await lease.release();
    expect(budget.returned).toEqual([1]);
  });

  it("takes from the spare only what the reservation lacks, so another stack in flight can use the rest", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget, { maxPerAccount: 3 });
    const results: string[] = [];
    const a = heldStack(lease, "a", 2); // leases 2, repairs nothing
    const b = lease.remediateStack(async (input) => {
      await a.done;
      return reserving(results, [{}])(input); // its own lease of 1 is enough
    })(stackOf("b", 1));
    const c = lease.remediateStack(async (input) => {
      await b;
      return reserving(results, [{}])(input); // leased nothing (3 per account were leased): served from a's spare
    })(stackOf("c", 1));
    await new Promise((resolve) => setImmediate(resolve));
    a.finish();
    await c;
    expect(budget.asked).toEqual([2, 1]);
    expect(results).toEqual(["ok", "ok"]);
  });

  it("takes what it gave back off its lease, so the account's share can be leased again", async () => {
    const budget = pool(50);
    const lease = await guardsOver(budget, { maxPerAccount: 2 });
    await lease.remediateStack(none)(twoRepairsOf("a"));
    await lease.release();
    await lease.remediateStack(none)(twoRepairsOf("b"));
    expect(budget.asked).toEqual([2, 2]);
    expect(budget.returned).toEqual([2]);
  });

  it("says in the log when the budget cannot be leased or given back, and release does not throw", async () => {
    const log = silentLogger();
    const errors = vi.spyOn(log, "error");
    const denied = () => awsError("AccessDenied", "Access Denied", 403);
    let leases = 0;
    const lease = await guardsOver(
      {
        lease: async (wanted) => {
          if (leases++ > 0) throw denied();
          return wanted;
        },
        giveBack: async () => {
          throw denied();
        },
      },
      {},
      log,
    );
    await lease.remediateStack(none)(twoRepairsOf("a")); // leases 2, repairs nothing
    await lease.remediateStack(none)(stackOf("b", 3)); // 2 from the spare, the third's lease is refused
    await expect(lease.release()).resolves.toBeUndefined();
    const error = expect.objectContaining({ code: "AccessDenied" });
    expect(errors.mock.calls).toEqual([
      ["repair budget not leased; repairs in this stack are skipped", { error }],
      ["unused repair budget not given back; the run may repair less than its limit", { error }],
    ]);
  });

  it("hands the flapping, contested, record and finish calls to the worker's own guards", async () => {
    const inner = await createGuards({ runId: "20260102T030405Z-a1b2c3", counting: "scan", limits: limits(), store: memoryFlappingStore() });
    const trip = { guard: "flapping" as const, reason: "flapping: from the worker's guards" };
    const contested = { scans: 3, lastRepairedAt: "2026-01-02T03:04:05.000Z", changedBy: ["arn:aws:iam::222222222222:user/dev"] };
    const spied: RemediationGuards = {
      ...inner,
      flappingBlock: vi.fn(() => trip),
      contested: vi.fn(() => contested),
      recordRepair: vi.fn(),
      recordActor: vi.fn(),
      observeStack: vi.fn(),
      finish: vi.fn(async () => {}),
    };
    const { guards } = leasedGuards(spied, pool(1), limits(), silentLogger());
    const ref = { accountId: "222222222222", region: "us-east-1", stackName: "web-tier", logicalResourceId: "Web" };
    const stack = { accountId: "222222222222", region: "us-east-1", stackName: "web-tier" };
    const at = new Date("2026-01-02T03:04:05Z");
    const couldRepair = () => true;
    expect(guards.flappingBlock(ref, { critical: false })).toBe(trip);
    expect(guards.contested(ref)).toBe(contested);
    guards.recordRepair(ref, at);
    guards.recordActor(ref, "arn:aws:iam::222222222222:user/dev");
    guards.observeStack(stack, new Set(["Web"]), couldRepair);
    await guards.finish();
    expect(spied.flappingBlock).toHaveBeenCalledWith(ref, { critical: false });
    expect(spied.contested).toHaveBeenCalledWith(ref);
    expect(spied.recordRepair).toHaveBeenCalledWith(ref, at);
    expect(spied.recordActor).toHaveBeenCalledWith(ref, "arn:aws:iam::222222222222:user/dev");
    expect(spied.observeStack).toHaveBeenCalledWith(stack, new Set(["Web"]), couldRepair);
    expect(spied.finish).toHaveBeenCalledOnce();
  });

  function twoRepairsOf(stackName: string): StackRemediationInput {
    return stackOf(stackName, 2);
  }
});
