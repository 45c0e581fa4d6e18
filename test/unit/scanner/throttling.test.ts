import { Readable } from "node:stream";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { createSpokeClients, RETRY } from "../../../functions/aws/clients.js";
import { ADAPTIVE, AdaptiveRateLimiter } from "../../../functions/aws/rate-limit.js";
import { listLiveStacks } from "../../../functions/scanner/stacks.js";

/**
 * aws-sdk-client-mock replaces `send`, which bypasses the retry middleware; this test answers at
 * the HTTP layer instead so that the client's real retry strategy handles the Throttling error.
 */
const NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const THROTTLED = `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>0c3a1ad1-8e5f-4d3b-9d6e-7f1a2b3c4d5e</RequestId></ErrorResponse>`;
const LISTED = `<ListStacksResponse xmlns="${NS}"><ListStacksResult><StackSummaries><member><StackId>arn:aws:cloudformation:us-east-1:222222222222:stack/core-network/d0a825a0-e4cd-11ee-b9fb-061c69e99204</StackId><StackName>core-network</StackName><CreationTime>2024-05-01T10:00:00.000Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation></member></StackSummaries></ListStacksResult><ResponseMetadata><RequestId>5ccc7dcd-744c-11e5-be70-example</RequestId></ResponseMetadata></ListStacksResponse>`;

function httpAnswers(...answers: [number, string][]) {
  const requests: string[] = [];
  const handler = {
    async handle(request: { headers: Record<string, string> }) {
      requests.push(request.headers["amz-sdk-request"] ?? "");
      const [statusCode, body] = answers[Math.min(requests.length - 1, answers.length - 1)]!;
      return { response: { statusCode, reason: "", headers: { "content-type": "text/xml" }, body: Readable.from([Buffer.from(body)]) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  return { handler, requests };
}

describe("throttling", () => {
  it("the spoke clients' retry settings retry a Throttling answer and the call succeeds", async () => {
    const http = httpAnswers([400, THROTTLED], [200, LISTED]);
    const cfn = new CloudFormationClient({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
      requestHandler: http.handler,
      ...RETRY,
    });
    const stacks = await listLiveStacks(cfn);
    expect(stacks.map((s) => s.StackName)).toEqual(["core-network"]);
    expect(http.requests).toHaveLength(2);
    expect(http.requests[1]).toMatch(/attempt=2; max=8/);
    expect(await cfn.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
  });

  it("gives up after maxAttempts when throttling persists", async () => {
    const http = httpAnswers([400, THROTTLED]);
    const cfn = new CloudFormationClient({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      requestHandler: http.handler,
      retryMode: "adaptive",
      maxAttempts: 2,
    });
    await expect(listLiveStacks(cfn)).rejects.toMatchObject({ name: "Throttling" });
    expect(http.requests).toHaveLength(2);
  });
});

describe("one CloudFormation budget per account-region", () => {
  it("every CloudFormation client of the account-region draws on it, and a throttling answer cuts its rate", async () => {
    const clock = { now: () => 0, sleep: async () => {} };
    const budget = new AdaptiveRateLimiter({ perSecond: 10 }, clock);
    const credentials = async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" });
    // The scan's clients and the ownership lookup's, as scanAccount creates them for one account-region.
    const scan = createSpokeClients("222222222222", "us-east-1", credentials, { cloudformationRateLimiter: budget });
    const ownership = createSpokeClients("222222222222", "us-east-1", credentials, { cloudformationRateLimiter: budget });
    for (const clients of [scan, ownership]) expect(await clients.cloudformation.config.retryStrategy()).toMatchObject({ mode: "adaptive", rateLimiter: budget });
    // Other services keep the SDK's own adaptive limiter: the budget is CloudFormation's.
    expect(await scan.iam.config.retryStrategy()).not.toMatchObject({ rateLimiter: budget });

    const http = httpAnswers([400, THROTTLED], [200, LISTED]);
    (scan.cloudformation.config as { requestHandler: unknown }).requestHandler = http.handler;
    await listLiveStacks(scan.cloudformation);
    expect(http.requests).toHaveLength(2);
    expect(budget.throttles).toBe(1);
    // Cut to 7/s by the throttle, then one success's worth back up.
    expect(budget.rate).toBeCloseTo(10 * ADAPTIVE.decrease + ADAPTIVE.increasePerSecond / (10 * ADAPTIVE.decrease));
  });
});
