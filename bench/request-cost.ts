import { fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CloudFormationClient} from "@aws-sdk/client-cloudformation";
import { DescribeStackDriftDetectionStatusCommand, DetectStackDriftCommand } from "@aws-sdk/client-cloudformation";
import { createSpokeClients } from "../functions/aws/clients.js";
import { AdaptiveRateLimiter } from "../functions/aws/rate-limit.js";
import { createSharedSockets } from "../functions/aws/sockets.js";
import { systemClock } from "../functions/core/clock.js";

/**
 * `npx tsx bench/request-cost.ts [REQUESTS] [IN_FLIGHT]`: the hub's CPU per CloudFormation request
 * alone — the production spoke client (createSpokeClients: adaptive retry on the account-region's
 * bucket, shared sockets, the write gate) against a local server that answers at once with a
 * canned CloudFormation query-protocol response, so neither the sandbox's CPU nor its latency
 * model is in the number. CPU time (user + system) of this process, per request, so runs at
 * different machine loads compare roughly (a loaded machine still inflates it through caches).
 */

// Shapes from the CloudFormation API Reference, DescribeStackDriftDetectionStatus and DetectStackDrift "Examples".
const STATUS_XML = `<DescribeStackDriftDetectionStatusResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStackDriftDetectionStatusResult>
    <StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/example/cb438120-6cc7-11e8-8e21-500c28b4e461</StackId>
    <StackDriftDetectionId>2f2b2d60-df86-11e8-8e21-500c28b4e461</StackDriftDetectionId>
    <StackDriftStatus>IN_SYNC</StackDriftStatus>
    <DetectionStatus>DETECTION_COMPLETE</DetectionStatus>
    <DriftedStackResourceCount>0</DriftedStackResourceCount>
    <Timestamp>2018-11-02T20:54:23.393Z</Timestamp>
  </DescribeStackDriftDetectionStatusResult>
  <ResponseMetadata><RequestId>b9c6a1c4-df86-11e8-8e21-500c28b4e461</RequestId></ResponseMetadata>
</DescribeStackDriftDetectionStatusResponse>`;
const DETECT_XML = `<DetectStackDriftResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DetectStackDriftResult><StackDriftDetectionId>2f2b2d60-df86-11e8-8e21-500c28b4e461</StackDriftDetectionId></DetectStackDriftResult>
  <ResponseMetadata><RequestId>1e8d1a0c-df86-11e8-8e21-500c28b4e461</RequestId></ResponseMetadata>
</DetectStackDriftResponse>`;

export interface RequestCost {
  requests: number;
  cpuUsPerRequest: number;
  systemUsPerRequest: number;
  wallMs: number;
}

/** The canned CloudFormation endpoint, in its own process so that its CPU is not counted. */
function serve(): void {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const xml = body.includes("Action=DetectStackDrift&") ? DETECT_XML : STATUS_XML;
      res.writeHead(200, { "content-type": "text/xml", "x-amzn-requestid": "b9c6a1c4" });
      res.end(xml);
    });
  });
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port));
}

export async function measureRequestCost(requests: number, inFlight: number, lean = true): Promise<RequestCost> {
  const child = fork(new URL(import.meta.url).pathname, ["--serve"], { execArgv: ["--import", "tsx"] });
  const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(m as number)));
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
  const sockets = createSharedSockets(inFlight);
  const limiter = new AdaptiveRateLimiter({ perSecond: 1e9, maxInFlight: inFlight }, systemClock);
  const credentials = async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: "token" });
  const clients = createSpokeClients("123456789012", "us-east-1", credentials, { cloudformationRateLimiter: limiter, sockets, lean });
  const cfn: CloudFormationClient = clients.cloudformation;
  const one = (i: number) =>
    i % 2 === 0 ? cfn.send(new DetectStackDriftCommand({ StackName: `stack-${i}` })) : cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: `id-${i}` }));
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => { for (let i = next++; i < n; i = next++) await one(i); }));
  };
  await run(Math.min(2000, requests)); // warm-up: JIT, sockets
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(requests);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clients.destroy();
  sockets.close();
  child.kill();
  return { requests, cpuUsPerRequest: (used.user + used.system) / requests, systemUsPerRequest: used.system / requests, wallMs };
}

if (process.argv.includes("--serve")) serve();
else if (import.meta.url === `file://${process.argv[1]}`) {
  const requests = Number(process.argv[2] ?? 20000);
  const inFlight = Number(process.argv[3] ?? 64);
  for (const lean of [true, false]) {
    const cost = await measureRequestCost(requests, inFlight, lean);
    console.log(`${lean ? "lean path" : "SDK path "}: ${cost.requests} requests, ${inFlight} in flight: ${cost.cpuUsPerRequest.toFixed(0)} µs of CPU per request (the client alone; ${cost.systemUsPerRequest.toFixed(0)} µs of it system), ${(cost.wallMs / 1000).toFixed(1)} s wall`);
  }
}
