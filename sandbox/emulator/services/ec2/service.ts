import { createHash } from "node:crypto";
import type {
  DescribeSecurityGroupsCommandInput,
  DescribeSecurityGroupsCommandOutput,
  DescribeSecurityGroupRulesCommandInput,
  DescribeSecurityGroupRulesCommandOutput,
  CreateSecurityGroupCommandInput,
  CreateSecurityGroupCommandOutput,
  DeleteSecurityGroupCommandInput,
  DeleteSecurityGroupCommandOutput,
  AuthorizeSecurityGroupIngressCommandInput,
  AuthorizeSecurityGroupIngressCommandOutput,
  AuthorizeSecurityGroupEgressCommandInput,
  AuthorizeSecurityGroupEgressCommandOutput,
  RevokeSecurityGroupIngressCommandInput,
  RevokeSecurityGroupIngressCommandOutput,
  RevokeSecurityGroupEgressCommandInput,
  RevokeSecurityGroupEgressCommandOutput,
  UpdateSecurityGroupRuleDescriptionsIngressCommandInput,
  UpdateSecurityGroupRuleDescriptionsIngressCommandOutput,
  UpdateSecurityGroupRuleDescriptionsEgressCommandInput,
  UpdateSecurityGroupRuleDescriptionsEgressCommandOutput,
  ModifySecurityGroupRulesCommandInput,
  ModifySecurityGroupRulesCommandOutput,
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  DeleteTagsCommandInput,
  DeleteTagsCommandOutput,
  DescribeTagsCommandInput,
  DescribeTagsCommandOutput,
  DescribeVpcsCommandInput,
  DescribeVpcsCommandOutput,
  CreateVpcCommandInput,
  CreateVpcCommandOutput,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  Instance as SdkInstance,
  SecurityGroup as SdkSecurityGroup,
  ResourceType,
  TagDescription,
  TagSpecification,
  Vpc as SdkVpc,
} from "@aws-sdk/client-ec2";
import type { AccountState, Instance, RegionState, SecurityGroup, SecurityGroupRule, Tags, Vpc } from "../../state.js";
import { regionOf } from "../../state.js";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { type FilterInput, matchesFilters } from "./filters.js";
import {
  allowAllEgress,
  describeRule,
  identifyRules,
  permissionsFromRules,
  ruleFromRequest,
  revokedRuleShape,
  ruleIdOf,
  ruleShape,
  rulesFromPermissions,
  sameRule,
  requireGroupId,
} from "./permissions.js";
import { describeRegions } from "./regions.js";
import { prefixListActions, requirePrefixList } from "./prefix-lists.js";
import { ec2Id } from "../shared/ids.js";
import { list, optionalNumber, required } from "../shared/params.js";
import { type Page, paginate } from "../shared/paging.js";
import { fromTagList, toTagList, type TagEntry } from "../shared/tags.js";

/**
 * EC2: VPCs (every account-region has its default VPC and its "default" group), security groups
 * and their rules, tags, and just enough of instances for tag guardrails. Handlers take the SDK's
 * `<Op>CommandInput` and return `SdkOutput<<Op>CommandOutput>` (@aws-sdk/client-ec2); the EC2
 * query codec renders the lowerCamel wire names and ISO 8601 timestamps.
 */

type Ctx = CallContext;

function missing(name: string): () => AwsError {
  return () => new AwsError("MissingParameter", `The request must contain the parameter ${name}`);
}

function stableHex(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 17);
}

/**
 * The account-region's default VPC, created on first use with its "default" security group, as
 * every region of a real account has one. EC2 calls and CloudFormation provisioning both use it.
 */
