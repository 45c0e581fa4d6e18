import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/accounts-file/index.js";
import { chooseExecution, describeExecution, effectiveExecution, ESTIMATE } from "../../../functions/scanner/execution-choice.js";

/** `hub.execution: auto` and synth's estimate, from the organization's shape and hub.scanEstimate. */

function org(accounts: number, regions: string[], hub = "") {
  const list = Array.from({ length: accounts }, (_, i) => `  - { id: "${String(200000000000 + i)}", name: a${i} }`).join("\n");
  return parseConfig(
    `version: 1\norganization: { id: o-example0001 }\nhub: { accountId: "111111111111", region: us-east-1, execution: auto${hub} }\ndefaults: { regions: [${regions.join(", ")}] }\naccounts:\n${list}\n`,
  );
}

describe("chooseExecution", () => {
  it("keeps a small organization in one invocation and says how long it should take", () => {
    const choice = chooseExecution(org(10, ["us-east-1", "eu-west-1"]));
    // 20 account-regions all at once: one detection (30 s) + overhead, then publishing.
    expect(choice.singleSeconds).toBe(30 + ESTIMATE.overheadSeconds + ESTIMATE.publishSeconds);
    expect(choice.execution).toBe("single");
    expect(describeExecution(choice)).toContain("hub.execution auto → single");
  });

  it("fans out when the single run's estimate passes half the timeout", () => {
    const regions = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"];
    // 200 × 4 account-regions over 256 slots (the sockets of 1,024 MB): 4 waves of 32 s.
    const medium = chooseExecution(org(200, regions));
    expect(medium.sizing.accountRegions).toBe(256);
    expect(medium.singleSeconds).toBe(4 * 32 + ESTIMATE.publishSeconds);
    expect(medium.execution).toBe("single");
    // 1,000 × 4: 16 waves, 522 s, past half the 900 s timeout.
    const big = chooseExecution(org(1000, regions));
    expect(big.singleSeconds).toBe(16 * 32 + ESTIMATE.publishSeconds);
    expect(big.execution).toBe("fanout");
    expect(effectiveExecution(org(1000, regions))).toBe("fanout");
    // 1,000 workers, 20 at once, each its 4 regions together: 50 waves of one account-region's time.
    expect(big.workerSeconds).toBe(32);
    expect(big.fanoutSeconds).toBe(50 * 32 + ESTIMATE.publishSeconds);
    expect(describeExecution(big)).toContain("each worker ≈ 32 s");
  });

  it("lets the throttle bound an account-region with many stacks", () => {
    const crowded = chooseExecution(org(1, ["us-east-1"], ", scanEstimate: { detectionSeconds: 5, stacksPerAccountRegion: 2000 }"));
    // 4,000 calls at 10 requests/s is 400 s, longer than any one detection.
    expect(crowded.singleSeconds).toBe(400 + ESTIMATE.overheadSeconds + ESTIMATE.publishSeconds);
    expect(crowded.execution).toBe("single");
  });

  it("never overrides an explicit choice, but warns when single cannot fit", () => {
    const config = org(1, ["us-east-1"], ", scanEstimate: { detectionSeconds: 3000 }");
    const forced = chooseExecution({ ...config, hub: { ...config.hub, execution: "single" } });
    expect(forced.execution).toBe("single");
    expect(describeExecution(forced)).toContain("WARNING: the estimate exceeds the timeout");
  });

  it("rejects an estimate that is not a positive number of seconds", () => {
    expect(() => org(1, ["us-east-1"], ", scanEstimate: { detectionSeconds: 0 }")).toThrow(/detectionSeconds/);
  });
});
