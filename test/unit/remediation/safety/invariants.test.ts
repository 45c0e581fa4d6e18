import { describe, expect, it } from "vitest";
import type { WriteEffect } from "../../../../functions/remediation/safety/effects.js";
import { adminStatements, refusals, safetyPolicy } from "../../../../functions/remediation/safety/invariants.js";
import { PAYMENTS_SPOKE } from "../../events/helpers.js";
import { testConfig } from "../../../support/config.js";

/**
 * Documents in the shapes AWS publishes them:
 * - AdministratorAccess and PowerUserAccess: the AWS managed policies' default versions
 *   (AWS Managed Policy Reference Guide, "AdministratorAccess", "PowerUserAccess").
 * - Trust policies: IAM User Guide, "IAM JSON policy elements: Principal" (account, root ARN,
 *   role ARN, service, federated OIDC and `*` examples).
 */
const ADMINISTRATOR_ACCESS = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const POWER_USER_ACCESS = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" },
    { Effect: "Allow", Action: ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions"], Resource: "*" },
  ],
};
const EC2_TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] };
const trust = (principal: unknown, condition?: unknown) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...(condition ? { Condition: condition } : {}) }],
});

const ORG_ACCOUNT = "111122223333";
const OUTSIDE = "555566667777";
const config = testConfig(PAYMENTS_SPOKE, {
  accounts: [{ id: ORG_ACCOUNT, name: "payments-prod" }],
  defaults: {
    safety: {
      trustedPrincipals: ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "444455556666"],
      adminPolicies: [{ policy: "arn:aws:iam::aws:policy/PowerUserAccess", roles: ["ci-deploy-*"], reason: "CI deploys" }],
    },
  },
});
/** The organization as Organizations lists it: the hub and the workload account. */
const MEMBERS = { accountIds: new Set(["999988887777", ORG_ACCOUNT]) };
const policy = safetyPolicy(config, MEMBERS);
const role = (name: string, path = "/") => ({ name, path });
const check = (effect: WriteEffect) => refusals(effect, policy);

