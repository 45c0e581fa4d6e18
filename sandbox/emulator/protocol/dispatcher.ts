import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { authorize } from "../authorization/evaluate.js";
import type { Principal, World } from "../state.js";
import { protocolError } from "./errors.js";
import { FaultInjector } from "./faults.js";
import { AwsError, type CallContext, type OnBehalfCall, type SandboxRuntime, type ServiceDefinition } from "./types.js";

/**
 * The one path every call takes, whether it came over HTTP or from a scenario's drift list:
 * latency, injected faults, IAM authorization, the service's handler, then the mutation hook (CloudTrail).
 */

export interface Call {
  service: string;
  action: string;
  /** The caller's account: where the call is served. */
  accountId: string;
  region: string;
  params: unknown;
  principal: Principal;
  requestId: string;
  sourceIp?: string;
  userAgent?: string;
  /**
   * The AWS service that made the call for `principal` (CloudTrail's userIdentity.invokedBy; its
   * sourceIPAddress and userAgent are then the service's name too).
   */
  invokedBy?: string;
  /** False when the request came over the sandbox's plain-HTTP endpoint; in-process calls count as TLS. */
  secureTransport?: boolean;
}

export type MutationObserver = (call: Call, result: unknown, service: ServiceDefinition) => void;

const READ_ONLY = /^(Get|List|Describe|Head|Lookup|Search)/;

function isReadOnly(action: string): boolean {
  return READ_ONLY.test(action);
}

/** Faults match the account a call acts on: for AssumeRole that is the role's account, not the caller's. */
function targetAccount(call: Call): string {
  if (call.service === "sts" && call.action === "AssumeRole") {
    const roleArn = (call.params as { RoleArn?: unknown } | undefined)?.RoleArn;
    const account = typeof roleArn === "string" ? roleArn.split(":")[4] : undefined;
    if (account) return account;
  }
  return call.accountId;
}

export class Dispatcher {
  readonly faults: FaultInjector;
  private readonly services = new Map<string, ServiceDefinition>();
  private readonly observers: MutationObserver[] = [];

  constructor(
    readonly world: World,
    readonly runtime: SandboxRuntime,
    services: ServiceDefinition[],
  ) {
    for (const s of services) this.services.set(s.name, s);
    this.faults = new FaultInjector(() => runtime.now());
    runtime.faults = this.faults;
  }

  service(name: string): ServiceDefinition | undefined {
    return this.services.get(name);
  }

  onMutation(observer: MutationObserver): void {
    this.observers.push(observer);
  }

  async invoke(call: Call): Promise<unknown> {
    const service = this.services.get(call.service);
    if (!service) throw new Error(`The sandbox has no service named ${call.service}`);
    const handler = service.actions[call.action];
    if (!handler) throw protocolError(service, "unknownAction", call.action);
    if (this.runtime.latency.apiMs > 0) await sleep(this.runtime.latency.apiMs);
    const fault = this.faults.check(
      { account: targetAccount(call), region: call.region, service: call.service, action: call.action, key: objectKey(call.params), callerArn: call.principal.arn },
      service,
    );
    if (fault) throw fault;
    await authorize(this.world, { service, action: call.action, params: call.params, principal: call.principal, accountId: call.accountId, region: call.region }, {
      secureTransport: call.secureTransport ?? true,
      sourceIp: call.sourceIp,
      now: this.runtime.now(),
    });
    // EC2's DryRun checks permissions only and changes nothing: DryRunOperation (412) when the
    // call would have been allowed (docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html).
    if (service.protocol === "ec2" && (call.params as { DryRun?: unknown } | undefined)?.DryRun === true) {
      throw new AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
    }
    const onBehalf: OnBehalfCall[] = [];
    const ctx: CallContext = {
      world: this.world,
      principal: call.principal,
      accountId: call.accountId,
      region: call.region,
      service: call.service,
      action: call.action,
      requestId: call.requestId,
      sandbox: this.runtime,
      onBehalf: (made) => onBehalf.push(made),
    };
    try {
      const result = await handler(call.params ?? {}, ctx);
      this.observe(call, result, service);
      return result;
    } finally {
      // What a service did for the caller is recorded after the caller's own call, and also when
      // that call failed part way (a stack rolled back still made its calls).
      for (const made of onBehalf) this.observe(onBehalfCall(call, made), made.result, made.service);
    }
  }

  private observe(call: Call, result: unknown, service: ServiceDefinition): void {
    if (!isReadOnly(call.action)) for (const observe of this.observers) observe(call, result, service);
  }
}

/**
 * A call an AWS service made while serving `outer`, as CloudTrail records it: the principal whose
 * credentials it used (the caller's forward access session, or the service role CloudFormation
 * assumed), with the service's name as source address and user agent. Source: CloudTrail records
 * of CloudFormation's calls, e.g. PutRolePolicy / CreateBucket with "invokedBy":
 * "cloudformation.amazonaws.com", "sourceIPAddress": "cloudformation.amazonaws.com", "userAgent":
 * "cloudformation.amazonaws.com" (CloudTrail User Guide, "CloudTrail userIdentity element": invokedBy
 * is "the name of the AWS service that made the request").
 */
function onBehalfCall(outer: Call, made: OnBehalfCall): Call {
  return {
    service: made.service.name,
    action: made.action,
    accountId: outer.accountId,
    region: made.region,
    params: made.params,
    principal: made.principal,
    requestId: randomUUID(),
    sourceIp: made.invokedBy,
    userAgent: made.invokedBy,
    invokedBy: made.invokedBy,
  };
}

/** The S3 object key a call is on (fault rules scoped to a key match it). */
function objectKey(params: unknown): string | undefined {
  const key = (params as { Key?: unknown } | undefined)?.Key;
  return typeof key === "string" ? key : undefined;
}
