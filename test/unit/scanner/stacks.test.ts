import "aws-sdk-client-mock-vitest/extend";
import { CloudFormationClient, ListStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { globExclusion, listLiveStacks, selectStacks } from "../../../functions/scanner/stacks.js";
import { stackId, stackSummary } from "./fixtures.js";

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());
const A = "222222222222";
const R = "us-east-1";

describe("stacks", () => {
  it("lists every page and leaves deleted stacks out at the API", async () => {
    cfn
      .on(ListStacksCommand)
      .resolvesOnce({ StackSummaries: [stackSummary(A, R, "core-network")], NextToken: "page-2-token" })
      .resolvesOnce({ StackSummaries: [stackSummary(A, R, "payments-api", "UPDATE_COMPLETE")] });
    const stacks = await listLiveStacks(new CloudFormationClient({ region: R }));
    expect(stacks.map((s) => s.StackName)).toEqual(["core-network", "payments-api"]);
    expect(cfn).toHaveReceivedCommandTimes(ListStacksCommand, 2);
    expect(cfn).toHaveReceivedNthCommandWith(ListStacksCommand, 2, { NextToken: "page-2-token" });
    const filter = cfn.commandCalls(ListStacksCommand)[0]!.args[0].input.StackStatusFilter!;
    expect(filter).toContain("UPDATE_ROLLBACK_FAILED");
    expect(filter).not.toContain("DELETE_COMPLETE");
  });

  it("targets drift-detectable stacks, nested ones individually, and says why others are skipped", () => {
    const plan = selectStacks(
      [
        stackSummary(A, R, "payments-api", "UPDATE_ROLLBACK_COMPLETE"),
        stackSummary(A, R, "payments-api-Queues-1A2B3C", "UPDATE_COMPLETE", "payments-api"),
        stackSummary(A, R, "payments-broken", "ROLLBACK_COMPLETE"),
        stackSummary(A, R, "payments-busy", "UPDATE_IN_PROGRESS"),
        stackSummary(A, R, "sandbox-alice", "CREATE_COMPLETE"),
        stackSummary(A, R, "other-team", "CREATE_COMPLETE"),
        stackSummary(A, R, "payments-imported", "IMPORT_COMPLETE"),
      ],
      { include: ["payments-*", "sandbox-*"], exclude: ["sandbox-*"] },
    );
    expect(plan.targets.map((t) => t.stackName)).toEqual(["payments-api", "payments-api-Queues-1A2B3C", "payments-imported"]);
    expect(plan.targets[1]).toMatchObject({ parentStackId: stackId(A, R, "payments-api"), stackId: stackId(A, R, "payments-api-Queues-1A2B3C") });
    expect(Object.fromEntries(plan.skipped.map((s) => [s.stackName, s.scanReason]))).toEqual({
      "payments-broken": "status ROLLBACK_COMPLETE does not allow drift detection",
      "payments-busy": "status UPDATE_IN_PROGRESS does not allow drift detection",
      "sandbox-alice": 'excluded by stacks.exclude glob "sandbox-*"',
      "other-team": "not matched by stacks.include [payments-*, sandbox-*]",
    });
    expect(plan.skipped.every((s) => s.scan === "skipped" && s.resources.length === 0)).toBe(true);
    expect(plan.skipped.find((s) => s.stackName === "payments-busy")?.stackStatus).toBe("UPDATE_IN_PROGRESS");
  });

  it("shares the selection with other paths", () => {
    expect(globExclusion("payments-api", { include: ["*"], exclude: ["sandbox-*"] })).toBeUndefined();
    expect(globExclusion("sandbox-1", { include: ["*"], exclude: ["sandbox-*"] })).toBe('excluded by stacks.exclude glob "sandbox-*"');
  });
});
