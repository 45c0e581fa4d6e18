import { performance } from "node:perf_hooks";
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { leanAttempts, type LeanAttempt } from "../functions/aws/lean-query.js";

/**
 * Counts every CloudFormation request a client sends, retries included, per stack. The middleware
 * sits in the deserialize step, inside the SDK's retry loop, so each HTTP attempt passes through
 * it; the lean path's attempts (functions/aws/lean-query.ts), which never reach that step, come
 * from its channel. Served requests and throttled ones are told apart by the answer.
 */

export interface StackCalls {
  /** Served requests per action. */
  served: Record<string, number>;
  /** Requests answered with a throttling error. */
  throttled: number;
  /** When DetectStackDrift was answered and when the last detection status read was (performance.now()). */
  detectedAt?: number;
  settledAt?: number;
}

/** First and last CloudFormation request of an account-region: how long its scan took. */
export interface Span {
  first: number;
  last: number;
}

const THROTTLING = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"]);

/** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>` or a bare name → the name. */
function stackNameOf(value: string): string {
  return value.startsWith("arn:") ? (value.split(":")[5]?.split("/")[1] ?? value) : value;
}

export const regionKey = (accountId: string, region: string) => `${accountId}/${region}`;
export const stackKey = (accountId: string, region: string, stackName: string) => `${accountId}/${region}/${stackName}`;

export class CallCounter {
  /** Per stack (account/region/name); calls naming no stack (ListStacks) are kept per account-region. */
  readonly stacks = new Map<string, StackCalls>();
  readonly regions = new Map<string, StackCalls>();
  readonly spans = new Map<string, Span>();
  /** Served requests, from sending to the answer (inside the retry loop): the API latency the scan actually saw. */
  readonly roundTrip = { totalMs: 0, count: 0 };
  private readonly detectionStack = new Map<string, string>();

  private span(key: string, from: number, to: number): void {
    const span = this.spans.get(key);
    if (span) {
      span.first = Math.min(span.first, from);
      span.last = Math.max(span.last, to);
    } else this.spans.set(key, { first: from, last: to });
  }

  private entry(map: Map<string, StackCalls>, key: string): StackCalls {
    let calls = map.get(key);
    if (!calls) map.set(key, (calls = { served: {}, throttled: 0 }));
    return calls;
  }

  /** Clients on the lean path (functions/aws/lean-query.ts), by their config object: their attempts arrive on its channel. */
  private readonly leanClients = new Map<object, { accountId: string; region: string }>();
  private readonly onLeanAttempt = (message: unknown) => {
    const a = message as LeanAttempt;
    const owner = this.leanClients.get(a.clientConfig);
    if (owner) this.record(owner.accountId, owner.region, a.operation, a.input, a.startedAt, a.endedAt, a.error ?? a.output);
  };

  attach(client: CloudFormationClient, accountId: string, region: string): void {
    if (this.leanClients.size === 0) leanAttempts.subscribe(this.onLeanAttempt);
    this.leanClients.set(client.config, { accountId, region });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const action = String(context.commandName ?? "Unknown").replace(/Command$/, "");
        const sent = performance.now();
        try {
          const result = await next(args);
          this.record(accountId, region, action, args.input as object, sent, performance.now(), (result as { output?: object }).output);
          return result;
        } catch (err) {
          this.record(accountId, region, action, args.input as object, sent, performance.now(), err as object);
          throw err;
        }
      },
      { step: "deserialize", priority: "high", name: "benchCallCounter" },
    );
  }

  /** Stops listening to the lean path's channel. */
  detach(): void {
    if (this.leanClients.size > 0) leanAttempts.unsubscribe(this.onLeanAttempt);
    this.leanClients.clear();
  }

  /** One HTTP attempt, from the SDK's deserialize step or the lean path's channel: `answer` is the output or the error. */
  private record(accountId: string, region: string, action: string, input: { StackName?: string; StackDriftDetectionId?: string }, sent: number, answered: number, answer: object | undefined): void {
    const stack =
      input.StackName !== undefined
        ? stackKey(accountId, region, stackNameOf(input.StackName))
        : input.StackDriftDetectionId !== undefined
          ? this.detectionStack.get(input.StackDriftDetectionId)
          : undefined;
    const calls = stack === undefined ? this.entry(this.regions, regionKey(accountId, region)) : this.entry(this.stacks, stack);
    if (answer instanceof Error) {
      if (THROTTLING.has(answer.name)) calls.throttled++;
      else calls.served[action] = (calls.served[action] ?? 0) + 1;
      return;
    }
    this.span(regionKey(accountId, region), sent, answered);
    calls.served[action] = (calls.served[action] ?? 0) + 1;
    this.roundTrip.totalMs += answered - sent;
    this.roundTrip.count++;
    if (action === "DetectStackDrift") calls.detectedAt = answered;
    if (action === "DescribeStackDriftDetectionStatus") calls.settledAt = answered;
    const detectionId = (answer as { StackDriftDetectionId?: string } | undefined)?.StackDriftDetectionId;
    if (action === "DetectStackDrift" && detectionId && stack) this.detectionStack.set(detectionId, stack);
  }
}

export function total(calls: StackCalls): number {
  return Object.values(calls.served).reduce((a, b) => a + b, 0);
}
