import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";

/**
 * Every HTTP request the hub process sends during the measured scan, by AWS service: the hub's CPU
 * per stack is about its requests per stack times the SDK's cost per request (bench/request-cost.ts
 * measures that alone), so this says which service's requests the CPU goes to — CloudFormation's
 * (call-counter.ts counts them per stack) or the sweep's S3/EC2/IAM reads, the repairs' writes,
 * STS, publishing. The service is the SigV4 credential scope's (`Credential=AKID/date/region/service/aws4_request`),
 * so every request the sandbox answers for one endpoint is still told apart; retries count as requests.
 * Node's `http.client.request.start` diagnostics channel (Node 20 docs, "Diagnostics Channel – HTTP")
 * sees every request of every agent without touching the clients.
 */
export class RequestCensus {
  readonly byService = new Map<string, number>();
  private readonly onRequest = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    const auth = request.getHeader("authorization");
    const service = typeof auth === "string" ? (/Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? "unsigned") : "unsigned";
    this.byService.set(service, (this.byService.get(service) ?? 0) + 1);
  };

  start(): void {
    subscribe("http.client.request.start", this.onRequest);
  }

  stop(): Record<string, number> {
    unsubscribe("http.client.request.start", this.onRequest);
    return Object.fromEntries([...this.byService.entries()].sort((a, b) => b[1] - a[1]));
  }
}
