import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, type TerraformStack } from "cdktf";
import type { AccountEntry, Config } from "../../functions/config/schema.js";
import { HubStack } from "../../modules/hub-stack.js";
import { SpokeStack } from "../../modules/spoke-stack.js";

/**
 * The IAM driftguard deploys, read from the same synthesized terraform JSON `cdktf deploy` would
 * apply: every aws_iam_role with its trust policy, inline policies (aws_iam_role_policy), attached
 * managed policies (aws_iam_role_policy_attachment), customer managed policies (aws_iam_policy)
 * and permissions boundary, the buckets (aws_s3_bucket, with aws_s3_bucket_policy and
 * aws_s3_bucket_versioning) and the topics (aws_sns_topic, aws_sns_topic_subscription). Policy documents
 * are rendered as terraform's aws_iam_policy_document data source renders them, with references
 * to other resources replaced by the ARNs those resources get. The sandbox builds its world from
 * this, so a grant missing from a construct is an AccessDenied in the sandbox, and every Deny in
 * a construct holds there too.
 */

export interface DeployedRole {
  roleName: string;
  path: string;
  description?: string;
  maxSessionDuration?: number;
  assumeRolePolicyDocument: unknown;
  /** policy name → document */
  inlinePolicies: Record<string, unknown>;
  managedPolicyArns: string[];
  permissionsBoundary?: string;
}

export interface DeployedPolicy {
  arn: string;
  name: string;
  path: string;
  document: unknown;
}

export interface DeployedTopic {
  name: string;
  /** Every aws_sns_topic_subscription of the stack on this topic. */
  subscriptions: { protocol: string; endpoint: string }[];
}

export interface DeployedAccount {
  accountId: string;
  /** The terraform stack it came from, for error messages. */
  stack: string;
  roles: DeployedRole[];
  policies: DeployedPolicy[];
  /** Every aws_s3_bucket's name. */
  buckets: string[];
  /** bucket name → policy document */
  bucketPolicies: Record<string, unknown>;
  /** bucket name → aws_s3_bucket_versioning status */
  bucketVersioning: Record<string, string>;
  topics: DeployedTopic[];
}

type Block = Record<string, unknown>;
interface SynthJson {
  resource?: Record<string, Record<string, Block>>;
  data?: Record<string, Record<string, Block>>;
}

interface TfStatement {
  sid?: string;
  effect?: string;
  actions?: string[];
  not_actions?: string[];
  resources?: string[];
  not_resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  not_principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** aws_iam_policy_document renders a one-element list as a plain string. */
function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

function principalBlock(principals: { type: string; identifiers: string[] }[]): unknown {
  if (principals.length === 1 && principals[0]!.type === "*") return "*";
  const out: Record<string, string | string[]> = {};
  for (const p of principals) out[p.type] = oneOrMany([...(typeof out[p.type] === "string" ? [out[p.type] as string] : ((out[p.type] as string[]) ?? [])), ...p.identifiers]);
  return out;
}

/**
 * A statement as the data source renders it; key order as terraform writes it.
 * Source: registry.terraform.io/providers/hashicorp/aws/5.100.0/docs/data-sources/iam_policy_document
 */
function renderStatement(s: TfStatement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.sid) out.Sid = s.sid;
  out.Effect = s.effect ?? "Allow";
  if (s.actions?.length) out.Action = oneOrMany(s.actions);
  if (s.not_actions?.length) out.NotAction = oneOrMany(s.not_actions);
  if (s.resources?.length) out.Resource = oneOrMany(s.resources);
  if (s.not_resources?.length) out.NotResource = oneOrMany(s.not_resources);
  if (s.principals?.length) out.Principal = principalBlock(s.principals);
  if (s.not_principals?.length) out.NotPrincipal = principalBlock(s.not_principals);
  if (s.condition?.length) {
    const condition: Record<string, Record<string, string | string[]>> = {};
    for (const c of s.condition) (condition[c.test] ??= {})[c.variable] = oneOrMany(c.values);
    out.Condition = condition;
  }
  return out;
}

