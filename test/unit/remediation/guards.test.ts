import { GetObjectCommand, type GetObjectCommandOutput, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { memoryFlappingStore } from "../../support/flapping.js";
import { s3FlappingStore, type FlappingRecord, type FlappingStore } from "../../../functions/remediation/flapping-store.js";
import { createGuards, type ResourceRef } from "../../../functions/remediation/guards.js";
import { awsError } from "./helpers.js";

const limits = { maxPerRun: 3, maxPerAccount: 2, flappingThreshold: 3 };
const role: ResourceRef = { accountId: "111122223333", region: "us-east-1", stackName: "payments-core", logicalResourceId: "AppInstanceRole" };
const bucket: ResourceRef = { ...role, logicalResourceId: "LedgerBucket" };
const other: ResourceRef = { ...role, accountId: "444455556666" };
const AT = new Date("2026-03-02T09:00:00Z");

const scanGuards = (store: FlappingStore, runId: string, extra: Partial<Parameters<typeof createGuards>[0]> = {}) => createGuards({ runId, limits, store, counting: "scan", ...extra });

describe("blast radius", () => {
  it("stops at the per-account limit, then at the per-run limit", async () => {
    const guards = await scanGuards(memoryFlappingStore(), "r1");
    expect(guards.reserve("111122223333")).toEqual({ ok: true });
    expect(guards.reserve("111122223333")).toEqual({ ok: true });
    expect(guards.reserve("111122223333")).toEqual({
      ok: false,
      reason: "blast radius: one more repair would exceed the limit of 2 per account in 111122223333 (2 made)",
    });
    expect(guards.reserve("444455556666")).toEqual({ ok: true });
    expect(guards.reserve("777788889999")).toEqual({ ok: false, reason: "blast radius: one more repair would exceed the limit of 3 per run (3 made)" });
  });

  it("reserves several repairs all or nothing", async () => {
    const guards = await scanGuards(memoryFlappingStore(), "r1");
    expect(guards.reserve("111122223333", 3).ok).toBe(false);
    expect(guards.reserve("111122223333", 2).ok).toBe(true);
  });

  it("never refuses a security-critical revert, but counts it against the rest", async () => {
    const guards = await scanGuards(memoryFlappingStore(), "r1");
    expect(guards.reserve("111122223333", 2).ok).toBe(true);
    expect(guards.reserve("111122223333", 1, { critical: true })).toEqual({ ok: true });
    expect(guards.reserve("444455556666", 5, { critical: true })).toEqual({ ok: true });
    expect(guards.reserve("777788889999").ok).toBe(false);
  });
});

describe("flapping", () => {
  const ROLE_KEY = "111122223333/us-east-1/payments-core/AppInstanceRole";
  const stackOf = (r: ResourceRef) => ({ accountId: r.accountId, region: r.region, stackName: r.stackName });
  const remediate = () => true;

  /** One scheduled run: repair `repaired`, see `inSync` in sync in a completed detection, then save. */
  async function run(store: FlappingStore, runId: string, repaired: ResourceRef[], inSync: ResourceRef[] = [], couldRepair: (t?: string) => boolean = remediate) {
    const guards = await scanGuards(store, runId);
    const blocked = [role, bucket, other].map((r) => guards.flappingBlock(r));
    for (const r of repaired) guards.recordRepair(r, AT);
    for (const r of inSync) guards.observeStack(stackOf(r), new Set(repaired.map((x) => x.logicalResourceId)), couldRepair);
    await guards.finish();
    return blocked;
  }

  it("flags a resource repaired in K consecutive scans and blocks it from then on, as contested", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role]);
    await run(store, "r2", [role]);
    expect(store.current().entries[ROLE_KEY]).toMatchObject({ count: 2, flagged: false });
    expect((await run(store, "r3", [role]))[0]).toBeUndefined();

    const guards = await scanGuards(store, "r4");
    expect(guards.flappingBlock(role)).toEqual({
      guard: "flapping",
      reason: `flapping: re-drifted and repaired in 3 consecutive scans (last 2026-03-02T09:00:00.000Z); clear the "${ROLE_KEY}" entry of memory:state/flapping.json to re-enable`,
    });
    expect(guards.contested(role)).toEqual({ scans: 3, lastRepairedAt: "2026-03-02T09:00:00.000Z", changedBy: [] });
    // Flagged entries survive runs that see the resource in sync, until a person deletes them.
    await run(store, "r5", [], [role]);
    expect((await run(store, "r6", []))[0]?.guard).toBe("flapping");
  });

  it("does not hold back security-critical drift, even when flagged or when the record is unreadable", async () => {
    const store = memoryFlappingStore({ version: 1, entries: { [ROLE_KEY]: { count: 5, lastRunId: "r0", lastRepairedAt: AT.toISOString(), flagged: true } } });
    const guards = await scanGuards(store, "r1");
    expect(guards.flappingBlock(role, { critical: true })).toBeUndefined();
    expect(guards.flappingBlock(role)?.guard).toBe("flapping");
    const broken = await scanGuards({ location: "s3://b/state/flapping.json", load: () => Promise.reject(new SyntaxError("Unexpected token")), update: () => Promise.reject(new Error("no")) }, "r1");
    expect(broken.flappingBlock(role, { critical: true })).toBeUndefined();
    expect(broken.flappingBlock(role)?.guard).toBe("guard-state");
  });

  it("resets a counter only when a completed detection in remediate mode saw the resource in sync", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role]);
    await run(store, "r2", [role]);
    // A run that did not look at the role (another stack failed, the account was not reached): no change.
    await run(store, "r3", [bucket]);
    expect(store.current().entries[ROLE_KEY]?.count).toBe(2);
    // A run in report mode looked but could not have repaired: no change.
    await run(store, "r4", [], [role], () => false);
    expect(store.current().entries[ROLE_KEY]?.count).toBe(2);
    // A run in remediate mode that saw it in sync: the count restarts.
    await run(store, "r5", [], [role]);
    expect(store.current().entries[ROLE_KEY]).toBeUndefined();
  });

  it("resets per resource type when mode rules differ by type", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [{ ...role, resourceType: "AWS::IAM::Role" }, { ...bucket, resourceType: "AWS::S3::Bucket" }]);
    await run(store, "r2", [], [role], (type) => type === "AWS::S3::Bucket");
    expect(Object.keys(store.current().entries)).toEqual([ROLE_KEY]);
  });

  it("counts a run once however often it repairs the resource, and a retried save once", async () => {
    const store = memoryFlappingStore();
    const guards = await scanGuards(store, "r1");
    guards.recordRepair(role, AT);
    guards.recordRepair(role, AT);
    await guards.finish();
    await guards.finish();
    expect(store.current().entries[ROLE_KEY]?.count).toBe(1);
  });

  it("never counts events: four AttachRolePolicy in a second leave the counter where it was (issue 12)", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role]);
    for (let i = 0; i < 4; i++) {
      const events = await createGuards({ runId: `event-${i}`, limits, store, counting: "event" });
      expect(events.flappingBlock(role)).toBeUndefined();
      events.recordRepair(role, AT);
      events.recordActor(role, "arn:aws:iam::111122223333:user/mallory");
      await events.finish();
    }
    expect(store.current().entries[ROLE_KEY]).toMatchObject({ count: 1, flagged: false, eventRepairs: 4, changedBy: ["arn:aws:iam::111122223333:user/mallory"] });
    // The next scan that repairs it counts one, and forgets the events.
    await run(store, "r2", [role]);
    expect(store.current().entries[ROLE_KEY]).toMatchObject({ count: 2, flagged: false });
    expect(store.current().entries[ROLE_KEY]?.eventRepairs).toBeUndefined();
  });

  it("keeps the last few who changed a contested resource, most recent last", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role]);
    const guards = await scanGuards(store, "r2");
    for (const who of ["a", "b", "a", "c", "d", "e", "f"]) guards.recordActor(role, `arn:aws:iam::111122223333:user/${who}`);
    await guards.finish();
    expect(store.current().entries[ROLE_KEY]?.changedBy).toEqual(["b", "c", "d", "e", "f"].map((w) => `arn:aws:iam::111122223333:user/${w}`).slice(-5));
  });

  it("fails closed when the record cannot be read, says so as a run error, and does not overwrite it", async () => {
    const broken: FlappingStore = {
      location: "s3://reports/state/flapping.json",
      load: () => Promise.reject(awsError("AccessDenied", "Access Denied")),
      update: () => Promise.reject(new Error("must not be called")),
    };
    const guards = await scanGuards(broken, "r1");
    expect(guards.stateProblem).toEqual({
      code: "GuardStateUnreadable",
      message:
        "flapping record s3://reports/state/flapping.json unreadable (AccessDenied: Access Denied); only security-critical drift is reverted until it can be read: fix its JSON, restore a previous version or delete it to start counting again",
    });
    expect(guards.flappingBlock(role)).toEqual({ guard: "guard-state", reason: guards.stateProblem?.message });
    guards.recordRepair(role, AT);
    await expect(guards.finish()).resolves.toBeUndefined();
  });

  it("stops non-critical repairs when another guard cannot be evaluated (the run lease)", async () => {
    const blockedBy = { code: "RunLeaseUnavailable", message: "run lease s3://b/state/run-lease.json could not be taken (AccessDenied: no)" };
    const guards = await scanGuards(memoryFlappingStore(), "r1", { blockedBy });
    expect(guards.stateProblem).toBeUndefined();
    expect(guards.flappingBlock(role)).toEqual({ guard: "guard-state", reason: blockedBy.message });
    expect(guards.flappingBlock(role, { critical: true })).toBeUndefined();
  });
});

