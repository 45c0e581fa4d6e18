import { protocolError, statusOfCode } from "./errors.js";
import { AwsError, type ServiceDefinition } from "./types.js";

/**
 * Injected failures: a rule matches calls by target account, region, service and action (absent =
 * any) and either always fails them with a given error code, or throttles them with a token bucket
 * per account-region, answering excess calls with the service's real throttling error. An error
 * rule with `times` fails only that many matching calls: an outage that ends after a known number
 * of attempts, which tests can rely on where a wall-clock outage races the SDK's own backoff.
 * A rule with `key` matches only calls on that S3 object key: S3 fails requests one by one, not
 * per bucket ("Internal errors are errors that occur within the Amazon S3 environment. Requests
 * that receive an InternalError response might not have processed", S3 User Guide, "Amazon S3
 * error best practices", ErrorBestPractices.html), so one writer of a shared bucket can fail
 * while the others go on.
 * A rule with `calledVia: cloudformation.amazonaws.com` matches the reads CloudFormation makes on
 * the caller's behalf (drift detection's and an import's live reads, on-behalf.ts readOnBehalf)
 * instead of the caller's own calls: a service that fails or throttles those reads fails that
 * resource's drift check, and DETECTION_FAILED names it with the service's message — e.g.
 * `{"Resource":"NodeInstanceRoleArn","FailureReason":"Rate exceeded"}` in a real detection
 * (aws-cloudformation/cloudformation-coverage-roadmap#801). Rules without it never match those
 * reads, so a scenario's faults keep meaning the calls it makes itself.
 */

export interface FaultRule {
  account?: string;
  region?: string;
  service: string;
  action?: string;
  error?: string;
  message?: string;
  status?: number;
  throttle?: { rps: number; burst?: number };
  /** Fail only the first `times` matching calls (error rules only). */
  times?: number;
  /** Only calls on this S3 object key (the request's Key). */
  key?: string;
  /** Only the calls this service makes on the caller's behalf (aws:CalledVia), not the caller's own. */
  calledVia?: string;
}

export interface FaultTarget {
  account: string;
  region: string;
  service: string;
  action: string;
  /** The S3 object key the call is on, if any. */
  key?: string;
  /** Who is calling, for the message of injected access errors. */
  callerArn: string;
  /** The service making the call on the caller's behalf, if any (CloudFormation's reads). */
  calledVia?: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private buckets = new Map<string, Bucket>();
  /** Calls each `times` rule (by index) has failed so far. */
  private failed = new Map<number, number>();

  constructor(private readonly now: () => number) {}

  setRules(rules: FaultRule[]): void {
    this.rules = [...rules];
    this.buckets.clear();
    this.failed.clear();
  }

  getRules(): FaultRule[] {
    return [...this.rules];
  }

  /** The error this call must fail with, if any rule says so. */
  check(target: FaultTarget, service: ServiceDefinition): AwsError | undefined {
    for (const [index, rule] of this.rules.entries()) {
      if (!matches(rule, target)) continue;
      if (rule.error) {
        if (rule.times !== undefined) {
          const failed = this.failed.get(index) ?? 0;
          if (failed >= rule.times) continue;
          this.failed.set(index, failed + 1);
        }
        return new AwsError(rule.error, rule.message ?? defaultMessage(rule.error, target), rule.status ?? statusOfCode(rule.error));
      }
      if (rule.throttle && !this.take(`${index}/${target.account}/${target.region}`, rule.throttle)) {
        return protocolError(service, "throttling");
      }
    }
    return undefined;
  }

  private take(key: string, throttle: { rps: number; burst?: number }): boolean {
    const now = this.now();
    const capacity = throttle.burst ?? Math.max(1, throttle.rps);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * throttle.rps);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

function defaultMessage(code: string, target: FaultTarget): string {
  if (/^(AccessDenied|UnauthorizedOperation)/.test(code)) {
    return `User: ${target.callerArn} is not authorized to perform: ${target.service}:${target.action}`;
  }
  return `${code} (injected by the sandbox scenario)`;
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  return (
    rule.service === target.service &&
    (rule.account === undefined || rule.account === target.account) &&
    (rule.region === undefined || rule.region === target.region) &&
    (rule.action === undefined || rule.action === target.action) &&
    (rule.key === undefined || rule.key === target.key) &&
    rule.calledVia === target.calledVia
  );
}
