import { CloudFormationClient, DescribeStackDriftDetectionStatusCommand, DetectStackDriftCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

/**
 * The sandbox on a test's clock (SandboxOptions.clock): a drift detection takes latency.detectionMs
 * of that clock, so a test that drives time through the scanner's now/sleep sees detections finish
 * when its own clock says, however slow the machine. The clock starts at the machine's time, so
 * SigV4's 15-minute skew check still holds for the SDK's real signing time.
 */

const clock = { now: Date.now() };
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({
    clock: () => clock.now,
    latency: { detectionMs: [60_000, 60_000] },
    scenario: { stacks: [{ account: WORKLOAD, region: "us-east-1", name: "alerts", templateBody: JSON.stringify({ Resources: { Topic: { Type: "AWS::SNS::Topic", Properties: { DisplayName: "alerts" } } } }) }] },
  });
});
afterAll(() => sandbox?.close());

describe("the sandbox's clock", () => {
  it("completes a drift detection when the injected clock passes its duration, not before", async () => {
    const cfn = new CloudFormationClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
    const { StackDriftDetectionId } = await cfn.send(new DetectStackDriftCommand({ StackName: "alerts" }));
    const status = async () => (await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }))).DetectionStatus;

    expect(await status()).toBe("DETECTION_IN_PROGRESS");
    clock.now += 59_999;
    expect(await status()).toBe("DETECTION_IN_PROGRESS");
    clock.now += 1;
    expect(await status()).toBe("DETECTION_COMPLETE");
  });
});