describe("s3FlappingStore", () => {
  const s3 = mockClient(S3Client);
  const store = s3FlappingStore(new S3Client({ region: "us-east-1" }), "driftguard-reports", { sleep: async () => {}, random: () => 0 });
  /** The part of GetObject's streaming body the store uses. */
  const text = (value: string) => ({ transformToString: async () => value }) as unknown as NonNullable<GetObjectCommandOutput["Body"]>;
  const body = (record: FlappingRecord) => text(JSON.stringify(record));
  const record: FlappingRecord = { version: 1, entries: { "a/b/c/d": { count: 1, lastRunId: "r0", lastRepairedAt: "2026-01-01T00:00:00.000Z", flagged: false } } };

  beforeEach(() => s3.reset());

  it("starts empty when the object does not exist, and creates it only if still absent", async () => {
    s3.on(GetObjectCommand).rejects(awsError("NoSuchKey", "The specified key does not exist."));
    await expect(store.load()).resolves.toEqual({ version: 1, entries: {} });

    await store.update(() => record);
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: "driftguard-reports", Key: "state/flapping.json", IfNoneMatch: "*", ContentType: "application/json" });
    expect(JSON.parse(String(put?.Body))).toEqual(record);
  });

  it("writes against the ETag it read and re-applies the change when another writer got in first", async () => {
    const newer: FlappingRecord = { version: 1, entries: { ...record.entries, "x/y/z/w": { ...record.entries["a/b/c/d"]!, lastRunId: "other" } } };
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(record), ETag: '"v1"' })
      .resolves({ Body: body(newer), ETag: '"v2"' });
    s3.on(PutObjectCommand, { IfMatch: '"v1"' }).rejects(awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"));
    s3.on(PutObjectCommand, { IfMatch: '"v2"' }).resolves({});

    await store.update((current) => ({ ...current, entries: { ...current.entries, "n/e/w/1": { ...record.entries["a/b/c/d"]!, lastRunId: "mine" } } }));

    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(2);
    expect(Object.keys(JSON.parse(String(puts[1]?.args[0].input.Body)).entries).sort()).toEqual(["a/b/c/d", "n/e/w/1", "x/y/z/w"]);
  });

  it("refuses a record that is not one", async () => {
    s3.on(GetObjectCommand).resolves({ Body: text('{"entries":[]}'), ETag: '"v1"' });
    await expect(store.load()).rejects.toThrow(/s3:\/\/driftguard-reports\/state\/flapping.json is not a flapping record/);
  });
});
