import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { clientConfig, failure, HUB, OUTSIDER, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

let sandbox: Sandbox;
let iam: IAMClient;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  iam = new IAMClient(clientConfig(sandbox, sandbox.adminCredentials(WORKLOAD)));
});
afterAll(() => sandbox.close());

const TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] };
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

describe("iam roles", () => {
  it("creates a role and returns its documents URL-encoded, as IAM does", async () => {
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: JSON.stringify(TRUST), Description: "app", Tags: [{ Key: "team", Value: "a" }] }),
    );
    expect(created.Role).toMatchObject({ RoleName: "app", Arn: `arn:aws:iam::${WORKLOAD}:role/app`, MaxSessionDuration: 3600 });
    expect(created.Role!.CreateDate).toBeInstanceOf(Date);
    const got = await iam.send(new GetRoleCommand({ RoleName: "app" }));
    expect(JSON.parse(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!))).toEqual(TRUST);
    expect(got.Role!.Tags).toEqual([{ Key: "team", Value: "a" }]);
    expect((await failure(iam.send(new CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: JSON.stringify(TRUST) })))).name).toBe("EntityAlreadyExistsException");
  });

  it("attaches and detaches managed policies", async () => {
    await iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: ADMIN }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: ADMIN }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "app" }));
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: "AdministratorAccess", PolicyArn: ADMIN }]);
    await iam.send(new DetachRolePolicyCommand({ RoleName: "app", PolicyArn: ADMIN }));
    const again = await failure(iam.send(new DetachRolePolicyCommand({ RoleName: "app", PolicyArn: ADMIN })));
    expect(again.name).toBe("NoSuchEntityException");
    expect(again.$metadata.httpStatusCode).toBe(404);
    expect((await failure(iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: "not-an-arn" })))).name).toBe("InvalidInputException");
  });

  it("refuses to attach a policy that does not exist with NoSuchEntity, as IAM words it", async () => {
    // API_AttachRolePolicy.html: NoSuchEntity; message as IAM returns it (getmoto/moto#6482).
    for (const arn of ["arn:aws:iam::aws:policy/AWSLambdaFullAccessTypo", `arn:aws:iam::${WORKLOAD}:policy/never-created`]) {
      const err = await failure(iam.send(new AttachRolePolicyCommand({ RoleName: "app", PolicyArn: arn })));
      expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(["NoSuchEntityException", 404, `Policy ${arn} does not exist or is not attachable.`]);
    }
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "app" }))).AttachedPolicies).toEqual([]);
  });

  it.each([
    ["an Effect other than Allow or Deny", { Version: "2012-10-17", Statement: [{ Effect: "Allowed", Action: "s3:*", Resource: "*" }] }, "Syntax errors in policy."],
    ["a Principal in an identity policy", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }] }, "Policy document should not specify a principal."],
    ["a string Statement", { Version: "2012-10-17", Statement: "allow everything" }, "Syntax errors in policy."],
    ["a statement without resources", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*" }] }, "Policy statement must contain resources."],
  ])("rejects %s with MalformedPolicyDocument (reference_policies_grammar.html)", async (_what, doc, message) => {
    const err = await failure(iam.send(new PutRolePolicyCommand({ RoleName: "app", PolicyName: "bad", PolicyDocument: JSON.stringify(doc) })));
    expect([err.name, err.$metadata.httpStatusCode, err.message]).toEqual(["MalformedPolicyDocumentException", 400, message]);
  });

  it("rejects a trust policy with a Resource", async () => {
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole", Resource: "*" }] };
    const err = await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "app", PolicyDocument: JSON.stringify(doc) })));
    expect([err.name, err.message]).toEqual(["MalformedPolicyDocumentException", "Has prohibited field Resource"]);
  });

  it("puts, reads and deletes inline policies; rejects malformed documents", async () => {
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
    await iam.send(new PutRolePolicyCommand({ RoleName: "app", PolicyName: "read", PolicyDocument: JSON.stringify(doc) }));
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: "app" }))).PolicyNames).toEqual(["read"]);
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: "app", PolicyName: "read" }));
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument!))).toEqual(doc);
    expect((await failure(iam.send(new PutRolePolicyCommand({ RoleName: "app", PolicyName: "bad", PolicyDocument: "{not json" })))).name).toBe(
      "MalformedPolicyDocumentException",
    );
    await iam.send(new DeleteRolePolicyCommand({ RoleName: "app", PolicyName: "read" }));
    expect((await failure(iam.send(new GetRolePolicyCommand({ RoleName: "app", PolicyName: "read" })))).name).toBe("NoSuchEntityException");
  });

  it("updates trust, description, session duration and tags", async () => {
    const trust = { ...TRUST, Statement: [{ ...TRUST.Statement[0], Principal: { Service: "lambda.amazonaws.com" } }] };
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "app", PolicyDocument: JSON.stringify(trust) }));
    await iam.send(new UpdateRoleCommand({ RoleName: "app", MaxSessionDuration: 7200 }));
    const described = await iam.send(new UpdateRoleDescriptionCommand({ RoleName: "app", Description: "new" }));
    expect(described.Role).toMatchObject({ Description: "new", MaxSessionDuration: 7200 });
    expect(JSON.parse(decodeURIComponent(described.Role!.AssumeRolePolicyDocument!))).toEqual(trust);
    expect((await failure(iam.send(new UpdateRoleCommand({ RoleName: "app", MaxSessionDuration: 60 })))).name).toBe("ValidationError");
    await iam.send(new TagRoleCommand({ RoleName: "app", Tags: [{ Key: "owner", Value: "me" }] }));
    await iam.send(new UntagRoleCommand({ RoleName: "app", TagKeys: ["team"] }));
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: "app" }))).Tags).toEqual([{ Key: "owner", Value: "me" }]);
  });

  it("pages ListRoles with Marker and refuses to delete a role that still has policies", async () => {
    const first = await iam.send(new ListRolesCommand({ MaxItems: 1 }));
    expect(first.IsTruncated).toBe(true);
    const second = await iam.send(new ListRolesCommand({ Marker: first.Marker }));
    // The spoke stack deploys the spoke role and the event forwarder's role.
    expect([...first.Roles!, ...second.Roles!].map((r) => r.RoleName).sort()).toEqual(["app", "driftguard-events-forwarder", "driftguard-spoke"]);
    expect((await failure(iam.send(new DeleteRoleCommand({ RoleName: "driftguard-spoke" })))).name).toBe("DeleteConflictException");
    await iam.send(new DeleteRoleCommand({ RoleName: "app" }));
    expect((await failure(iam.send(new GetRoleCommand({ RoleName: "app" })))).name).toBe("NoSuchEntityException");
  });
});

