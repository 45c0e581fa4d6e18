import { describe, expect, it } from "vitest";
import { classifyInvocation, createHandler, type Routes, type ScanSummary } from "../../functions/handler.js";
import { logger } from "../../functions/core/logger.js";
import { lambdaContext } from "../../sandbox/harness/lambda-context.js";

logger.setLogLevel("SILENT");

/** EventBridge's payload for a rule with a schedule expression (EventBridge user guide). */
const scheduled = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "111111111111",
  time: "2026-01-02T03:00:00Z",
  region: "us-east-1",
  resources: ["arn:aws:events:us-east-1:111111111111:rule/driftguard-schedule"],
  detail: {},
};

/** A CloudTrail management event as EventBridge delivers it, forwarded from a spoke's bus. */
const cloudTrailChange = {
  version: "0",
  id: "6f1e8e0a-2a6b-4b0b-9a8a-3e6b2c1d0f9e",
  "detail-type": "AWS API Call via CloudTrail",
  source: "aws.iam",
  account: "222222222222",
  time: "2026-01-02T02:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: {
    eventVersion: "1.09",
    userIdentity: { type: "AssumedRole", arn: "arn:aws:sts::222222222222:assumed-role/Admin/alice", accountId: "222222222222" },
    eventTime: "2026-01-02T02:00:00Z",
    eventSource: "iam.amazonaws.com",
    eventName: "AttachRolePolicy",
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.7",
    requestParameters: { roleName: "payments-api-AppRole-1R2XMPL3Q4W5E", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    responseElements: null,
    eventID: "c7d1e2f3-0a1b-4c5d-8e9f-a0b1c2d3e4f5",
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: "222222222222",
  },
};

const context = lambdaContext(900_000, "driftguard-scanner");

describe("classifyInvocation", () => {
  it("routes EventBridge schedules and direct invokes to the scan", () => {
    expect(classifyInvocation(scheduled)).toEqual({ kind: "scan", trigger: "schedule" });
    expect(classifyInvocation({ trigger: "schedule" })).toEqual({ kind: "scan", trigger: "schedule" });
    expect(classifyInvocation({ trigger: "schedule", mode: "report" })).toEqual({ kind: "scan", trigger: "schedule", modeOverride: "report" });
  });

  it("routes CloudTrail API calls to the event path", () => {
    expect(classifyInvocation(cloudTrailChange)).toEqual({ kind: "change-event" });
  });

  it("names what it could not route", () => {
    expect(classifyInvocation({ trigger: "schedule", mode: "fix" })).toMatchObject({ kind: "unknown", description: expect.stringContaining('"fix"') });
    expect(classifyInvocation({ ...scheduled, source: "custom.app" })).toMatchObject({ kind: "unknown", description: expect.stringContaining('"Scheduled Event"') });
    expect(classifyInvocation(null)).toEqual({ kind: "unknown", description: "payload is null" });
    expect(classifyInvocation("run")).toEqual({ kind: "unknown", description: "payload is string" });
  });
});

describe("handler", () => {
  const summary: ScanSummary = { runId: "r", incomplete: false, totals: {} as ScanSummary["totals"], reportKey: "k", s3: true, sns: true };
  function recordingRoutes() {
    const calls: string[] = [];
    const routes: Routes = {
      scan: async (inv) => {
        calls.push(`scan ${inv.trigger} ${inv.modeOverride ?? "-"}`);
        return summary;
      },
      changeEvent: async (event) => {
        calls.push(`event ${(event as { id: string }).id}`);
        return { status: "dropped" };
      },
      fanout: async (request) => {
        calls.push(`fanout ${request.step}`);
        return summary;
      },
    };
    return { routes, calls };
  }

  it("delegates each kind of payload to its route", async () => {
    const { routes, calls } = recordingRoutes();
    const handler = createHandler(routes);
    await expect(handler(scheduled, context)).resolves.toBe(summary);
    await handler({ trigger: "schedule", mode: "remediate" }, context);
    await expect(handler(cloudTrailChange, context)).resolves.toEqual({ status: "dropped" });
    expect(calls).toEqual(["scan schedule -", "scan schedule remediate", `event ${cloudTrailChange.id}`]);
  });

  it("fails loudly on a payload it cannot route", async () => {
    const { routes, calls } = recordingRoutes();
    await expect(createHandler(routes)({ hello: "world" }, context)).rejects.toThrow("unrecognised invocation: no route for a payload with keys [hello]");
    expect(calls).toEqual([]);
  });
});