export function ensureDefaultVpc(account: AccountState, regionName: string): Vpc {
  const region = regionOf(account, regionName);
  const existing = [...region.vpcs.values()].find((v) => v.isDefault);
  if (existing) return existing;
  // Derived ids, not random ones: touching a region must not shift the seeded sequence of other ids.
  const id = (kind: string) => stableHex(`${account.id}/${regionName}/${kind}`);
  const vpc: Vpc = { vpcId: `vpc-${id("vpc")}`, cidrBlock: "172.31.0.0/16", isDefault: true, tags: {} };
  region.vpcs.set(vpc.vpcId, vpc);
  const groupId = `sg-${id("default-sg")}`;
  region.securityGroups.set(groupId, {
    groupId,
    groupName: "default",
    description: "default VPC security group",
    vpcId: vpc.vpcId,
    ingress: [{ ipProtocol: "-1", referencedGroupId: groupId, ruleId: `sgr-${id("default-sg/ingress")}` }],
    egress: [{ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", ruleId: `sgr-${id("default-sg/egress")}` }],
    tags: {},
  });
  return vpc;
}

function accountOf(ctx: Ctx): AccountState {
  const account = ctx.world.accounts.get(ctx.accountId);
  if (!account) throw new AwsError("AuthFailure", "AWS was not able to validate the provided access credentials", 401);
  return account;
}

function defaultVpc(ctx: Ctx): Vpc {
  return ensureDefaultVpc(accountOf(ctx), ctx.region);
}

function regionState(ctx: Ctx): RegionState {
  defaultVpc(ctx);
  return regionOf(accountOf(ctx), ctx.region);
}

function groupNotFound(idOrName: string): AwsError {
  return new AwsError("InvalidGroup.NotFound", `The security group '${idOrName}' does not exist`);
}

function groupOf(ctx: Ctx, params: { GroupId?: string; GroupName?: string }): SecurityGroup {
  const region = regionState(ctx);
  if (params.GroupId) {
    const group = region.securityGroups.get(requireGroupId(params.GroupId));
    if (!group) throw groupNotFound(params.GroupId);
    return group;
  }
  const name = required(params.GroupName, missing("GroupId"));
  const vpcId = defaultVpc(ctx).vpcId;
  const group = [...region.securityGroups.values()].find((g) => g.groupName === name && g.vpcId === vpcId);
  if (!group) throw new AwsError("InvalidGroup.NotFound", `The security group '${name}' does not exist in default VPC '${vpcId}'`);
  return group;
}

function tagsFor(specs: TagSpecification[] | undefined, resourceType: string): Tags {
  return fromTagList(list(specs).filter((s) => s.ResourceType === resourceType).flatMap((s) => list(s.Tags)));
}

function sgArn(ctx: Ctx, groupId: string): string {
  return `arn:aws:ec2:${ctx.region}:${ctx.accountId}:security-group/${groupId}`;
}

function groupShape(ctx: Ctx, g: SecurityGroup): SdkSecurityGroup {
  return {
    GroupId: g.groupId,
    GroupName: g.groupName,
    Description: g.description,
    VpcId: g.vpcId,
    OwnerId: ctx.accountId,
    SecurityGroupArn: sgArn(ctx, g.groupId),
    IpPermissions: permissionsFromRules(g.ingress, ctx.accountId),
    IpPermissionsEgress: permissionsFromRules(g.egress, ctx.accountId),
    Tags: toTagList(g.tags),
  };
}

export interface SecurityGroupSpec {
  groupName: string;
  description: string;
  vpcId: string;
  tags?: Tags;
  ingress?: SecurityGroupRule[];
  /** Absent: EC2's default allow-all IPv4 egress rule. */
  egress?: SecurityGroupRule[];
}

/** Puts a new security group in the account-region (CreateSecurityGroup and stack provisioning use it). */
export function putSecurityGroup(region: RegionState, random: () => number, spec: SecurityGroupSpec): SecurityGroup {
  if ([...region.securityGroups.values()].some((g) => g.groupName === spec.groupName && g.vpcId === spec.vpcId)) {
    throw new AwsError("InvalidGroup.Duplicate", `The security group '${spec.groupName}' already exists for VPC '${spec.vpcId}'`);
  }
  const group: SecurityGroup = {
    groupId: ec2Id(random, "sg"),
    groupName: spec.groupName,
    description: spec.description,
    vpcId: spec.vpcId,
    ingress: identifyRules(spec.ingress ?? [], [], random),
    egress: spec.egress ? identifyRules(spec.egress, [], random) : [allowAllEgress(random)],
    tags: { ...(spec.tags ?? {}) },
  };
  region.securityGroups.set(group.groupId, group);
  return group;
}

function createSecurityGroup(params: CreateSecurityGroupCommandInput, ctx: Ctx): SdkOutput<CreateSecurityGroupCommandOutput> {
  const region = regionState(ctx);
  const groupName = required(params.GroupName, missing("GroupName"));
  const description = required(params.Description, missing("GroupDescription"));
  if (groupName.startsWith("sg-")) throw new AwsError("InvalidParameterValue", "Group names may not be in the format sg-*.");
  const vpcId = params.VpcId ?? defaultVpc(ctx).vpcId;
  if (!region.vpcs.has(vpcId)) throw vpcNotFound(vpcId);
  const group = putSecurityGroup(region, ctx.sandbox.random, { groupName, description, vpcId, tags: tagsFor(params.TagSpecifications, "security-group") });
  return { GroupId: group.groupId, Tags: toTagList(group.tags), SecurityGroupArn: sgArn(ctx, group.groupId) };
}

function deleteSecurityGroup(params: DeleteSecurityGroupCommandInput, ctx: Ctx): SdkOutput<DeleteSecurityGroupCommandOutput> {
  const region = regionState(ctx);
  const group = groupOf(ctx, params);
  if (group.groupName === "default") {
    throw new AwsError("CannotDelete", `the specified group: "${group.groupId}" name: "default" cannot be deleted by a user`);
  }
  const referenced = [...region.securityGroups.values()].some(
    (g) => g !== group && [...g.ingress, ...g.egress].some((r) => r.referencedGroupId === group.groupId),
  );
  if (referenced) throw new AwsError("DependencyViolation", `resource ${group.groupId} has a dependent object`);
  region.securityGroups.delete(group.groupId);
  return { Return: true, GroupId: group.groupId };
}

interface DescribeInput {
  Filters?: FilterInput[];
  NextToken?: string;
  MaxResults?: number;
}

interface Selection<T> {
  /** The ids asked for, each of which must exist; none = all. */
  ids?: { wanted: string[]; of(resource: T): string; notFound(id: string): AwsError };
  /** Filter name → the resource's values for it (see matchesFilters). */
  fields(resource: T): Record<string, string | string[] | undefined>;
  tags?(resource: T): Tags;
  /** A further condition of the action's own (GroupNames …). */
  also?(resource: T): boolean;
}

/** The Describe* selection: the ids asked for must exist; ids, Filters and the action's own conditions narrow; one page. */
function describePage<T>(all: T[], params: DescribeInput, select: Selection<T>): Page<T> {
  const ids = select.ids;
  for (const id of ids?.wanted ?? []) if (!all.some((r) => ids!.of(r) === id)) throw ids!.notFound(id);
  const matching = all.filter(
    (r) =>
      (!ids || ids.wanted.length === 0 || ids.wanted.includes(ids.of(r))) &&
      (select.also?.(r) ?? true) &&
      matchesFilters(params.Filters, select.fields(r), select.tags?.(r) ?? {}),
  );
  return paginate(matching, params.NextToken, optionalNumber(params.MaxResults) ?? 1000, () => new AwsError("InvalidParameterValue", "Invalid NextToken"));
}

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: "6", udp: "17", icmp: "1", icmpv6: "58" };

/**
 * The `ip-permission.*` (inbound) or `egress.ip-permission.*` (outbound) filter values of a group's
 * rules, as DescribeSecurityGroups documents them (API_DescribeSecurityGroups.html, Filter.N):
 * cidr, ipv6-cidr, from-port, to-port, protocol ("tcp | udp | icmp, a protocol number, or -1"),
 * group-id and group-name of a referenced group, prefix-list-id, user-id (the referenced group's
 * owner). Each filter matches on any rule of the group, independently of the others.
 */
function permissionFields(prefix: string, rules: SecurityGroupRule[], ctx: Ctx, groups: Map<string, SecurityGroup>): Record<string, string[]> {
  const values = (pick: (r: SecurityGroupRule) => (string | number | undefined)[]) =>
    rules.flatMap((r) => pick(r).flatMap((v) => (v === undefined ? [] : [String(v)])));
  return {
    [`${prefix}.cidr`]: values((r) => [r.cidrIpv4]),
    [`${prefix}.ipv6-cidr`]: values((r) => [r.cidrIpv6]),
    [`${prefix}.from-port`]: values((r) => [r.fromPort]),
    [`${prefix}.to-port`]: values((r) => [r.toPort]),
    [`${prefix}.protocol`]: values((r) => [r.ipProtocol, PROTOCOL_NUMBERS[r.ipProtocol]]),
    [`${prefix}.group-id`]: values((r) => [r.referencedGroupId]),
    [`${prefix}.group-name`]: values((r) => [r.referencedGroupId && groups.get(r.referencedGroupId)?.groupName]),
    [`${prefix}.prefix-list-id`]: values((r) => [r.prefixListId]),
    [`${prefix}.user-id`]: values((r) => [r.referencedGroupId && ctx.accountId]),
  };
}

function describeSecurityGroups(params: DescribeSecurityGroupsCommandInput, ctx: Ctx): SdkOutput<DescribeSecurityGroupsCommandOutput> {
  const names = list(params.GroupNames);
  const groups = regionState(ctx).securityGroups;
  // EC2-Classic is gone: a name that does not exist in the default VPC is InvalidGroup.NotFound (errors-overview.html).
  const vpcId = defaultVpc(ctx).vpcId;
  for (const name of names) {
    if (![...groups.values()].some((g) => g.groupName === name && g.vpcId === vpcId)) {
      throw new AwsError("InvalidGroup.NotFound", `The security group '${name}' does not exist in default VPC '${vpcId}'`);
    }
  }
  const page = describePage([...groups.values()], params, {
    ids: { wanted: list(params.GroupIds).map(requireGroupId), of: (g) => g.groupId, notFound: groupNotFound },
    fields: (g) => ({
      "group-id": g.groupId,
      "group-name": g.groupName,
      "vpc-id": g.vpcId,
      description: g.description,
      "owner-id": ctx.accountId,
      ...permissionFields("ip-permission", g.ingress, ctx, groups),
      ...permissionFields("egress.ip-permission", g.egress, ctx, groups),
    }),
    tags: (g) => g.tags,
    also: (g) => names.length === 0 || names.includes(g.groupName),
  });
  return { SecurityGroups: page.items.map((g) => groupShape(ctx, g)), NextToken: page.next };
}

function describeSecurityGroupRules(params: DescribeSecurityGroupRulesCommandInput, ctx: Ctx): SdkOutput<DescribeSecurityGroupRulesCommandOutput> {
  const rules = [...regionState(ctx).securityGroups.values()].flatMap((g) => [
    ...g.ingress.map((r) => ruleShape(g, ctx.accountId, false, r)),
    ...g.egress.map((r) => ruleShape(g, ctx.accountId, true, r)),
  ]);
  const page = describePage(rules, params, {
    ids: { wanted: list(params.SecurityGroupRuleIds), of: (r) => r.SecurityGroupRuleId, notFound: ruleNotFound },
    fields: (r) => ({ "group-id": r.GroupId, "security-group-rule-id": r.SecurityGroupRuleId }),
  });
  return { SecurityGroupRules: page.items, NextToken: page.next };
}

function ruleNotFound(id: string): AwsError {
  return new AwsError("InvalidSecurityGroupRuleId.NotFound", `The security group rule ID '${id}' does not exist`);
}

/** The rules of one direction of a group. */
function rulesOf(group: SecurityGroup, egress: boolean): SecurityGroupRule[] {
  return egress ? group.egress : group.ingress;
}

function setRules(group: SecurityGroup, egress: boolean, rules: SecurityGroupRule[]): void {
  if (egress) group.egress = rules;
  else group.ingress = rules;
}

function ruleById(group: SecurityGroup, egress: boolean, id: string): SecurityGroupRule {
  const rule = rulesOf(group, egress).find((r) => ruleIdOf(group, egress, r) === id);
  if (!rule) throw ruleNotFound(id);
  return rule;
}

/** What the Authorize, Revoke and UpdateSecurityGroupRuleDescriptions inputs share: IpPermissions, and the legacy single-rule form (ingress only). */
type RuleChange = Pick<AuthorizeSecurityGroupIngressCommandInput, "IpPermissions" | "IpProtocol" | "FromPort" | "ToPort" | "CidrIp">;

/** The rules named by IpPermissions or the legacy single-rule parameters; none when neither is given. */
function permissionRules(params: RuleChange): SecurityGroupRule[] {
  const permissions = list(params.IpPermissions);
  if (permissions.length === 0 && params.CidrIp) {
    permissions.push({ IpProtocol: params.IpProtocol, FromPort: params.FromPort, ToPort: params.ToPort, IpRanges: [{ CidrIp: params.CidrIp }] });
  }
  return rulesFromPermissions(permissions);
}

function authorize(egress: boolean) {
  return (params: AuthorizeSecurityGroupIngressCommandInput | AuthorizeSecurityGroupEgressCommandInput, ctx: Ctx): SdkOutput<AuthorizeSecurityGroupIngressCommandOutput | AuthorizeSecurityGroupEgressCommandOutput> => {
    const group = groupOf(ctx, params);
    const existing = rulesOf(group, egress);
    const rules = permissionRules(params);
    if (rules.length === 0) throw missing("IpPermissions")();
    for (const rule of rules) if (rule.prefixListId !== undefined) requirePrefixList(ctx, rule.prefixListId);
    for (const [i, rule] of rules.entries()) {
      if (existing.some((r) => sameRule(r, rule)) || rules.slice(0, i).some((r) => sameRule(r, rule))) {
        throw new AwsError("InvalidPermission.Duplicate", `the specified rule "${describeRule(rule)}" already exists`);
      }
    }
    const added = identifyRules(rules, [], ctx.sandbox.random);
    existing.push(...added);
    return { Return: true, SecurityGroupRules: added.map((r) => ruleShape(group, ctx.accountId, egress, r)) };
  };
}

/** Revokes rules named by SecurityGroupRuleIds, by IpPermissions, or both. */
function revoke(egress: boolean) {
  return (params: RevokeSecurityGroupIngressCommandInput | RevokeSecurityGroupEgressCommandInput, ctx: Ctx): SdkOutput<RevokeSecurityGroupIngressCommandOutput | RevokeSecurityGroupEgressCommandOutput> => {
    const group = groupOf(ctx, params);
    const current = rulesOf(group, egress);
    const byId = list(params.SecurityGroupRuleIds).map((id) => ruleById(group, egress, id));
    const requested = permissionRules(params);
    if (byId.length === 0 && requested.length === 0) throw missing("IpPermissions")();
    const unknown = requested.filter((rule) => !current.some((r) => sameRule(r, rule)));
    // Default VPC: unknown rules are reported back; any other VPC: the whole call fails.
    const inDefaultVpc = regionState(ctx).vpcs.get(group.vpcId)?.isDefault === true;
    if (unknown.length > 0 && !inDefaultVpc) {
      throw new AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
    }
    const revoked = current.filter((r) => byId.includes(r) || requested.some((rule) => sameRule(r, rule)));
    setRules(group, egress, current.filter((r) => !revoked.includes(r)));
    return {
      Return: true,
      UnknownIpPermissions: unknown.length > 0 ? permissionsFromRules(unknown, ctx.accountId) : undefined,
      RevokedSecurityGroupRules: revoked.map((r) => revokedRuleShape(group, egress, r)),
    };
  };
}

function describeAs(rule: SecurityGroupRule, description: string | undefined): void {
  // No description removes the one the rule had.
  if (description === undefined || description === "") delete rule.description;
  else rule.description = description;
}

/** Sets rule descriptions, naming rules by id or by their permissions (whose descriptions are the new ones). */
function updateDescriptions(egress: boolean) {
  return (
    params: UpdateSecurityGroupRuleDescriptionsIngressCommandInput | UpdateSecurityGroupRuleDescriptionsEgressCommandInput,
    ctx: Ctx,
  ): SdkOutput<UpdateSecurityGroupRuleDescriptionsIngressCommandOutput | UpdateSecurityGroupRuleDescriptionsEgressCommandOutput> => {
    const group = groupOf(ctx, params);
    const byId = list(params.SecurityGroupRuleDescriptions).map((d) => ({ rule: ruleById(group, egress, required(d.SecurityGroupRuleId, missing("SecurityGroupRuleId"))), description: d.Description }));
    const byPermission = permissionRules(params).map((wanted) => {
      const rule = rulesOf(group, egress).find((r) => sameRule(r, wanted));
      if (!rule) throw new AwsError("InvalidPermission.NotFound", `The specified rule "${describeRule(wanted)}" does not exist in this security group.`);
      return { rule, description: wanted.description };
    });
    if (byId.length === 0 && byPermission.length === 0) throw missing("IpPermissions")();
    for (const { rule, description } of [...byId, ...byPermission]) describeAs(rule, description);
    return { Return: true };
  };
}

/** Replaces rules in place: each keeps its id and direction. */
function modifySecurityGroupRules(params: ModifySecurityGroupRulesCommandInput, ctx: Ctx): SdkOutput<ModifySecurityGroupRulesCommandOutput> {
  const group = groupOf(ctx, { GroupId: required(params.GroupId, missing("GroupId")) });
  const changes = required(params.SecurityGroupRules, missing("SecurityGroupRule"));
  for (const change of changes) {
    const id = required(change.SecurityGroupRuleId, missing("SecurityGroupRuleId"));
    const egress = group.egress.some((r) => ruleIdOf(group, true, r) === id);
    const rules = rulesOf(group, egress);
    const old = ruleById(group, egress, id);
    const replacement = { ...ruleFromRequest(change.SecurityGroupRule ?? {}), ruleId: id };
    if (replacement.prefixListId !== undefined) requirePrefixList(ctx, replacement.prefixListId);
    if (rules.some((r) => r !== old && sameRule(r, replacement))) {
      throw new AwsError("InvalidPermission.Duplicate", `the specified rule "${describeRule(replacement)}" already exists`);
    }
    rules[rules.indexOf(old)] = replacement;
  }
  return { Return: true };
}

type Taggable = { tags: Tags; type: ResourceType };

function taggable(region: RegionState, id: string): Taggable {
  if (id.startsWith("sg-")) {
    const g = region.securityGroups.get(id);
    if (!g) throw groupNotFound(id);
    return { tags: g.tags, type: "security-group" };
  }
  if (id.startsWith("vpc-")) {
    const v = region.vpcs.get(id);
    if (!v) throw vpcNotFound(id);
    return { tags: v.tags, type: "vpc" };
  }
  if (id.startsWith("i-")) {
    const i = region.instances.get(id);
    if (!i) throw instanceNotFound(id);
    return { tags: i.tags, type: "instance" };
  }
  throw new AwsError("InvalidID", `The ID '${id}' is not valid`);
}

function createTags(params: CreateTagsCommandInput, ctx: Ctx): SdkOutput<CreateTagsCommandOutput> {
  const region = regionState(ctx);
  const targets = required(params.Resources, missing("ResourceId")).map((id) => taggable(region, id));
  const tags = fromTagList(required(params.Tags, missing("Tag")));
  for (const t of targets) Object.assign(t.tags, tags);
  return {};
}

function deleteTags(params: DeleteTagsCommandInput, ctx: Ctx): SdkOutput<DeleteTagsCommandOutput> {
  const region = regionState(ctx);
  const targets = required(params.Resources, missing("ResourceId")).map((id) => taggable(region, id));
  for (const t of targets) {
    // Without Tags every tag goes; a Tag with a Value only goes if the value matches.
    const doomed: TagEntry[] = params.Tags === undefined ? Object.keys(t.tags).map((Key) => ({ Key })) : params.Tags;
    for (const d of doomed) {
      if (d.Key !== undefined && (d.Value === undefined || t.tags[d.Key] === d.Value)) delete t.tags[d.Key];
    }
  }
  return {};
}

function describeTags(params: DescribeTagsCommandInput, ctx: Ctx): SdkOutput<DescribeTagsCommandOutput> {
  const region = regionState(ctx);
  const resource = (id: string, type: ResourceType, tags: Tags) => ({ id, type, tags });
  const resources = [
    ...[...region.securityGroups.values()].map((g) => resource(g.groupId, "security-group", g.tags)),
    ...[...region.vpcs.values()].map((v) => resource(v.vpcId, "vpc", v.tags)),
    ...[...region.instances.values()].map((i) => resource(i.instanceId, "instance", i.tags)),
  ];
  const tags = resources.flatMap((r) => Object.entries(r.tags).map(([Key, Value]): TagDescription => ({ Key, Value, ResourceId: r.id, ResourceType: r.type })));
  const page = describePage(tags, params, { fields: (t) => ({ "resource-id": t.ResourceId, "resource-type": t.ResourceType, key: t.Key, value: t.Value }) });
  return { Tags: page.items, NextToken: page.next };
}

function vpcShape(ctx: Ctx, v: Vpc): SdkVpc {
  return {
    VpcId: v.vpcId,
    CidrBlock: v.cidrBlock,
    IsDefault: v.isDefault,
    State: "available",
    OwnerId: ctx.accountId,
    InstanceTenancy: "default",
    CidrBlockAssociationSet: [{ AssociationId: `vpc-cidr-assoc-${v.vpcId.slice(4)}`, CidrBlock: v.cidrBlock, CidrBlockState: { State: "associated" } }],
    Tags: toTagList(v.tags),
  };
}

function vpcNotFound(id: string): AwsError {
  return new AwsError("InvalidVpcID.NotFound", `The vpc ID '${id}' does not exist`);
}

function describeVpcs(params: DescribeVpcsCommandInput, ctx: Ctx): SdkOutput<DescribeVpcsCommandOutput> {
  const page = describePage([...regionState(ctx).vpcs.values()], params, {
    ids: { wanted: list(params.VpcIds), of: (v) => v.vpcId, notFound: vpcNotFound },
    fields: (v) => ({ "vpc-id": v.vpcId, "is-default": String(v.isDefault), "cidr-block": v.cidrBlock, cidr: v.cidrBlock, state: "available", "owner-id": ctx.accountId }),
    tags: (v) => v.tags,
  });
  return { Vpcs: page.items.map((v) => vpcShape(ctx, v)), NextToken: page.next };
}

function createVpc(params: CreateVpcCommandInput, ctx: Ctx): SdkOutput<CreateVpcCommandOutput> {
  const region = regionState(ctx);
  const cidrBlock = required(params.CidrBlock, missing("CidrBlock"));
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidrBlock);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) < 16 || Number(m[5]) > 28) {
    throw new AwsError("InvalidVpc.Range", `The CIDR '${cidrBlock}' is invalid.`);
  }
  const vpc: Vpc = { vpcId: ec2Id(ctx.sandbox.random, "vpc"), cidrBlock, isDefault: false, tags: tagsFor(params.TagSpecifications, "vpc") };
  region.vpcs.set(vpc.vpcId, vpc);
  return { Vpc: { ...vpcShape(ctx, vpc), State: "pending" } };
}