class StackReader {
  constructor(
    private readonly json: SynthJson,
    private readonly stack: string,
    private readonly accountId: string,
    private readonly region: string,
  ) {}

  resources(type: string): [string, Block][] {
    return Object.entries(this.json.resource?.[type] ?? {});
  }

  /** What terraform would know after apply for `${type.id.attribute}`. */
  private attribute(type: string, id: string, attribute: string): string {
    const block = this.json.resource?.[type]?.[id];
    if (block === undefined) throw new Error(`${this.stack}: \${${type}.${id}.${attribute}} points to no resource`);
    const { accountId: account, region } = this;
    const name = String(block.name ?? block.bucket ?? block.function_name ?? "");
    const arns: Record<string, () => string> = {
      aws_iam_role: () => `arn:aws:iam::${account}:role${String(block.path ?? "/")}${name}`,
      aws_iam_policy: () => `arn:aws:iam::${account}:policy${String(block.path ?? "/")}${name}`,
      aws_s3_bucket: () => `arn:aws:s3:::${name}`,
      aws_sns_topic: () => `arn:aws:sns:${region}:${account}:${name}`,
      aws_sqs_queue: () => `arn:aws:sqs:${region}:${account}:${name}`,
      // A KMS key id is a UUID AWS picks; the logical id stands in for it, stable across runs.
      aws_kms_key: () => `arn:aws:kms:${region}:${account}:key/${id}`,
      aws_cloudwatch_log_group: () => `arn:aws:logs:${region}:${account}:log-group:${name}`,
      aws_cloudwatch_event_bus: () => `arn:aws:events:${region}:${account}:event-bus/${name}`,
      aws_lambda_function: () => `arn:aws:lambda:${region}:${account}:function:${name}`,
      aws_sfn_state_machine: () => `arn:aws:states:${region}:${account}:stateMachine:${name}`,
    };
    if (attribute === "arn" && arns[type]) return arns[type]();
    if ((attribute === "name" || attribute === "bucket") && name) return name;
    if (attribute === "id") return type === "aws_sns_topic" || type === "aws_iam_policy" ? arns[type]!() : name;
    throw new Error(`${this.stack}: the sandbox cannot tell what \${${type}.${id}.${attribute}} resolves to; add it to sandbox/harness/deployed-iam.ts`);
  }

  /** Replaces every `${type.id.attribute}` in a string the way terraform interpolates it. */
  resolve(value: string): string {
    return value.replace(/\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g, (_m, type: string, id: string, attribute: string) => this.attribute(type, id, attribute));
  }

  /** The policy JSON a `${data.aws_iam_policy_document.X.json}` reference renders to. */
  policy(reference: unknown): unknown {
    const m = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(reference));
    if (m === null) {
      if (typeof reference === "string" && reference.trim().startsWith("{")) return JSON.parse(this.resolve(reference)) as unknown;
      throw new Error(`${this.stack}: ${String(reference)} is not a policy document`);
    }
    const doc = this.json.data?.aws_iam_policy_document?.[m[1]!];
    if (doc === undefined) throw new Error(`${this.stack}: policy document ${m[1]} not found`);
    const statements = (doc.statement as TfStatement[]).map((s) => JSON.parse(this.resolve(JSON.stringify(renderStatement(s)))) as unknown);
    return { Version: "2012-10-17", Statement: statements };
  }

  /** The aws_iam_role block a `${aws_iam_role.X.id|name}` reference (or a literal role name) names. */
  roleName(reference: unknown): string {
    return this.resolve(String(reference));
  }
}

