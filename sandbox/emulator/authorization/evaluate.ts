import { getDenialReasons, type RequestDenial, type Simulation } from "@cloud-copilot/iam-simulate";
import type { ServiceDefinition } from "../protocol/types.js";
import { AwsError } from "../protocol/types.js";
import type { IamRole, Principal, World } from "../state.js";
import { cachedSimulation } from "./evaluation-cache.js";
import { eventsState } from "../services/events/service.js";
import { kmsState } from "../services/kms/service.js";
import { parentOf, rootIdOf } from "../services/organizations/service.js";
import { awsManagedPolicies } from "./managed-policies.js";
import { authorizedRequest, type AuthorizedRequest } from "./requests.js";

/**
 * IAM policy evaluation for calls made with role-session credentials, by @cloud-copilot/iam-simulate
 * (the evaluation logic of docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * the role's inline and managed policies, its permissions boundary, and the resource's policy
 * where the sandbox keeps one (S3 bucket policies), with an explicit Deny anywhere winning.
 * Root users are not evaluated (IAM does not restrict them; bucket policies still do), nor are
 * scenario drift principals, which act with their account's root keys under another ARN.
 */

export interface RequestFacts {
  /** False for requests that reached the sandbox's plain-HTTP endpoint (aws:SecureTransport). */
  secureTransport: boolean;
  sourceIp?: string;
  now: number;
  /**
   * The services a forward access session came through, first to last (aws:CalledVia,
   * aws:CalledViaFirst/Last, and aws:ViaAWSService true): CloudFormation's calls with the caller's credentials.
   */
  calledVia?: string[];
}

function managedDocument(world: World, accountId: string, arn: string): unknown {
  const doc = awsManagedPolicies().get(arn)?.document ?? world.accounts.get(accountId)?.policies.get(arn)?.document;
  // AttachRolePolicy refuses unknown ARNs, so only a test poking the world directly gets here.
  if (doc === undefined) throw new Error(`the sandbox has no managed policy ${arn}`);
  return doc;
}

function roleOfSession(world: World, principal: Principal): IamRole | undefined {
  const name = principal.roleArn?.split("/").pop();
  return name === undefined ? undefined : world.accounts.get(principal.accountId)?.roles.get(name);
}

function orgOf(world: World, accountId: string | undefined): string | undefined {
  return accountId !== undefined && world.accounts.has(accountId) ? world.organization.id : undefined;
}

/** Condition keys the request carries (global keys from docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). */
function contextOf(world: World, principal: Principal, role: IamRole | undefined, request: AuthorizedRequest, region: string, params: unknown, facts: RequestFacts) {
  const context: Record<string, string | string[]> = {
    "aws:PrincipalArn": principal.roleArn ?? principal.arn,
    "aws:PrincipalAccount": principal.accountId,
    "aws:PrincipalType": principal.roleArn ? "AssumedRole" : "Account",
    "aws:SecureTransport": String(facts.secureTransport),
    "aws:RequestedRegion": region,
    "aws:ResourceAccount": request.resourceAccount ?? principal.accountId,
  };
  const principalOrg = orgOf(world, principal.accountId);
  if (principalOrg) context["aws:PrincipalOrgID"] = principalOrg;
  const resourceOrg = orgOf(world, request.resourceAccount ?? principal.accountId);
  if (resourceOrg) context["aws:ResourceOrgID"] = resourceOrg;
  if (facts.sourceIp) context["aws:SourceIp"] = facts.sourceIp;
  if (facts.calledVia?.length) {
    Object.assign(context, { "aws:CalledVia": facts.calledVia, "aws:CalledViaFirst": facts.calledVia[0]!, "aws:CalledViaLast": facts.calledVia.at(-1)!, "aws:ViaAWSService": "true" });
  }
  if (role) {
    context["aws:userid"] = `${role.roleId}:${principal.arn.split("/").pop()}`;
    for (const [k, v] of Object.entries(role.tags)) context[`aws:PrincipalTag/${k}`] = v;
  }
  const p = (params ?? {}) as { PolicyArn?: unknown; PassedToService?: unknown };
  if (typeof p.PolicyArn === "string" && request.action.startsWith("iam:")) context["iam:PolicyARN"] = p.PolicyArn;
  // iam:PassRole as a service checks it (services/shared/pass-role.ts): the service the role is passed to
  // (reference_policies_iam-condition-keys.html#ck_PassedToService).
  if (typeof p.PassedToService === "string" && request.action === "iam:PassRole") context["iam:PassedToService"] = p.PassedToService;
  return context;
}