function instanceShape(ctx: Ctx, i: Instance, state: "pending" | "running"): SdkInstance {
  const vpc = defaultVpc(ctx);
  return {
    InstanceId: i.instanceId,
    ImageId: i.imageId,
    InstanceType: i.instanceType,
    State: state === "pending" ? { Code: 0, Name: "pending" } : { Code: 16, Name: "running" },
    VpcId: vpc.vpcId,
    Placement: { AvailabilityZone: `${ctx.region}a` },
    // "LaunchTime: The time that the instance was last launched" (EC2 API Reference, Instance).
    LaunchTime: new Date(i.launchedAt),
    // EC2 leaves the tag set out of an untagged instance.
    ...(Object.keys(i.tags).length > 0 ? { Tags: toTagList(i.tags) } : {}),
  };
}

function runInstances(params: RunInstancesCommandInput, ctx: Ctx): SdkOutput<RunInstancesCommandOutput> {
  const region = regionState(ctx);
  const imageId = required(params.ImageId, missing("ImageId"));
  const count = optionalNumber(params.MaxCount) ?? optionalNumber(params.MinCount) ?? 1;
  const instances = Array.from({ length: count }, (): Instance => ({
    instanceId: ec2Id(ctx.sandbox.random, "i"),
    imageId,
    instanceType: params.InstanceType ?? "m1.small",
    tags: tagsFor(params.TagSpecifications, "instance"),
    launchedAt: new Date(ctx.sandbox.now()).toISOString(),
  }));
  for (const i of instances) region.instances.set(i.instanceId, i);
  return {
    ReservationId: ec2Id(ctx.sandbox.random, "r"),
    OwnerId: ctx.accountId,
    Groups: [],
    Instances: instances.map((i) => instanceShape(ctx, i, "pending")),
  };
}

