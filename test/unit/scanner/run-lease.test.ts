import { beforeEach, describe, expect, it } from "vitest";
import { RUN_LEASE_KEY } from "../../../functions/aws/bucket-layout.js";
import { acquireRunLease, joinRunLease, releaseRunLease, type LeaseRecord, type LeaseTarget } from "../../../functions/scanner/run-lease.js";
import { useHubBucket } from "../../support/sandbox.js";

/** The lease in the hub's report bucket of a sandbox, whose S3 has the conditional writes (If-Match, If-None-Match) of real S3. */

const TTL = 900_000;
const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const hub = useHubBucket();
let clock: { now: number };
let target: LeaseTarget;

beforeEach(() => {
  clock = { now: T0 };
  target = { s3: hub.bucket.s3, bucket: hub.bucket.bucket, backoff: { sleep: async () => {}, random: () => 0.5 }, now: () => clock.now };
});

const take = (runId: string, trigger = "schedule") => acquireRunLease(target, { runId, trigger, ttlMs: TTL });

describe("run lease", () => {
  it("is taken with If-None-Match when there is none, and lasts the Lambda timeout", async () => {
    expect(await take("r1")).toEqual({
      kind: "held",
      record: { version: 1, runId: "r1", trigger: "schedule", acquiredAt: "2026-12-01T10:00:00.000Z", expiresAt: "2026-12-01T10:15:00.000Z" },
    });
    expect(hub.bucket.json<LeaseRecord>(RUN_LEASE_KEY)?.runId).toBe("r1");
  });

  it("lets exactly one of two runs started at the same moment take it", async () => {
    const [a, b] = await Promise.all([take("r1"), take("r2", "manual")]);
    const kinds = [a.kind, b.kind].sort();
    expect(kinds).toEqual(["busy", "held"]);
    const busy = (a.kind === "busy" ? a : b) as Extract<typeof a, { kind: "busy" }>;
    const holder = a.kind === "held" ? "r1" : "r2";
    expect(busy.reason).toMatch(new RegExp(`^another run in progress \\(run ${holder}, (schedule|manual), since 2026-12-01T10:00:00.000Z, lease until 2026-12-01T10:15:00.000Z\\)$`));
    expect(hub.bucket.conflicts).toBeGreaterThan(0);
  });

  it("is taken over with If-Match once expired (a run killed at its timeout), never before", async () => {
    await take("r1");
    clock.now = T0 + TTL - 1;
    expect((await take("r2")).kind).toBe("busy");
    clock.now = T0 + TTL + 1;
    expect(await take("r2")).toMatchObject({ kind: "held", record: { runId: "r2" } });
  });

  it("is free again once released, and a release by a run that lost it changes nothing", async () => {
    await take("r1");
    expect(await releaseRunLease(target, "r-other")).toBeUndefined();
    expect(hub.bucket.json<LeaseRecord>(RUN_LEASE_KEY)?.releasedAt).toBeUndefined();
    expect(await releaseRunLease(target, "r1")).toBeUndefined();
    expect(hub.bucket.json<LeaseRecord>(RUN_LEASE_KEY)).toMatchObject({ runId: "r1", releasedAt: "2026-12-01T10:00:00.000Z" });
    expect((await take("r2")).kind).toBe("held");
  });

  it("is renewed by the fan-out workers of the run that holds it, and refused to others", async () => {
    await take("r1");
    clock.now = T0 + 600_000;
    expect(await joinRunLease(target, { runId: "r1", ttlMs: TTL })).toMatchObject({ kind: "held", record: { expiresAt: "2026-12-01T10:25:00.000Z" } });
    expect(await joinRunLease(target, { runId: "r2", ttlMs: TTL })).toMatchObject({ kind: "busy", reason: expect.stringContaining("run r2 no longer holds the run lease (held by run r1)") });
    await releaseRunLease(target, "r1");
    expect((await joinRunLease(target, { runId: "r1", ttlMs: TTL })).kind).toBe("busy");
  });

  it("fails closed, with a code, when the bucket cannot be read or written", async () => {
    // S3's own answer to a write the bucket policy or an SCP denies: 403 AccessDenied "Access Denied" (API_PutObject.html, S3 error codes).
    hub.sandbox.setFaults([{ service: "s3", action: "PutObject", error: "AccessDenied", message: "Access Denied" }]);
    expect(await take("r1")).toEqual({
      kind: "unavailable",
      error: {
        code: "RunLeaseUnavailable",
        message: `run lease s3://${hub.bucket.bucket}/state/run-lease.json could not be taken (AccessDenied: Access Denied); only security-critical drift is reverted in this run`,
      },
    });
  });

  it("treats a lease object that is not JSON as unavailable, not as free", async () => {
    await hub.bucket.put(RUN_LEASE_KEY, "garbage");
    expect((await take("r1")).kind).toBe("unavailable");
  });
});
