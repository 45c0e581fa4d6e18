import { CloudFormationClient, ListStacksCommand } from "@aws-sdk/client-cloudformation";
import { IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenarioFromObject } from "../../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { administratorSession, clientConfig, failure, MANAGEMENT, OUTSIDER, PROD_OU, spokeSession, startTestSandbox, WORKLOAD, WORKLOADS_OU, ouScenario } from "../../support/sandbox.js";

/**
 * The scenario's service control policies: the Region deny SCP of the Organizations User Guide
 * ("Deny access to AWS based on the requested AWS Region", orgs_manage_policies_scps_examples_general.html),
 * shortened to the global services driftguard calls, attached to the Prod OU.
 */
const REGION_DENY = {
  Version: "2012-10-17" as const,
  Statement: [
    {
      Sid: "DenyAllOutsideUsEast1",
      Effect: "Deny",
      NotAction: ["iam:*", "organizations:*", "sts:*"],
      Resource: "*",
      Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] } },
    },
  ],
};

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario: { ...ouScenario(), serviceControlPolicies: [{ name: "region-deny", targets: [PROD_OU], document: REGION_DENY }] } });
});
afterAll(() => sandbox?.close());

const cfn = (credentials: Parameters<typeof clientConfig>[1], region: string) => new CloudFormationClient(clientConfig(sandbox, credentials, region));

describe("service control policies", () => {
  it("deny a member account's role outside the allowed Region with AWS's SCP wording, and allow it inside", async () => {
    const spoke = spokeSession(sandbox, WORKLOAD);
    expect((await cfn(spoke, "us-east-1").send(new ListStacksCommand({}))).StackSummaries).toBeDefined();
    const err = await failure(cfn(spoke, "eu-west-1").send(new ListStacksCommand({})));
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(["AccessDenied", 403]);
    // troubleshoot_access-denied.html: "… is not authorized to perform: … with an explicit deny in a service control policy".
    expect(err.message).toBe(`User: arn:aws:sts::${WORKLOAD}:assumed-role/driftguard-spoke/driftguard-test is not authorized to perform: cloudformation:ListStacks with an explicit deny in a service control policy`);
    // The region is part of what is asked: the us-east-1 answer is not reused for eu-west-1, nor the reverse.
    expect((await cfn(spoke, "us-east-1").send(new ListStacksCommand({}))).StackSummaries).toBeDefined();
  });

  it("leave the global services the policy exempts, and accounts outside the OU, alone", async () => {
    const spoke = spokeSession(sandbox, WORKLOAD);
    expect((await new IAMClient(clientConfig(sandbox, spoke, "eu-west-1")).send(new ListRolesCommand({}))).Roles).toBeDefined();
    const outsider = await administratorSession(sandbox, OUTSIDER, "admin");
    expect((await cfn(outsider, "eu-west-1").send(new ListStacksCommand({}))).StackSummaries).toBeDefined();
  });

  it("are refused on targets the organization does not have, and on the management account", () => {
    const base = { organization: { managementAccount: MANAGEMENT }, ...ouScenario() };
    const attach = (targets: string[]) => () => scenarioFromObject({ ...base, serviceControlPolicies: [{ name: "p", targets, document: REGION_DENY }] });
    expect(attach(["ou-test-missing01"])).toThrow(/serviceControlPolicies\[0\]\.targets\[0\].*is not the root, an OU of organizationalUnits or an account of accounts/s);
    expect(attach(["444444444444"])).toThrow(/serviceControlPolicies\[0\]\.targets\[0\]/);
    expect(attach([MANAGEMENT])).toThrow(/is the management account, which SCPs never restrict/);
    expect(attach([WORKLOADS_OU, WORKLOAD])).not.toThrow();
    expect(() => scenarioFromObject({ ...base, serviceControlPolicies: [{ name: "p", targets: [WORKLOAD], document: { Statement: [] } as never }] })).toThrow(/serviceControlPolicies\[0\]\.document/);
  });
});
