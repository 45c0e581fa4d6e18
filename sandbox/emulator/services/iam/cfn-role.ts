import type { IamRole } from "../../state.js";
import { AwsError } from "../../protocol/types.js";
import { iamService } from "./service.js";
import { callOnBehalf, readOnBehalf } from "../cloudformation/resources/on-behalf.js";
import { generatedName } from "../shared/ids.js";
import {
  jsonDocument,
  objectList,
  optionalString,
  pick,
  required,
  staleTagKeys,
  stringList,
  templateTags,
  userTagList,
} from "../cloudformation/resources/properties.js";
import type { ResourceContext, ResourceProvider } from "../cloudformation/resources/types.js";

const MODELED = [
  "RoleName",
  "Path",
  "AssumeRolePolicyDocument",
  "Description",
  "MaxSessionDuration",
  "ManagedPolicyArns",
  "Policies",
  "Tags",
] as const;

function inlinePolicies(value: unknown): Record<string, unknown> {
  return Object.fromEntries(objectList(value).map((policy) => [String(policy.PolicyName), jsonDocument(policy.PolicyDocument)]));
}

function liveRole(roleName: string, ctx: ResourceContext): IamRole | undefined {
  return ctx.env.account.roles.get(roleName);
}

/**
 * What the type's read handler calls for a role (drift detection, import): GetRole, then its
 * inline policies (ListRolePolicies, GetRolePolicy each) and managed ones (ListAttachedRolePolicies).
 */
function readRole(ctx: ResourceContext, roleName: string): Promise<void> {
  const inline = Object.keys(liveRole(roleName, ctx)?.inlinePolicies ?? {});
  return readOnBehalf(ctx, iamService, [
    ["GetRole", { RoleName: roleName }],
    ["ListRolePolicies", { RoleName: roleName }],
    ...inline.map((PolicyName) => ["GetRolePolicy", { RoleName: roleName, PolicyName }] as const),
    ["ListAttachedRolePolicies", { RoleName: roleName }],
  ]);
}

/** A call to IAM's own API handler, made the way CloudFormation makes it (on-behalf.ts). */
function iam(ctx: ResourceContext, action: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return callOnBehalf(ctx, iamService, action, params);
}

/**
 * Brings the live role to `expected` (template properties in canonical form) with the IAM calls
 * CloudFormation's AWS::IAM::Role handler makes: UpdateAssumeRolePolicy, UpdateRole, Put/DeleteRolePolicy,
 * Attach/DetachRolePolicy, Tag/UntagRole — only for what differs, so an unchanged role sees no call.
 * `previous` names what the stack set before (an UpdateStack): properties it set that `expected`
 * no longer has go back to IAM's defaults; a REVERT_DRIFT passes none and leaves unmodelled settings alone.
 */
async function converge(roleName: string, expected: Record<string, unknown>, ctx: ResourceContext, previous?: Record<string, unknown>): Promise<void> {
  const role = liveRole(roleName, ctx);
  if (!role) throw new AwsError("NoSuchEntity", `The role with name ${roleName} cannot be found.`, 404);
  const dropped = (name: string) => previous?.[name] !== undefined && expected[name] === undefined;
  if (expected.AssumeRolePolicyDocument !== undefined && JSON.stringify(expected.AssumeRolePolicyDocument) !== JSON.stringify(role.assumeRolePolicyDocument)) {
    await iam(ctx, "UpdateAssumeRolePolicy", { RoleName: roleName, PolicyDocument: JSON.stringify(expected.AssumeRolePolicyDocument) });
  }
  const description = expected.Description !== undefined ? String(expected.Description) : dropped("Description") ? "" : undefined;
  const duration = expected.MaxSessionDuration !== undefined ? Number(expected.MaxSessionDuration) : dropped("MaxSessionDuration") ? 3600 : undefined;
  const roleUpdate = {
    ...(description !== undefined && description !== (role.description ?? "") ? { Description: description } : {}),
    ...(duration !== undefined && duration !== role.maxSessionDuration ? { MaxSessionDuration: duration } : {}),
  };
  if (Object.keys(roleUpdate).length > 0) await iam(ctx, "UpdateRole", { RoleName: roleName, ...roleUpdate });
  if (expected.Policies !== undefined || dropped("Policies")) {
    const wanted = inlinePolicies(expected.Policies ?? []);
    for (const name of Object.keys(role.inlinePolicies)) if (!(name in wanted)) await iam(ctx, "DeleteRolePolicy", { RoleName: roleName, PolicyName: name });
    for (const [name, document] of Object.entries(wanted)) {
      if (JSON.stringify(role.inlinePolicies[name]) !== JSON.stringify(document)) await iam(ctx, "PutRolePolicy", { RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify(document) });
    }
  }
  if (expected.ManagedPolicyArns !== undefined || dropped("ManagedPolicyArns")) {
    const wanted = stringList(expected.ManagedPolicyArns ?? []);
    for (const arn of role.managedPolicyArns.filter((a) => !wanted.includes(a))) await iam(ctx, "DetachRolePolicy", { RoleName: roleName, PolicyArn: arn });
    for (const arn of wanted.filter((a) => !role.managedPolicyArns.includes(a))) await iam(ctx, "AttachRolePolicy", { RoleName: roleName, PolicyArn: arn });
  }
  if (expected.Tags !== undefined || dropped("Tags")) {
    const wanted = templateTags(expected.Tags ?? []);
    // A key the stack's own tags still name stays on the role, as for the other types (staleTagKeys).
    const stale = previous === undefined ? [] : staleTagKeys(role.tags, { ...ctx.stack.tags, ...wanted }, previous.Tags);
    const changed = Object.entries(wanted).filter(([key, value]) => role.tags[key] !== value);
    if (stale.length > 0) await iam(ctx, "UntagRole", { RoleName: roleName, TagKeys: stale });
    if (changed.length > 0) await iam(ctx, "TagRole", { RoleName: roleName, Tags: changed.map(([Key, Value]) => ({ Key, Value })) });
  }
}

