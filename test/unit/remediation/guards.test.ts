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

describe("blast radius", () => {
  it("stops at the per-account limit, then at the per-run limit", async () => {
    const guards = await createGuards({ runId: "r1", limits, store: memoryFlappingStore() });
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
    const guards = await createGuards({ runId: "r1", limits, store: memoryFlappingStore() });
    expect(guards.reserve("111122223333", 3).ok).toBe(false);
    expect(guards.reserve("111122223333", 2).ok).toBe(true);
  });
});

describe("flapping", () => {
  /** One run: repair the given resources, then save. */
  async function run(store: FlappingStore, runId: string, repaired: ResourceRef[], resetScope?: Parameters<Awaited<ReturnType<typeof createGuards>>["finish"]>[0]) {
    const guards = await createGuards({ runId, limits, store });
    const blocked = [role, bucket, other].map((r) => guards.flappingBlock(r));
    for (const r of repaired) guards.recordRepair(r, AT);
    await guards.finish(resetScope);
    return blocked;
  }

  it("flags a resource repaired in K consecutive runs and blocks it from then on", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role]);
    await run(store, "r2", [role]);
    expect(store.current().entries["111122223333/us-east-1/payments-core/AppInstanceRole"]).toMatchObject({ count: 2, flagged: false });
    expect((await run(store, "r3", [role]))[0]).toBeUndefined();

    const [blocked] = await run(store, "r4", []);
    expect(blocked).toBe(
      'flapping: repaired in 3 consecutive runs (last 2026-03-02T09:00:00.000Z); clear the "111122223333/us-east-1/payments-core/AppInstanceRole" entry of memory:state/flapping.json to re-enable',
    );
    // Flagged entries survive runs that do not repair them, until a person deletes them.
    expect((await run(store, "r5", []))[0]).toMatch(/^flapping:/);
  });

  it("restarts the count when a run does not repair the resource", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role]);
    await run(store, "r2", [role]);
    await run(store, "r3", [bucket]);
    await run(store, "r4", [role]);
    await run(store, "r5", [role]);
    expect(store.current().entries["111122223333/us-east-1/payments-core/AppInstanceRole"]).toMatchObject({ count: 2, flagged: false, lastRunId: "r5" });
    expect(store.current().entries["111122223333/us-east-1/payments-core/LedgerBucket"]).toBeUndefined();
  });

  it("counts a run once however often it repairs the resource", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role, role, role]);
    expect(store.current().entries["111122223333/us-east-1/payments-core/AppInstanceRole"]?.count).toBe(1);
  });

  it("resets only the accounts in scope (fan-out workers), or nothing (event path)", async () => {
    const store = memoryFlappingStore();
    await run(store, "r1", [role, other]);
    await run(store, "r2", [], { resetScope: { accounts: ["444455556666"] } });
    expect(Object.keys(store.current().entries)).toEqual(["111122223333/us-east-1/payments-core/AppInstanceRole"]);
    await run(store, "event-1", [], { resetScope: "none" });
    expect(Object.keys(store.current().entries)).toHaveLength(1);
  });

  it("fails closed when the record cannot be read, and does not overwrite it", async () => {
    const broken: FlappingStore = {
      location: "s3://reports/state/flapping.json",
      load: () => Promise.reject(awsError("AccessDenied", "Access Denied")),
      update: () => Promise.reject(new Error("must not be called")),
    };
    const guards = await createGuards({ runId: "r1", limits, store: broken });
    expect(guards.flappingBlock(role)).toBe(
      "flapping record s3://reports/state/flapping.json unreadable (AccessDenied: Access Denied); not repairing until it can be read",
    );
    guards.recordRepair(role, AT);
    await expect(guards.finish()).resolves.toBeUndefined();
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