const PHRASES: Record<string, [implicit: string, explicit: string]> = {
  identity: ["because no identity-based policy allows the %s action", "with an explicit deny in an identity-based policy"],
  pb: ["because no permissions boundary allows the %s action", "with an explicit deny in a permissions boundary"],
  resource: ["because no resource-based policy allows the %s action", "with an explicit deny in a resource-based policy"],
  scp: ["because no service control policy allows the %s action", "with an explicit deny in a service control policy"],
  rcp: ["because no resource control policy allows the %s action", "with an explicit deny in a resource control policy"],
};

/**
 * The reason clause AWS puts in access-denied messages, explicit denies first. Source:
 * docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html ("Access denied error message examples").
 */
function reasonOf(denials: RequestDenial[], action: string): string {
  const pick = denials.find((d) => d.denialType === "Explicit") ?? denials[0];
  const phrases = PHRASES[pick?.policyType ?? "identity"] ?? PHRASES.identity!;
  return (pick?.denialType === "Explicit" ? phrases[1] : phrases[0]).replace("%s", action);
}

/**
 * The denial in the service's own terms: IAM, STS and CloudFormation answer AccessDenied (403),
 * EC2 UnauthorizedOperation (403, with an encoded message), SNS AuthorizationError (403), S3
 * AccessDenied with the resource quoted (docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html),
 * the JSON-protocol services AccessDeniedException (400).
 */
function denial(service: ServiceDefinition, principal: Principal, request: AuthorizedRequest, reason: string): AwsError {
  const action = service.name === "sns" ? request.action.replace(/^sns:/, "SNS:") : request.action;
  const resource = request.resource === "*" ? "" : service.protocol === "rest-xml" ? ` on resource: "${request.resource}"` : ` on resource: ${request.resource}`;
  const message = `User: ${principal.arn} is not authorized to perform: ${action}${resource} ${reason.replace(request.action, action)}`;
  if (service.protocol === "ec2") {
    const encoded = Buffer.from(JSON.stringify({ allowed: false, explicitDeny: reason.includes("explicit"), action: request.action, resource: request.resource })).toString("base64");
    return new AwsError("UnauthorizedOperation", `You are not authorized to perform this operation. ${message}. Encoded authorization failure message: ${encoded}`, 403);
  }
  if (service.protocol === "json") return new AwsError("AccessDeniedException", message, 400);
  // Lambda: AccessDeniedException, 403 (docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html).
  if (service.protocol === "rest-json") return new AwsError("AccessDeniedException", message, 403);
  if (service.name === "sns") return new AwsError("AuthorizationError", message, 403);
  return new AwsError("AccessDenied", message, 403);
}

/**
 * Evaluation parses and validates every policy each time (ReadOnlyAccess alone is 2,677 actions,
 * 10–30 ms a call), and the sandbox serves on one event loop, so results are kept per policy set
 * and question (evaluation-cache.ts). The policy-set key holds the role's own documents (small)
 * and AWS managed policies by ARN (their snapshots never change); time-based context keys are
 * left out so requests can repeat.
 */
const simulate = cachedSimulation;

/**
 * The resource's own policy where the sandbox keeps one: an S3 bucket policy, the policy of the
 * EventBridge bus PutEvents sends to (how another account's events are admitted,
 * eb-event-bus-perms.html), or a KMS key policy. A key policy is required, not optional: "Unless
 * the key policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key"
 * (docs.aws.amazon.com/kms/latest/developerguide/key-policies.html); the default key policy
 * allows the account's root, which is what lets IAM policies grant access.
 */