function instanceNotFound(id: string): AwsError {
  return new AwsError("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
}

function describeInstances(params: DescribeInstancesCommandInput, ctx: Ctx): SdkOutput<DescribeInstancesCommandOutput> {
  const page = describePage([...regionState(ctx).instances.values()], params, {
    ids: { wanted: list(params.InstanceIds), of: (i) => i.instanceId, notFound: instanceNotFound },
    fields: (i) => ({ "instance-id": i.instanceId, "image-id": i.imageId, "instance-type": i.instanceType, "instance-state-name": "running" }),
    tags: (i) => i.tags,
  });
  return {
    Reservations: page.items.map((i) => ({ ReservationId: `r-${stableHex(i.instanceId)}`, OwnerId: ctx.accountId, Instances: [instanceShape(ctx, i, "running")] })),
    NextToken: page.next,
  };
}

export const ec2Service: ServiceDefinition = {
  name: "ec2",
  protocol: "ec2",
  xmlNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/",
  actions: {
    DescribeSecurityGroups: describeSecurityGroups,
    DescribeSecurityGroupRules: describeSecurityGroupRules,
    CreateSecurityGroup: createSecurityGroup,
    DeleteSecurityGroup: deleteSecurityGroup,
    AuthorizeSecurityGroupIngress: authorize(false),
    AuthorizeSecurityGroupEgress: authorize(true),
    RevokeSecurityGroupIngress: revoke(false),
    RevokeSecurityGroupEgress: revoke(true),
    UpdateSecurityGroupRuleDescriptionsIngress: updateDescriptions(false),
    UpdateSecurityGroupRuleDescriptionsEgress: updateDescriptions(true),
    ModifySecurityGroupRules: modifySecurityGroupRules,
    CreateTags: createTags,
    DeleteTags: deleteTags,
    DescribeTags: describeTags,
    DescribeVpcs: describeVpcs,
    CreateVpc: createVpc,
    RunInstances: runInstances,
    DescribeInstances: describeInstances,
    DescribeRegions: describeRegions,
    ...prefixListActions,
  },
};
