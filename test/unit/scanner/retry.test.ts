import { describe, expect, it } from "vitest";
import type { EffectiveAccount } from "../../../functions/config/resolve.js";
import type { AccountReport } from "../../../functions/core/types.js";
import { NO_DEADLINE } from "../../../functions/core/deadline.js";
import { failureInfo, isRetryableFailure, RETRY_AFTER_MS, scanWithRetry } from "../../../functions/scanner/retry.js";
import type { ScanContext } from "../../../functions/scanner/types.js";
import { silentLogger } from "./fixtures.js";

/** SDK service errors as the SDK raises them: the code in `name`, the HTTP status in $metadata. */
const sdkError = (name: string, status: number, fault: "client" | "server") => Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });

const account = (id: string, regions = ["us-east-1", "eu-west-1"]): EffectiveAccount =>
  ({ id, name: `acct-${id}`, regions, mode: "remediate", stacks: { include: ["*"], exclude: [] }, modeRules: [], revertDriftStacks: [], cloudTrailLookup: false, ignore: [] }) as EffectiveAccount;

function context(clock: { now: number }, sleeps: number[]): ScanContext {
  return {
    deps: { now: () => clock.now, sleep: async (ms: number) => void (sleeps.push(ms), (clock.now += ms)) },
    deadline: NO_DEADLINE,
  } as unknown as ScanContext;
}

describe("retryable failures", () => {
  it("are 5xx and throttling as the SDK classifies them, not access or validation errors", () => {
    expect(isRetryableFailure(sdkError("ServiceUnavailable", 503, "server"))).toBe(true);
    expect(isRetryableFailure(sdkError("InternalFailure", 500, "server"))).toBe(true);
    expect(isRetryableFailure(sdkError("Throttling", 400, "client"))).toBe(true);
    expect(isRetryableFailure(sdkError("AccessDenied", 403, "client"))).toBe(false);
    expect(isRetryableFailure(sdkError("ValidationError", 400, "client"))).toBe(false);
    expect(isRetryableFailure("not an error")).toBe(false);
  });
});

describe("scanWithRetry", () => {
  const unavailable = failureInfo({ code: "ServiceUnavailable", message: "Service Unavailable" }, sdkError("ServiceUnavailable", 503, "server"));
  const denied = failureInfo({ code: "AccessDenied", message: "denied" }, sdkError("AccessDenied", 403, "client"));

  it("retries a retryably failed account once, after the rest and at least RETRY_AFTER_MS after the failure", async () => {
    const clock = { now: 0 };
    const sleeps: number[] = [];
    const calls: string[] = [];
    let attempts = 0;
    const scan = async (a: EffectiveAccount): Promise<AccountReport> => {
      calls.push(a.id);
      clock.now += 1_000;
      if (a.id === "111111111111" && attempts++ === 0) return { accountId: a.id, name: a.name, mode: "remediate", status: "failed", error: unavailable, regions: [] };
      return { accountId: a.id, name: a.name, mode: "remediate", status: "scanned", regions: a.regions.map((region) => ({ region, status: "scanned", stacks: [] })) };
    };
    const reports = await scanWithRetry(context(clock, sleeps), [account("111111111111"), account("222222222222")], scan, 1, silentLogger());
    expect(calls).toEqual(["111111111111", "222222222222", "111111111111"]);
    expect(sleeps).toEqual([RETRY_AFTER_MS - 1_000]);
    expect(reports[0]).toMatchObject({ status: "scanned", retried: { error: { code: "ServiceUnavailable", message: "Service Unavailable" }, outcome: "recovered" } });
    // The in-run marker does not reach the report.
    expect(reports[0]?.retried?.error).toEqual({ code: "ServiceUnavailable", message: "Service Unavailable" });
    expect(reports[1]?.retried).toBeUndefined();
  });

  it("retries only the failed region of an account, and reports a second failure as failed-again", async () => {
    const clock = { now: 0 };
    const asked: string[][] = [];
    const scan = async (a: EffectiveAccount): Promise<AccountReport> => {
      asked.push(a.regions);
      return {
        accountId: a.id,
        name: a.name,
        mode: "remediate",
        status: "scanned",
        regions: a.regions.map((region) => (region === "eu-west-1" ? { region, status: "failed", error: unavailable, stacks: [] } : { region, status: "scanned", stacks: [] })),
      };
    };
    const [report] = await scanWithRetry(context(clock, []), [account("111111111111")], scan, 1, silentLogger());
    expect(asked).toEqual([["us-east-1", "eu-west-1"], ["eu-west-1"]]);
    expect(report?.regions).toEqual([
      { region: "us-east-1", status: "scanned", stacks: [] },
      { region: "eu-west-1", status: "failed", error: { code: "ServiceUnavailable", message: "Service Unavailable" }, stacks: [], retried: { error: { code: "ServiceUnavailable", message: "Service Unavailable" }, outcome: "failed-again" } },
    ]);
  });

  it("does not retry what trying again cannot fix", async () => {
    const calls: string[] = [];
    const scan = async (a: EffectiveAccount): Promise<AccountReport> => {
      calls.push(a.id);
      return { accountId: a.id, name: a.name, mode: "remediate", status: "failed", error: denied, regions: [] };
    };
    const [report] = await scanWithRetry(context({ now: 0 }, []), [account("111111111111")], scan, 1, silentLogger());
    expect(calls).toEqual(["111111111111"]);
    expect(report).toMatchObject({ status: "failed", error: { code: "AccessDenied", message: "denied" } });
    expect(report?.retried).toBeUndefined();
  });
});