/**
 * AWS::IAM::Role. The physical id is the role name. CloudFormation puts no `aws:cloudformation:*`
 * tags on IAM roles (IAM reserves the `aws:` prefix); stack tags are propagated. Every change goes
 * through IAM's API handlers (iam/service.ts), so it is validated and recorded as the API's.
 */
export const iamRoleProvider: ResourceProvider = {
  async create(properties, ctx) {
    const { sandbox } = ctx.env;
    const assumeRolePolicy = required(properties, "AssumeRolePolicyDocument", ctx.logicalId);
    const roleName =
      optionalString(properties.RoleName) ?? generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 64 });
    const tags = { ...ctx.stack.tags, ...templateTags(properties.Tags) };
    const created = (await iam(ctx, "CreateRole", {
      RoleName: roleName,
      ...(optionalString(properties.Path) !== undefined ? { Path: optionalString(properties.Path) } : {}),
      AssumeRolePolicyDocument: JSON.stringify(jsonDocument(assumeRolePolicy)),
      ...(optionalString(properties.Description) !== undefined ? { Description: optionalString(properties.Description) } : {}),
      ...(properties.MaxSessionDuration !== undefined ? { MaxSessionDuration: Number(properties.MaxSessionDuration) } : {}),
      ...(Object.keys(tags).length > 0 ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
    })) as { Role: { Arn: string; RoleId: string } };
    for (const [name, document] of Object.entries(inlinePolicies(properties.Policies))) {
      await iam(ctx, "PutRolePolicy", { RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify(document) });
    }
    for (const arn of stringList(properties.ManagedPolicyArns)) await iam(ctx, "AttachRolePolicy", { RoleName: roleName, PolicyArn: arn });
    return { physicalId: roleName, attributes: { Arn: created.Role.Arn, RoleId: created.Role.RoleId } };
  },

  /** DeleteRole refuses a role with policies (DeleteConflict), so CloudFormation removes them first. */
  async delete(roleName, ctx) {
    const role = liveRole(roleName, ctx);
    if (!role) return;
    for (const arn of [...role.managedPolicyArns]) await iam(ctx, "DetachRolePolicy", { RoleName: roleName, PolicyArn: arn });
    for (const name of Object.keys(role.inlinePolicies)) await iam(ctx, "DeleteRolePolicy", { RoleName: roleName, PolicyName: name });
    await iam(ctx, "DeleteRole", { RoleName: roleName });
  },

  updateInPlace(roleName, properties, previous, ctx) {
    return converge(roleName, iamRoleProvider.drift!.expected(properties), ctx, iamRoleProvider.drift!.expected(previous));
  },

  import: {
    identifier: "RoleName",
    async find(roleName, ctx) {
      await readOnBehalf(ctx, iamService, [["GetRole", { RoleName: roleName }]]);
      const role = ctx.env.account.roles.get(roleName);
      return role && { physicalId: roleName, attributes: { Arn: role.arn, RoleId: role.roleId } };
    },
  },

  drift: {
    shapes: {
      AssumeRolePolicyDocument: { kind: "policy" },
      ManagedPolicyArns: { kind: "set" },
      Policies: { kind: "set", key: "PolicyName", item: { kind: "object", fields: { PolicyDocument: { kind: "policy" } } } },
      Tags: { kind: "set", key: "Key", onlyExpectedKeys: true },
    },
    replacedBy: ["RoleName", "Path"],

    expected(properties) {
      const out = pick(properties, MODELED);
      if (out.AssumeRolePolicyDocument !== undefined) out.AssumeRolePolicyDocument = jsonDocument(out.AssumeRolePolicyDocument);
      if (out.MaxSessionDuration !== undefined) out.MaxSessionDuration = Number(out.MaxSessionDuration);
      if (out.Policies !== undefined) {
        out.Policies = objectList(out.Policies).map((policy) => ({ ...policy, PolicyDocument: jsonDocument(policy.PolicyDocument) }));
      }
      return out;
    },

    async readActual(roleName, ctx) {
      await readRole(ctx, roleName);
      const role = liveRole(roleName, ctx);
      if (!role) return undefined;
      return {
        RoleName: role.roleName,
        Path: role.path,
        AssumeRolePolicyDocument: role.assumeRolePolicyDocument,
        ...(role.description !== undefined ? { Description: role.description } : {}),
        MaxSessionDuration: role.maxSessionDuration,
        ManagedPolicyArns: [...role.managedPolicyArns],
        Policies: Object.entries(role.inlinePolicies).map(([PolicyName, PolicyDocument]) => ({ PolicyName, PolicyDocument })),
        Tags: userTagList(role.tags),
      };
    },

    update(roleName, expected, ctx) {
      return converge(roleName, expected, ctx);
    },
  },
};
