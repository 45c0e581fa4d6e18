import { describe, expect, it } from "vitest";
import { parseFanoutRequest } from "../../../functions/fanout/requests.js";
import { runKeys } from "../../../functions/aws/bucket-layout.js";

const RUN = "20260102T030405Z-a1b2c3";

describe("parseFanoutRequest", () => {
  it("reads the state machine's three payloads", () => {
    expect(parseFanoutRequest({ fanout: "plan", input: { trigger: "schedule" } })).toEqual({ step: "plan", trigger: "schedule" });
    expect(parseFanoutRequest({ fanout: "plan", input: { mode: "report" } })).toEqual({ step: "plan", trigger: "schedule", modeOverride: "report" });
    // A manual StartExecution with no input at all.
    expect(parseFanoutRequest({ fanout: "plan", input: {} })).toEqual({ step: "plan", trigger: "schedule" });
    // The state machine's Plan passes $$.Execution's name and start time (the run id derives from them).
    const execution = { name: "6f3c0d2e-5b1a-4c8e-9d7f-0a1b2c3d4e5f", startTime: "2026-01-02T03:04:05.123Z" };
    expect(parseFanoutRequest({ fanout: "plan", input: {}, execution })).toEqual({ step: "plan", trigger: "schedule", execution });
    expect(parseFanoutRequest({ fanout: "plan", input: {}, execution: { name: "", startTime: execution.startTime } })).toMatchObject({ problem: expect.stringContaining("execution.name") });
    expect(parseFanoutRequest({ fanout: "plan", input: {}, execution: { name: "x", startTime: "yesterday" } })).toMatchObject({ problem: expect.stringContaining("execution.startTime") });
    expect(parseFanoutRequest({ fanout: "scan", runId: RUN, accountId: "222222222222", modeOverride: "remediate" })).toEqual({
      step: "scan",
      item: { fanout: "scan", runId: RUN, accountId: "222222222222", modeOverride: "remediate" },
    });
    expect(parseFanoutRequest({ fanout: "reduce", runId: RUN })).toEqual({ step: "reduce", runId: RUN });
  });

  it("refuses ids that would not make the run's own S3 keys", () => {
    expect(parseFanoutRequest({ fanout: "reduce", runId: "../../reports" })).toEqual({ problem: 'runId "../../reports" is not a driftguard run id' });
    expect(parseFanoutRequest({ fanout: "scan", runId: RUN, accountId: "2222/../x" })).toMatchObject({ problem: expect.stringContaining("12-digit") });
    expect(parseFanoutRequest({ fanout: "plan", input: { mode: "fix" } })).toMatchObject({ problem: expect.stringContaining('"fix"') });
    expect(parseFanoutRequest({ fanout: "merge" })).toMatchObject({ problem: expect.stringContaining("plan, scan, reduce") });
  });
});

describe("runKeys", () => {
  it("puts a worker's failure where the state machine's States.Format writes it", () => {
    expect(runKeys(RUN).failure("222222222222")).toBe(`runs/${RUN}/failures/222222222222.json`);
    expect(runKeys(RUN).part("222222222222")).toBe(`runs/${RUN}/parts/222222222222.json`);
  });
});