describe("privilege invariants", () => {
  it("refuses any write to OrganizationAccountAccessRole, even a detach, with the exact reason", () => {
    expect(check({ kind: "attach-role-policy", role: role("OrganizationAccountAccessRole"), policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" })).toEqual([
      "would attach arn:aws:iam::aws:policy/AdministratorAccess to OrganizationAccountAccessRole: OrganizationAccountAccessRole is a protected role (AWS Organizations' administrator access role)",
    ]);
    expect(check({ kind: "detach-role-policy", role: role("OrganizationAccountAccessRole"), policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })).toHaveLength(1);
  });

  it("protects driftguard's own roles, bootstrap roles, StackSets roles and AWS-reserved paths", () => {
    for (const name of ["driftguard-spoke", "driftguard-events-forwarder", "driftguard-scanner", "AWSControlTowerExecution", "AWSCloudFormationStackSetExecutionRole", "stacksets-exec-0123456789abcdef"]) {
      expect(check({ kind: "tag-role", role: role(name) }), name).toHaveLength(1);
    }
    expect(check({ kind: "update-role", role: role("AWSReservedSSO_Admin_0123", "/aws-reserved/sso.amazonaws.com/"), fields: ["Description"] })[0]).toContain("under /aws-reserved/");
    expect(check({ kind: "delete-role-policy", role: role("AWSServiceRoleForECS", "/aws-service-role/ecs.amazonaws.com/"), policyName: "x" })[0]).toContain("/aws-service-role/");
    expect(check({ kind: "tag-role", role: role("payments-api") })).toEqual([]);
  });

  it("refuses a bootstrap role named in accounts.yaml", () => {
    const custom = safetyPolicy(testConfig(PAYMENTS_SPOKE, { accounts: [{ id: ORG_ACCOUNT, name: "payments-prod", bootstrapRoleName: "PlatformBootstrap" }] }), MEMBERS);
    expect(refusals({ kind: "tag-role", role: role("PlatformBootstrap") }, custom)[0]).toContain("a bootstrap role named in accounts.yaml");
  });

  it("refuses trust that widens to an outside account, `*` or an unlisted federated principal", () => {
    const update = (document: unknown) => check({ kind: "update-trust-policy", role: role("payments-api"), document, previous: EC2_TRUST });
    expect(update(trust({ AWS: `arn:aws:iam::${OUTSIDE}:root` }))).toEqual([
      `would replace the trust policy of payments-api: it would trust arn:aws:iam::${OUTSIDE}:root, and account ${OUTSIDE} is not in the organization; list it in defaults.safety.trustedPrincipals if intended`,
    ]);
    expect(update(trust("*"))[0]).toContain("every AWS principal (*)");
    expect(update(trust({ AWS: "*" }))[0]).toContain("every AWS principal (*)");
    expect(update(trust({ Federated: "cognito-identity.amazonaws.com" }))[0]).toContain("federated principal cognito-identity.amazonaws.com");
    expect(update({ Version: "2012-10-17", Statement: [{ Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${ORG_ACCOUNT}:root` }, Action: "sts:AssumeRole" }] })[0]).toContain("NotPrincipal");
  });

  it("allows trust in organization accounts, AWS services, listed principals and org-pinned `*`", () => {
    const update = (document: unknown) => check({ kind: "update-trust-policy", role: role("payments-api"), document, previous: EC2_TRUST });
    expect(update(trust({ AWS: `arn:aws:iam::${ORG_ACCOUNT}:role/deployer` }))).toEqual([]);
    expect(update(trust({ AWS: ORG_ACCOUNT }))).toEqual([]);
    expect(update(trust({ Service: ["lambda.amazonaws.com", "ec2.amazonaws.com"] }))).toEqual([]);
    expect(update(trust({ AWS: "arn:aws:iam::444455556666:root" }))).toEqual([]);
    expect(update(trust({ Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }))).toEqual([]);
    expect(update(trust({ AWS: "*" }, { StringEquals: { "aws:PrincipalOrgID": config.organization.id } }))).toEqual([]);
  });

  it("does not object to a trusted principal the live policy already had (the write does not widen it)", () => {
    const outside = trust({ AWS: `arn:aws:iam::${OUTSIDE}:root` });
    expect(check({ kind: "update-trust-policy", role: role("payments-api"), document: outside, previous: outside })).toEqual([]);
    // IAM stores "999988887777" as its root ARN; both forms are the same principal.
    expect(check({ kind: "update-trust-policy", role: role("payments-api"), document: trust({ AWS: OUTSIDE }), previous: outside })).toEqual([]);
  });

  it("refuses administrator-equivalent managed policies unless allowlisted for the role", () => {
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: "arn:aws:iam::aws:policy/IAMFullAccess" })[0]).toBe(
      "would attach arn:aws:iam::aws:policy/IAMFullAccess to payments-api: arn:aws:iam::aws:policy/IAMFullAccess is administrator-equivalent",
    );
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess" })).toHaveLength(1);
    expect(check({ kind: "attach-role-policy", role: role("ci-deploy-main"), policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" })).toEqual([]);
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" })).toHaveLength(1);
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" })).toEqual([]);
  });

  it("judges customer managed policies by their document, and refuses one it could not read", () => {
    const arn = `arn:aws:iam::${ORG_ACCOUNT}:policy/break-glass`;
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: arn, document: ADMINISTRATOR_ACCESS })[0]).toContain("it allows * on *");
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: arn })[0]).toContain("could not be read");
    expect(check({ kind: "attach-role-policy", role: role("payments-api"), policyArn: arn, document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } })).toEqual([]);
  });

  it("finds admin-equivalent statements: *, iam:*, iam:PassRole and NotAction on *", () => {
    expect(adminStatements(ADMINISTRATOR_ACCESS)).toEqual(["it allows * on *"]);
    expect(adminStatements(POWER_USER_ACCESS)).toEqual(["it allows every action except iam:*, organizations:*, account:* on *"]);
    expect(adminStatements({ Statement: [{ Effect: "Allow", Action: ["s3:*", "IAM:*"], Resource: ["*"] }] })).toEqual(["it allows IAM:* on *"]);
    expect(adminStatements({ Statement: { Sid: "Pass", Effect: "Allow", Action: "iam:Pass*", Resource: "*" } })).toEqual(["it allows iam:Pass* (iam:PassRole) on * (statement Pass)"]);
    // Scoped to a resource, or a Deny: not administrator access.
    expect(adminStatements({ Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/app" }] })).toEqual([]);
    expect(adminStatements({ Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] })).toEqual([]);
    // IAM returns documents URL-encoded (GetRolePolicy).
    expect(adminStatements(encodeURIComponent(JSON.stringify(ADMINISTRATOR_ACCESS)))).toEqual(["it allows * on *"]);
  });

  it("refuses putting an admin-equivalent inline policy, allows one named in the allowlist", () => {
    expect(check({ kind: "put-role-policy", role: role("payments-api"), policyName: "everything", document: ADMINISTRATOR_ACCESS })).toEqual([
      "would put inline policy everything on payments-api: it allows * on *",
    ]);
    const allowed = safetyPolicy(testConfig(PAYMENTS_SPOKE, { defaults: { safety: { adminPolicies: [{ policy: "everything", roles: ["payments-api"], reason: "break glass" }] } } }), MEMBERS);
    expect(refusals({ kind: "put-role-policy", role: role("payments-api"), policyName: "everything", document: ADMINISTRATOR_ACCESS }, allowed)).toEqual([]);
  });

  it("refuses ingress from the internet to all traffic, all ports or a guarded port; allows the rest", () => {
    const rule = (protocol: string, from: number, to: number, peer: { kind: "cidr4" | "cidr6"; cidr: string }) => ({ direction: "ingress" as const, protocol, fromPort: from, toPort: to, peer });
    const authorize = (r: ReturnType<typeof rule>) => check({ kind: "authorize-rule", groupId: "sg-0db", rule: r });
    expect(authorize(rule("-1", -1, -1, { kind: "cidr4", cidr: "0.0.0.0/0" }))).toEqual([
      "would authorize all traffic from 0.0.0.0/0 on sg-0db: it would open all traffic to the internet (0.0.0.0/0)",
    ]);
    expect(authorize(rule("tcp", 0, 65535, { kind: "cidr6", cidr: "::/0" }))[0]).toContain("every tcp port");
    expect(authorize(rule("tcp", 20, 30, { kind: "cidr4", cidr: "0.0.0.0/0" }))[0]).toContain("port 22");
    expect(authorize(rule("tcp", 443, 443, { kind: "cidr4", cidr: "0.0.0.0/0" }))).toEqual([]);
    expect(authorize(rule("-1", -1, -1, { kind: "cidr4", cidr: "10.0.0.0/8" }))).toEqual([]);
    // Revoking is taking away: always allowed (outside protected roles).
    expect(check({ kind: "revoke-rule", groupId: "sg-0db", rule: rule("-1", -1, -1, { kind: "cidr4", cidr: "0.0.0.0/0" }) })).toEqual([]);
  });

  it("judges a change set by every write it would make, and refuses what it cannot interpret", () => {
    const writes: WriteEffect[] = [{ kind: "update-trust-policy", role: role("payments-api"), document: trust({ AWS: OUTSIDE }), previous: EC2_TRUST }];
    expect(check({ kind: "execute-change-set", stackName: "payments-core", writes, uninterpreted: [] })[0]).toContain(`account ${OUTSIDE} is not in the organization`);
    expect(check({ kind: "execute-change-set", stackName: "payments-core", writes: [], uninterpreted: ["Key (AWS::KMS::Key)"] })).toEqual([
      "would execute change set on payments-core that changes Key (AWS::KMS::Key), which cannot be checked for privilege",
    ]);
    expect(check({ kind: "stage-change-set", stackName: "payments-core" })).toEqual([]);
  });
});

describe("trust policies against the organization's real membership", () => {
  // A trust policy naming an account, as IAM stores it (the root ARN); Organizations' walk lists the members.
  const trusting = (account: string) => ({
    kind: "update-trust-policy" as const,
    role: { name: "partner-access" },
    previous: { Version: "2012-10-17", Statement: [] },
    document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }] },
  });

  it("trusts a member Organizations lists even when accounts.yaml does not, and refuses a listed account that left", () => {
    const live = safetyPolicy(config, { accountIds: new Set(["999988887777"]) });
    expect(refusals(trusting("999988887777"), live)).toEqual([]);
    expect(refusals(trusting(ORG_ACCOUNT), live)[0]).toContain(`account ${ORG_ACCOUNT} is not in the organization`);
  });

  it("fails closed, saying why, when the membership could not be read", () => {
    const unknown = safetyPolicy(config, { error: "AccessDeniedException: not authorized to perform organizations:ListRoots" });
    expect(refusals(trusting(ORG_ACCOUNT), unknown)).toEqual([
      `would replace the trust policy of partner-access: it would trust arn:aws:iam::${ORG_ACCOUNT}:root, and the organization's membership could not be read (AccessDeniedException: not authorized to perform organizations:ListRoots), so account ${ORG_ACCOUNT} cannot be checked; list it in defaults.safety.trustedPrincipals if intended`,
    ]);
  });
});

describe("a managed policy's new document (rule 5)", () => {
  const doc = (...Statement: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement });
  const restore = (document: unknown, previous: unknown, attachedTo = [role("payments-api")]) =>
    check({ kind: "set-policy-document", policyArn: "arn:aws:iam::111122223333:policy/ledger-read", document, previous, attachedTo });
  const LIVE = doc({ Effect: "Allow", Action: ["s3:Get*", "s3:List*"], Resource: ["arn:aws:s3:::ledger", "arn:aws:s3:::ledger/*"] });

  it("passes a document that only takes away: fewer actions, narrower resources, wildcards inside the live ones", () => {
    expect(restore(doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/2026/*" }), LIVE)).toEqual([]);
    expect(restore(doc({ Effect: "Allow", Action: "S3:getobject*", Resource: "arn:aws:s3:::ledger/*" }), LIVE)).toEqual([]);
    expect(restore(doc(), LIVE)).toEqual([]);
    // Adding a Deny takes away too.
    expect(restore(doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" }, { Effect: "Deny", Action: "s3:*", Resource: "*" }), LIVE)).toEqual([]);
  });

  it("refuses one that grants an action, a resource or a wider wildcard the live one does not", () => {
    expect(restore(doc({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::ledger/*" }), LIVE)).toEqual([
      "would make the template's document the default version of arn:aws:iam::111122223333:policy/ledger-read: it would allow s3:PutObject on arn:aws:s3:::ledger/*, which the live document does not",
    ]);
    expect(restore(doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::payroll/*" }), LIVE)).toHaveLength(1);
    expect(restore(doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::ledger" }), LIVE)).toHaveLength(1);
    // `?` in the live pattern is only matched by the same pattern (no unsound literal reading).
    expect(restore(doc({ Effect: "Allow", Action: "s3:Get*", Resource: "arn:aws:s3:::ledger-a" }), doc({ Effect: "Allow", Action: "s3:Get?", Resource: "arn:aws:s3:::ledger-a" }))).toHaveLength(1);
  });

  it("treats conditions, NotAction and NotResource conservatively, and dropping a Deny as a grant", () => {
    const conditioned = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } };
    expect(restore(doc({ ...conditioned, Condition: undefined }), doc(conditioned))).toHaveLength(1);
    expect(restore(doc(conditioned), LIVE)).toEqual([]);
    expect(restore(doc({ Sid: "Same", ...conditioned }), doc(conditioned))).toEqual([]);
    expect(restore(doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }), doc({ Effect: "Allow", Action: "*", Resource: "*" }))).toHaveLength(1);
    expect(restore(doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" }), doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }, { Sid: "NoPayroll", Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::payroll/*" }))).toEqual([
      "would make the template's document the default version of arn:aws:iam::111122223333:policy/ledger-read: it would drop the live Deny of s3:* on arn:aws:s3:::payroll/* (statement NoPayroll)",
    ]);
    expect(restore("{not json", LIVE)[0]).toContain("cannot be parsed");
  });

  it("refuses any new document of a policy attached to a protected role, even a narrower one", () => {
    const narrower = doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::ledger/*" });
    expect(restore(narrower, LIVE, [role("payments-api"), role("OrganizationAccountAccessRole")])).toEqual([
      "would make the template's document the default version of arn:aws:iam::111122223333:policy/ledger-read: it is attached to a protected role: OrganizationAccountAccessRole is a protected role (AWS Organizations' administrator access role)",
    ]);
  });

  it("lets a version that is not in effect be deleted", () => {
    expect(check({ kind: "delete-policy-version", policyArn: "arn:aws:iam::111122223333:policy/ledger-read", versionId: "v1" })).toEqual([]);
  });
});
