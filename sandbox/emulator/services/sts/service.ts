import type { AssumeRoleCommandInput, AssumeRoleCommandOutput, GetCallerIdentityCommandInput, GetCallerIdentityCommandOutput } from "@aws-sdk/client-sts";
import { lowerFirst } from "../../protocol/sdk-schemas.js";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { optionalNumber, required } from "../shared/params.js";
import { mintRoleSession, principalUserId } from "../iam/principals.js";
import { trustAllows } from "../iam/trust-policy.js";

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ROLE_CHAINING_LIMIT = 3600;

function validation(message: string): AwsError {
  return new AwsError("ValidationError", message);
}

function missing(name: string): () => AwsError {
  return () => validation(`1 validation error detected: Value null at '${lowerFirst(name)}' failed to satisfy constraint: Member must not be null`);
}

/** What a handler returns: the SDK's output shape without the metadata the protocol layer adds. */
type Output<T> = SdkOutput<T>;

function assumeRole(params: AssumeRoleCommandInput, ctx: CallContext): Output<AssumeRoleCommandOutput> {
  const roleArn = required(params.RoleArn, missing("RoleArn"));
  const sessionName = required(params.RoleSessionName, missing("RoleSessionName"));
  if (!SESSION_NAME.test(sessionName)) {
    throw validation(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const caller = ctx.principal;
  // API_AssumeRole.html: "You cannot use AWS account root user credentials to call AssumeRole.
  // You must use credentials for an IAM user or an IAM role." What STS answers (403, Sender),
  // as public reports show it: {"Error":{"Code":"AccessDenied","Message":"Roles may not be
  // assumed by root accounts.","Type":"Sender"}} (github.com/double-break/spapi-php/issues/45,
  // kubeflow/testing#961 with the CLI).
  if (!caller.roleArn && caller.arn === `arn:aws:iam::${caller.accountId}:root`) {
    throw new AwsError("AccessDenied", "Roles may not be assumed by root accounts.", 403);
  }
  const denied = () => new AwsError("AccessDenied", `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  const m = ROLE_ARN.exec(roleArn);
  if (!m) throw validation(`${roleArn} is invalid`);
  const [, accountId, roleName] = m;
  const account = ctx.world.accounts.get(accountId!);
  const role = account?.status === "ACTIVE" ? account.roles.get(roleName!) : undefined;
  if (!role || role.arn !== roleArn) throw denied();
  const callerInOrg = ctx.world.accounts.has(caller.accountId);
  const allowed = trustAllows(role.assumeRolePolicyDocument, {
    principalArn: caller.roleArn ?? caller.arn,
    callerArn: caller.arn,
    accountId: caller.accountId,
    orgId: callerInOrg ? ctx.world.organization.id : undefined,
    externalId: params.ExternalId,
  });
  if (!allowed) throw denied();

  const duration = optionalNumber(params.DurationSeconds) ?? 3600;
  if (duration < 900) throw validation(`1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
  if (caller.roleArn && duration > ROLE_CHAINING_LIMIT) {
    throw validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  }
  if (duration > role.maxSessionDuration) throw validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");

  const issuedAt = ctx.sandbox.now();
  const expiresAt = issuedAt + duration * 1000;
  const session = mintRoleSession(ctx.world, ctx.sandbox.random, accountId!, role, sessionName, { issuedAt, expiresAt });
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: new Date(expiresAt),
    },
    AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${sessionName}`, Arn: session.arn },
  };
}

function getCallerIdentity(_params: GetCallerIdentityCommandInput, ctx: CallContext): Output<GetCallerIdentityCommandOutput> {
  return { UserId: principalUserId(ctx.world, ctx.principal), Account: ctx.principal.accountId, Arn: ctx.principal.arn };
}

export const stsService: ServiceDefinition = {
  name: "sts",
  protocol: "query",
  xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
  actions: { AssumeRole: assumeRole, GetCallerIdentity: getCallerIdentity },
};
