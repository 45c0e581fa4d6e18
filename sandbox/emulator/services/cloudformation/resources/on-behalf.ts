import { randomUUID } from "node:crypto";
import { authorize } from "../../../authorization/evaluate.js";
import { serviceDisplayName } from "../../../protocol/errors.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../../protocol/types.js";
import type { CfnStack, Principal } from "../../../state.js";
import { mintRoleSession } from "../../iam/principals.js";
import type { CfnEnv } from "../env.js";
import { validationError } from "../errors.js";
import type { ResourceContext } from "./types.js";

/**
 * The calls CloudFormation makes to other services while it creates, updates, imports, deletes or
 * reverts a stack's resources. CloudFormation makes them with the caller's credentials (a forward
 * access session) or, when the stack has a service role, with a session of that role
 * (using-iam-servicerole.html: "CloudFormation uses the role's credentials to make calls on your
 * behalf"); CloudTrail records each with userIdentity.invokedBy, sourceIPAddress and userAgent
 * "cloudformation.amazonaws.com" (dispatcher.ts onBehalfCall has the samples).
 */

export const CLOUDFORMATION_PRINCIPAL = "cloudformation.amazonaws.com";

/**
 * The session name CloudFormation gives a service role's session: CloudTrail shows
 * `assumed-role/<role>/AWSCloudFormation` (e.g. the CDK bootstrap's cfn-exec-role records).
 */
const SERVICE_ROLE_SESSION = "AWSCloudFormation";

/** The stack's service role, checked when CreateStack / UpdateStack / CreateChangeSet names it. */
export function checkServiceRole(env: CfnEnv, roleArn: string | undefined): string | undefined {
  if (roleArn === undefined) return undefined;
  const name = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const role = name && name[1] === env.account.id ? env.account.roles.get(name[2]!) : undefined;
  // The wording CloudFormation answers for a role it cannot assume (a ValidationError, before anything is created).
  if (!role || role.arn !== roleArn) throw validationError(`Role ${roleArn} is invalid or cannot be assumed`);
  return roleArn;
}

/** Who CloudFormation acts as for `stack`: its service role's session, else the caller. */
export function actorFor(env: CfnEnv): (stack: CfnStack) => Principal | undefined {
  const sessions = new Map<string, Principal>();
  return (stack) => {
    if (!stack.roleArn) return env.caller;
    let session = sessions.get(stack.roleArn);
    const role = env.account.roles.get(stack.roleArn.split("/").pop()!);
    if (!session && role) {
      const now = env.sandbox.now();
      session = mintRoleSession(env.world, env.sandbox.random, env.account.id, role, SERVICE_ROLE_SESSION, { issuedAt: now, expiresAt: now + 3_600_000 });
      sessions.set(stack.roleArn, session);
    }
    return session ?? env.caller;
  };
}

/**
 * Authorizes a call CloudFormation is about to make for `ctx.stack`, as IAM authorizes it: with
 * the stack's service role, else the caller's own policies ("If you don't specify a service role,
 * CloudFormation uses your credentials" — AWS CloudFormation User Guide, "AWS CloudFormation
 * service role", using-iam-servicerole.html). The caller's calls are a forward access session, so
 * aws:CalledVia is cloudformation.amazonaws.com and aws:ViaAWSService true (IAM User Guide,
 * reference_policies_condition-keys.html); a service role's session is CloudFormation's own.
 * Denied, the resource fails with the message CloudFormation shows in its stack events for a
 * resource handler's AccessDenied (a real one, github.com/aws/aws-cdk/issues/27067:
 * `Resource handler returned message: "User: arn:aws:iam::341538367464:user/matt is not authorized
 * to perform: iam:GetRole on resource: … because no identity-based policy allows the iam:GetRole
 * action (Service: Iam, Status Code: 403, Request ID: 2014b22d-…)" (RequestToken: 97cd1be4-…,
 * HandlerErrorCode: AccessDenied)`).
 */
