import type { IamRole } from "../../state.js";
import { putRole } from "./service.js";
import { generatedName } from "../shared/ids.js";
import {
  jsonDocument,
  objectList,
  optionalString,
  pick,
  required,
  restoreTags,
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
 * AWS::IAM::Role. The physical id is the role name. CloudFormation puts no `aws:cloudformation:*`
 * tags on IAM roles (IAM reserves the `aws:` prefix); stack tags are propagated.
 */
export const iamRoleProvider: ResourceProvider = {
  create(properties, ctx) {
    const { account, sandbox } = ctx.env;
    const assumeRolePolicy = required(properties, "AssumeRolePolicyDocument", ctx.logicalId);
    const roleName =
      optionalString(properties.RoleName) ?? generatedName(sandbox.random, ctx.stack.stackName, ctx.logicalId, { maxLength: 64 });
    const role = putRole(
      account,
      {
        roleName,
        path: optionalString(properties.Path),
        assumeRolePolicyDocument: jsonDocument(assumeRolePolicy),
        description: optionalString(properties.Description),
        maxSessionDuration: properties.MaxSessionDuration === undefined ? undefined : Number(properties.MaxSessionDuration),
        managedPolicyArns: stringList(properties.ManagedPolicyArns),
        inlinePolicies: inlinePolicies(properties.Policies),
        tags: { ...ctx.stack.tags, ...templateTags(properties.Tags) },
      },
      sandbox.random,
      sandbox.now(),
    );
    return { physicalId: roleName, attributes: { Arn: role.arn, RoleId: role.roleId } };
  },

  delete(roleName, ctx) {
    ctx.env.account.roles.delete(roleName);
  },

  import: {
    identifier: "RoleName",
    find(roleName, ctx) {
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

    readActual(roleName, ctx) {
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
      const role = liveRole(roleName, ctx);
      if (!role) throw new Error(`Role ${roleName} not found`);
      if (expected.AssumeRolePolicyDocument !== undefined) role.assumeRolePolicyDocument = expected.AssumeRolePolicyDocument;
      if (expected.Description !== undefined) role.description = String(expected.Description);
      if (expected.MaxSessionDuration !== undefined) role.maxSessionDuration = Number(expected.MaxSessionDuration);
      if (expected.ManagedPolicyArns !== undefined) role.managedPolicyArns = stringList(expected.ManagedPolicyArns);
      if (expected.Policies !== undefined) role.inlinePolicies = inlinePolicies(expected.Policies);
      if (expected.Tags !== undefined) restoreTags(role.tags, expected.Tags);
    },
  },
};