describe("iam trust policy principals must exist (CreateRole, UpdateAssumeRolePolicy)", () => {
  const trusting = (...aws: string[]) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "sts:AssumeRole" }] });
  const missingRole = `arn:aws:iam::${WORKLOAD}:role/not-yet`;

  it("refuses a role or user that does not exist with IAM's MalformedPolicyDocument wording", async () => {
    const err = await failure(iam.send(new CreateRoleCommand({ RoleName: "trusts-missing", AssumeRolePolicyDocument: trusting(missingRole) })));
    expect(err.name).toBe("MalformedPolicyDocumentException");
    expect(err.message).toBe(`Invalid principal in policy: "AWS":"${missingRole}"`);
    expect((await failure(iam.send(new GetRoleCommand({ RoleName: "trusts-missing" })))).name).toBe("NoSuchEntityException");
    const user = `arn:aws:iam::${HUB}:user/nobody`;
    expect((await failure(iam.send(new CreateRoleCommand({ RoleName: "trusts-user", AssumeRolePolicyDocument: trusting(user) })))).message).toBe(`Invalid principal in policy: "AWS":"${user}"`);
    // A role cannot trust itself before it exists (aws-secure-environment-accelerator#1136).
    const self = `arn:aws:iam::${WORKLOAD}:role/self`;
    expect((await failure(iam.send(new CreateRoleCommand({ RoleName: "self", AssumeRolePolicyDocument: trusting(self) })))).name).toBe("MalformedPolicyDocumentException");
  });

  it("accepts existing roles (also in another sandbox account), roots, account ids, sessions, services and *; UpdateAssumeRolePolicy checks too", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "not-yet", Path: "/team/", AssumeRolePolicyDocument: JSON.stringify(TRUST) }));
    // The path is part of the ARN IAM resolves: the role without its path is someone else.
    expect((await failure(iam.send(new CreateRoleCommand({ RoleName: "trusts-missing", AssumeRolePolicyDocument: trusting(missingRole) })))).name).toBe("MalformedPolicyDocumentException");
    const pathed = `arn:aws:iam::${WORKLOAD}:role/team/not-yet`;
    const accepted = [pathed, `arn:aws:iam::${OUTSIDER}:root`, HUB, `arn:aws:sts::${WORKLOAD}:assumed-role/not-yet/any-session`, "*"];
    await iam.send(new CreateRoleCommand({ RoleName: "trusts-existing", AssumeRolePolicyDocument: trusting(...accepted) }));
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "trusts-existing", PolicyDocument: JSON.stringify(TRUST) }));
    const hubRole = `arn:aws:iam::${HUB}:role/gone`;
    const err = await failure(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "trusts-existing", PolicyDocument: trusting(pathed, hubRole) })));
    expect(err.message).toBe(`Invalid principal in policy: "AWS":"${hubRole}"`);
    const got = await iam.send(new GetRoleCommand({ RoleName: "trusts-existing" }));
    expect(JSON.parse(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!))).toEqual(TRUST);
  });

  it("refuses account ids, roots, roles and sessions of an account that does not exist (principal-existence.ts: dev.classmethod.jp, 2024-01-14)", async () => {
    // 444455556666 is no account of the sandbox's world, so for the sandbox it does not exist.
    for (const missing of ["444455556666", "arn:aws:iam::444455556666:root", "arn:aws:iam::444455556666:role/outside-the-sandbox", "arn:aws:sts::444455556666:assumed-role/r/s"]) {
      const err = await failure(iam.send(new CreateRoleCommand({ RoleName: "trusts-nobody", AssumeRolePolicyDocument: trusting(missing) })));
      expect([err.name, err.message]).toEqual(["MalformedPolicyDocumentException", `Invalid principal in policy: "AWS":"${missing}"`]);
    }
  });
});