export async function authorizeOnBehalf(ctx: ResourceContext, service: ServiceDefinition, action: string, params: unknown): Promise<void> {
  const { env, actor } = ctx;
  if (!actor) return;
  const forwarded = ctx.asCaller === true || ctx.stack.roleArn === undefined;
  try {
    await authorize(env.world, { service, action, params, principal: actor, accountId: env.account.id, region: env.region }, {
      secureTransport: true,
      now: env.sandbox.now(),
      ...(forwarded ? { calledVia: [CLOUDFORMATION_PRINCIPAL] } : {}),
    });
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    const handler = `${error.message} (Service: ${serviceDisplayName(service.name, "handler")}, Status Code: ${error.status}, Request ID: ${randomUUID()})`;
    throw new AwsError(error.code, `Resource handler returned message: "${handler}" (RequestToken: ${randomUUID()}, HandlerErrorCode: AccessDenied)`, error.status);
  }
}

/**
 * Authorizes one read a resource type's read handler makes (drift detection's live read, an import's
 * lookup) before the provider reads the state itself. Reads are not recorded: the sandbox's CloudTrail
 * keeps the mutating management events only (dispatcher.ts), and EventBridge delivers no read-only calls.
 */
export async function readOnBehalf(ctx: ResourceContext, service: ServiceDefinition, reads: readonly (readonly [action: string, params: unknown])[]): Promise<void> {
  const { env } = ctx;
  for (const [action, params] of reads) {
    // A scenario fault on CloudFormation's reads (faults.ts calledVia): the service's own error, as a drift Failure reports it.
    const fault = env.sandbox.faults?.check(
      { account: env.account.id, region: env.region, service: service.name, action, callerArn: ctx.actor?.arn ?? `arn:aws:iam::${env.account.id}:root`, calledVia: CLOUDFORMATION_PRINCIPAL },
      service,
    );
    if (fault) throw fault;
    await authorizeOnBehalf(ctx, service, action, params);
  }
}

/**
 * The context drift detection reads a stack's resource in: "In order to successfully perform drift
 * detection on a stack, a user must have the following permissions: Read permission for each
 * resource that supports drift detection included in the stack. For example, if the stack includes
 * an AWS::EC2::Instance resource, you must have ec2:DescribeInstances permission" (AWS CloudFormation
 * User Guide, "Detecting unmanaged configuration changes to stacks and resources", Considerations,
 * awsdocs/aws-cloudformation-user-guide doc_source/using-cfn-stack-drift.md). So the reads are the
 * caller's (a forward access session: aws:CalledVia cloudformation.amazonaws.com), not the stack's
 * service role's, which CloudFormation uses for the stack operations it performs
 * (using-iam-servicerole.html). A denied read fails that resource's check: the detection is
 * DETECTION_FAILED "with an error explaining which permission is missing"
 * (aws-cloudformation/aws-cloudformation-resource-providers-kms#69), results kept for the others.
 */
export function driftContext(ctx: ResourceContext): ResourceContext {
  return { ...ctx, actor: ctx.env.caller, asCaller: true };
}

/** Records a call whose effect the provider applied itself through the service's state helpers (authorized first: authorizeOnBehalf). */
export function recordOnBehalf(ctx: ResourceContext, service: ServiceDefinition, action: string, params: unknown, result: unknown = {}): void {
  const { env } = ctx;
  if (!ctx.actor || !env.onBehalf) return;
  env.onBehalf({ service, action, params, result, principal: ctx.actor, region: env.region, invokedBy: CLOUDFORMATION_PRINCIPAL });
}

/**
 * Makes the call through the service's own API handler, as CloudFormation does (its resource
 * handlers call the service's API), so authorization, validation and effects are the API's, and
 * records it. The handlers of the services CloudFormation provisions are synchronous.
 */
export async function callOnBehalf<T = Record<string, unknown>>(ctx: ResourceContext, service: ServiceDefinition, action: string, params: Record<string, unknown>): Promise<T> {
  const { env } = ctx;
  const handler = service.actions[action];
  if (!handler) throw new Error(`${service.name} has no ${action} handler`);
  await authorizeOnBehalf(ctx, service, action, params);
  const callContext: CallContext = {
    world: env.world,
    principal: ctx.actor ?? { accessKeyId: "", secretAccessKey: "", accountId: env.account.id, arn: `arn:aws:iam::${env.account.id}:root` },
    accountId: env.account.id,
    region: env.region,
    service: service.name,
    action,
    requestId: "",
    sandbox: env.sandbox,
  };
  const result = handler(params, callContext);
  if (result instanceof Promise) throw new Error(`${service.name}.${action} is asynchronous; CloudFormation's providers call synchronous handlers`);
  recordOnBehalf(ctx, service, action, params, result);
  return result as T;
}