function resourcePolicyOf(world: World, call: AuthorizationCall, request: AuthorizedRequest): unknown {
  if (call.service.name === "s3") return world.buckets.get(String((call.params as { Bucket?: unknown } | undefined)?.Bucket))?.policy;
  if (call.service.name === "events" && call.action === "PutEvents") {
    const [, , , region, accountId, resource] = request.resource.split(":");
    const account = accountId ? world.accounts.get(accountId) : undefined;
    const policy = account && region ? eventsState.at(account, region).buses.get(resource?.replace(/^event-bus\//, "") ?? "")?.policy : undefined;
    return policy === undefined ? undefined : (JSON.parse(policy) as unknown);
  }
  const key = call.service.name === "kms" ? /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(request.resource) : null;
  if (key) {
    const account = world.accounts.get(key[2]!);
    const policy = account ? kmsState.at(account, key[1]!).keys.get(key[3]!)?.policy : undefined;
    return policy === undefined ? undefined : (JSON.parse(policy) as unknown);
  }
  return undefined;
}

function missingKmsKey(world: World, call: AuthorizationCall, request: AuthorizedRequest): boolean {
  const key = call.service.name === "kms" ? /^arn:aws:kms:([^:]+):(\d{12}):key\/(.+)$/.exec(request.resource) : null;
  if (!key) return false;
  const account = world.accounts.get(key[2]!);
  return account !== undefined && kmsState.at(account, key[1]!).keys.get(key[3]!) === undefined;
}

/** AWS's FullAWSAccess SCP, attached by default to the root, every OU and every account (orgs_manage_policies_scps.html). */
const FULL_AWS_ACCESS = { name: "FullAWSAccess", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } };

/**
 * The SCPs that apply to a principal of `accountId`, one level per step from the root down to the
 * account: each level must allow the action, and a Deny at any level wins ("SCPs affect only IAM
 * users and roles that are managed by accounts that are part of the organization … SCPs don't
 * affect users or roles in the management account", AWS Organizations User Guide,
 * orgs_manage_policies_scps.html). Undefined when the scenario attaches none, so evaluation stays
 * as it was.
 */
function serviceControlPoliciesOf(world: World, accountId: string): Simulation["serviceControlPolicies"] | undefined {
  const attached = world.serviceControlPolicies ?? [];
  const account = world.accounts.get(accountId);
  if (attached.length === 0 || !account || accountId === world.organization.managementAccountId) return undefined;
  const path: string[] = [accountId];
  for (let parent = parentOf(world, account); ; parent = world.organization.units?.get(parent)?.parentId ?? rootIdOf(world)) {
    path.unshift(parent);
    if (parent === rootIdOf(world) || !world.organization.units?.has(parent)) break;
  }
  return path.map((target) => ({
    orgIdentifier: target,
    policies: [FULL_AWS_ACCESS, ...attached.filter((p) => p.targets.includes(target)).map((p) => ({ name: p.name, policy: p.document }))],
  }));
}

export interface AuthorizationCall {
  service: ServiceDefinition;
  action: string;
  params: unknown;
  principal: Principal;
  accountId: string;
  region: string;
}

/** Throws the service's access-denied error unless IAM would allow the call. */
export async function authorize(world: World, call: AuthorizationCall, facts: RequestFacts): Promise<AuthorizedRequest> {
  const { principal } = call;
  const request = authorizedRequest(call.service.name, call.action, call.params, { world, accountId: call.accountId, region: call.region });
  const role = roleOfSession(world, principal);
  // A key that does not exist has no key policy to evaluate: KMS answers NotFoundException
  // (API_DescribeKey.html, Errors), so the handler gives that answer, not an AccessDenied.
  if (missingKmsKey(world, call, request)) return request;
  const resourcePolicy = resourcePolicyOf(world, call, request);
  if (!role && !resourcePolicy) return request;
  const scps = role ? serviceControlPoliciesOf(world, principal.accountId) : undefined;
  const identityPolicies = role
    ? [
        ...Object.entries(role.inlinePolicies).map(([name, policy]) => ({ name, policy })),
        ...role.managedPolicyArns.map((arn) => ({ name: arn, policy: managedDocument(world, principal.accountId, arn) })),
      ]
    : // A root user's identity is allowed everything; only the resource policy can deny it.
      [{ name: "root", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }];
  const simulation: Simulation = {
    request: {
      principal: principal.roleArn ? principal.arn : `arn:aws:iam::${principal.accountId}:root`,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount ?? principal.accountId },
      contextVariables: contextOf(world, principal, role, request, call.region, call.params, facts),
    },
    identityPolicies,
    serviceControlPolicies: scps ?? [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {}),
    ...(role?.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: role.permissionsBoundary, policy: managedDocument(world, principal.accountId, role.permissionsBoundary) }] } : {}),
  };
  const policySet = role
    ? JSON.stringify([role.inlinePolicies, role.managedPolicyArns.map((a) => world.accounts.get(principal.accountId)?.policies.get(a)?.document ?? a), role.permissionsBoundary, ...(scps ? [scps] : [])])
    : "root";
  const result = await simulate(simulation, policySet, resourcePolicy);
  if (result.resultType === "error") throw new Error(`sandbox IAM evaluation of ${request.action} failed: ${result.errors.message} ${JSON.stringify(result.errors)}`);
  if (result.overallResult === "Allowed") return request;
  const analysis = result.resultType === "single" ? result.result.analysis : result.results[0]?.analysis;
  throw denial(call.service, principal, request, reasonOf(analysis ? getDenialReasons(analysis) : [], request.action));
}