function readAccount(stack: TerraformStack, accountId: string, region: string): DeployedAccount {
  const json = JSON.parse(Testing.synth(stack, false)) as SynthJson;
  const reader = new StackReader(json, stack.node.id, accountId, region);
  const roles = reader.resources("aws_iam_role").map(
    ([, block]): DeployedRole => ({
      roleName: String(block.name),
      path: String(block.path ?? "/"),
      description: block.description === undefined ? undefined : String(block.description),
      maxSessionDuration: block.max_session_duration === undefined ? undefined : Number(block.max_session_duration),
      assumeRolePolicyDocument: reader.policy(block.assume_role_policy),
      inlinePolicies: {},
      managedPolicyArns: [],
      permissionsBoundary: block.permissions_boundary === undefined ? undefined : reader.resolve(String(block.permissions_boundary)),
    }),
  );
  const role = (reference: unknown): DeployedRole => {
    const name = reader.roleName(reference);
    const found = roles.find((r) => r.roleName === name);
    if (!found) throw new Error(`${stack.node.id}: ${String(reference)} names no role of the stack`);
    return found;
  };
  for (const [, block] of reader.resources("aws_iam_role_policy")) role(block.role).inlinePolicies[String(block.name)] = reader.policy(block.policy);
  for (const [, block] of reader.resources("aws_iam_role_policy_attachment")) role(block.role).managedPolicyArns.push(reader.resolve(String(block.policy_arn)));
  const policies = reader.resources("aws_iam_policy").map(([id, block]) => ({
    arn: reader.resolve(`\${aws_iam_policy.${id}.arn}`),
    name: String(block.name),
    path: String(block.path ?? "/"),
    document: reader.policy(block.policy),
  }));
  const buckets = reader.resources("aws_s3_bucket").map(([, block]) => String(block.bucket));
  const bucketPolicies: Record<string, unknown> = {};
  for (const [, block] of reader.resources("aws_s3_bucket_policy")) bucketPolicies[reader.resolve(String(block.bucket))] = reader.policy(block.policy);
  const bucketVersioning: Record<string, string> = {};
  for (const [, block] of reader.resources("aws_s3_bucket_versioning")) {
    bucketVersioning[reader.resolve(String(block.bucket))] = String((block.versioning_configuration as { status?: string } | undefined)?.status ?? "");
  }
  const topics = reader.resources("aws_sns_topic").map(([id, block]): DeployedTopic => {
    const arn = reader.resolve(`\${aws_sns_topic.${id}.arn}`);
    const subscriptions = reader
      .resources("aws_sns_topic_subscription")
      .filter(([, sub]) => reader.resolve(String(sub.topic_arn)) === arn)
      .map(([, sub]) => ({ protocol: String(sub.protocol), endpoint: reader.resolve(String(sub.endpoint)) }));
    return { name: String(block.name), subscriptions };
  });
  return { accountId, stack: stack.node.id, roles, policies, buckets, bucketPolicies, bucketVersioning, topics };
}

const cache = new Map<string, DeployedAccount[]>();

/**
 * What the hub stack and a spoke stack for each of `spokes` deploy, per account (the hub's first).
 * `spokes` defaults to accounts.yaml's active accounts; the world passes the members of onboarded
 * OUs too. Synthesis takes about 0.1 s per spoke; the result is kept per config for the process.
 */
export function deployedIam(config: Config, spokes: readonly AccountEntry[] = config.accounts.filter((a) => a.status !== "retired")): DeployedAccount[] {
  const key = JSON.stringify([config, spokes]);
  let accounts = cache.get(key);
  if (!accounts) {
    // The Lambda package does not change any IAM, so an empty file stands in for it.
    const archive = join(mkdtempSync(join(tmpdir(), "driftguard-sandbox-bundle-")), "placeholder.zip");
    writeFileSync(archive, "");
    accounts = [readAccount(new HubStack(Testing.app(), { config, archive }), config.hub.accountId, config.hub.region)];
    for (const account of spokes) {
      accounts.push(readAccount(new SpokeStack(Testing.app(), { config, account }), account.id, config.hub.region));
    }
    cache.set(key, accounts);
  }
  return accounts;
}
