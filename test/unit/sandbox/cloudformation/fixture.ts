import type { CallContext } from "../../../../sandbox/emulator/protocol/types.js";
import { cloudFormationService } from "../../../../sandbox/emulator/services/cloudformation/service.js";
import { mintRoleSession } from "../../../../sandbox/emulator/services/iam/principals.js";
import { iamService } from "../../../../sandbox/emulator/services/iam/service.js";
import { emptyRegion, type AccountState, type World } from "../../../../sandbox/emulator/state.js";
import { seededRandom as seeded } from "../../../../sandbox/harness/random.js";

export const ACCOUNT = "111111111111";
export const REGION = "us-east-1";

/** Template resource bodies several tests deploy, to be put after `  <LogicalId>:` under Resources. */
export const HTTPS_GROUP = `
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress:
        - { IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0 }`;
export const EC2_READ_ONLY_ROLE = `
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }
      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]`;

/** The sandbox runtime's own seeded random source. */
export { seeded };

export function makeWorld(): World {
  const region = emptyRegion();
  region.vpcs.set("vpc-0default", { vpcId: "vpc-0default", cidrBlock: "172.31.0.0/16", isDefault: true, tags: {} });
  const account: AccountState = {
    id: ACCOUNT,
    name: "workload",
    email: "workload@example.com",
    status: "ACTIVE",
    roles: new Map(),
    policies: new Map(),
    regions: new Map([[REGION, region]]),
  };
  return {
    organization: { id: "o-example", managementAccountId: ACCOUNT, arn: `arn:aws:organizations::${ACCOUNT}:organization/o-example` },
    accounts: new Map([[ACCOUNT, account]]),
    buckets: new Map(),
    credentials: new Map(),
  };
}

export interface Harness {
  world: World;
  ctx: CallContext;
  /** Moves the sandbox clock forward. */
  advance(ms: number): void;
  call(action: string, params?: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function harness(options: { detectionMs?: [number, number]; seed?: number } = {}): Harness {
  const world = makeWorld();
  let now = Date.parse("2026-01-15T10:00:00.000Z");
  const ctx: CallContext = {
    world,
    principal: { accessKeyId: "AKIATEST", secretAccessKey: "secret", accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root` },
    accountId: ACCOUNT,
    region: REGION,
    service: "cloudformation",
    action: "",
    requestId: "req-1",
    sandbox: { latency: { apiMs: 0, detectionMs: options.detectionMs ?? [0, 0] }, now: () => now, random: seeded(options.seed ?? 7) },
  };
  return {
    world,
    ctx,
    advance: (ms) => {
      now += ms;
    },
    call: async (action, params = {}) => cloudFormationService.actions[action](params, { ...ctx, action }),
  };
}

/** Creates a stack and returns its resources' physical ids by logical id. */
export async function createStack(
  h: Harness,
  stackName: string,
  templateBody: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, string>> {
  await h.call("CreateStack", { StackName: stackName, TemplateBody: templateBody, Capabilities: ["CAPABILITY_NAMED_IAM"], ...extra });
  const { StackResources } = await h.call("DescribeStackResources", { StackName: stackName });
  return Object.fromEntries(
    (StackResources as { LogicalResourceId: string; PhysicalResourceId: string }[]).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]),
  );
}

/** Runs DetectStackDrift to completion and returns the stack's resource drifts. */
export async function detectDrift(h: Harness, stackName: string): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { StackDriftDetectionId } = await h.call("DetectStackDrift", { StackName: stackName });
  h.advance(h.ctx.sandbox.latency.detectionMs[1] + 1);
  const status = await h.call("DescribeStackDriftDetectionStatus", { StackDriftDetectionId });
  if (status.DetectionStatus !== "DETECTION_COMPLETE") throw new Error(`detection ended ${status.DetectionStatus}`);
  return (await h.call("DescribeStackResourceDrifts", { StackName: stackName })).StackResourceDrifts;
}

export function region(world: World) {
  return world.accounts.get(ACCOUNT)!.regions.get(REGION)!;
}

export function account(world: World) {
  return world.accounts.get(ACCOUNT)!;
}

export async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; name: string; message: string; status?: number };
    return { code: e.code ?? e.name, message: e.message, status: e.status };
  }
  throw new Error("expected the call to fail");
}

/**
 * A role in the harness's account that the account trusts, allowed `actions` (IAM action names)
 * and nothing else, with a session to call CloudFormation as: CloudFormation then makes its calls
 * with that session's permissions (no service role; on-behalf.ts). `deny` adds an explicit Deny
 * and `allow` a grant, as an administrator would between two calls.
 */
export async function roleCaller(h: Harness, roleName: string, actions: string[]) {
  const iam = (action: string, params: Record<string, unknown>) => iamService.actions[action]!(params, { ...h.ctx, service: "iam", action });
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${h.ctx.accountId}:root` }, Action: "sts:AssumeRole" }] };
  await iam("CreateRole", { RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) });
  const put = (name: string, effect: "Allow" | "Deny", granted: string[]) =>
    iam("PutRolePolicy", { RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: effect, Action: granted, Resource: "*" }] }) });
  await put("inline", "Allow", actions);
  const principal = mintRoleSession(h.world, h.ctx.sandbox.random, h.ctx.accountId, account(h.world).roles.get(roleName)!, "deploy", { issuedAt: h.ctx.sandbox.now() });
  return {
    principal,
    as: (action: string, params: Record<string, unknown> = {}) => cloudFormationService.actions[action]!(params, { ...h.ctx, principal, action }) as Promise<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    deny: (denied: string[]) => put(`deny-${denied.join("-").replace(/[^\w+=,.@-]/g, "")}`, "Deny", denied),
    allow: (granted: string[]) => put(`allow-${granted.join("-").replace(/[^\w+=,.@-]/g, "")}`, "Allow", granted),
  };
}
