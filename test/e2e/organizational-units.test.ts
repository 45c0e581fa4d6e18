import { Logger } from "@aws-lambda-powertools/logger";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/accounts-file/index.js";
import type { RunReport } from "../../functions/core/types.js";
import { handleChangeEvent } from "../../functions/events/handle.js";
import { RecentIds } from "../../functions/events/recent-ids.js";
import type { EventOutcome } from "../../functions/events/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { eventDeps } from "../../functions/runtime/wiring.js";
import { invokeHub } from "../../sandbox/harness/run-local.js";
import type { ScenarioInput } from "../../sandbox/harness/scenario.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { publishedReport, roleTemplate } from "../support/e2e.js";
import { startTestSandbox } from "../support/sandbox.js";
import { fakeMetrics } from "../unit/events/helpers.js";

/**
 * Onboarding by organizational unit, end to end: the sandbox's Organizations has OUs, accounts.yaml
 * onboards one OU (StackSet spokes) and never lists most of its accounts, and the real handler
 * resolves membership at run time through ListRoots / ListOrganizationalUnitsForParent /
 * ListAccountsForParent. One sandbox, a single-invocation run and a fan-out run.
 */

const MANAGEMENT = "999999999999";
const HUB = "111111111111";
/** In Prod (under Workloads), listed in accounts.yaml with its own regions. */
const PAYMENTS = "222222222222";
/** In Workloads, in no file: joined the OU, scanned with its settings. */
const NEWCOMER = "333333333333";
/** In Workloads, excluded. */
const EXCLUDED = "444444444444";
/** In Sandboxes, an OU nobody onboarded. */
const PLAYGROUND = "555555555555";
/** Listed in accounts.yaml but under the root, outside every onboarded OU: no StackSet gives it a spoke. */
const LONER = "666666666666";

const ROOT = "r-ouorg";
const WORKLOADS = "ou-ouorg-workload1";
const PROD = "ou-ouorg-prod0001";
const SANDBOXES = "ou-ouorg-sandbox1";

const config = parseConfig(
  `
version: 1
organization: { id: o-ouorg00001 }
hub: { accountId: "${HUB}", region: us-east-1 }
spoke: { deployment: stackset, stackSet: { administratorAccountId: "${MANAGEMENT}" } }
defaults: { regions: [us-east-1] }
organizationalUnits:
  - { id: ${WORKLOADS}, name: workloads, regions: [us-east-1, eu-west-1], cloudTrailLookup: true }
exclude: ["${EXCLUDED}"]
accounts:
  - { id: "${PAYMENTS}", name: payments-prod, regions: [us-east-1] }
  - { id: "${LONER}", name: loner }
`,
  "ou-accounts.yaml",
);

const ROLE_TEMPLATE = roleTemplate("app-role", ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";

const scenario: ScenarioInput = {
  organization: { managementAccount: MANAGEMENT, rootId: ROOT },
  organizationalUnits: [
    { id: WORKLOADS, name: "Workloads" },
    { id: PROD, name: "Prod", parent: WORKLOADS },
    { id: SANDBOXES, name: "Sandboxes" },
  ],
  accounts: [
    { id: HUB, name: "driftguard-hub" },
    { id: PAYMENTS, name: "payments-prod", ou: PROD },
    { id: NEWCOMER, name: "newcomer", ou: WORKLOADS },
    { id: EXCLUDED, name: "excluded-team", ou: WORKLOADS },
    { id: PLAYGROUND, name: "playground", ou: SANDBOXES },
    { id: LONER, name: "loner" },
  ],
  stacks: [PAYMENTS, NEWCOMER].map((account) => ({ account, region: "us-east-1", name: "iam-baseline", templateBody: ROLE_TEMPLATE })),
  // Someone grants the app role administrator rights in both accounts.
  drift: [PAYMENTS, NEWCOMER].map((account) => ({ account, service: "iam", action: "AttachRolePolicy", params: { RoleName: "app-role", PolicyArn: ADMIN } })),
  latency: { apiMs: 0, detectionMs: [50, 100] },
};

let sandbox: Sandbox;

const report = (summary: ScanSummary): Promise<RunReport> => publishedReport(sandbox, summary);

const appRoleAction = (r: RunReport, account: string) =>
  r.accounts.find((a) => a.accountId === account)?.regions[0]?.stacks.find((s) => s.stackName === "iam-baseline")?.resources.find((x) => x.logicalResourceId === "AppRole")?.action.outcome;

beforeAll(async () => {
  sandbox = await startTestSandbox({ scenario, config });
});
afterAll(async () => {
  await sandbox?.close();
});

describe("onboarding by organizational unit", () => {
  it("scans the OU's members found at run time with the OU's settings, under explicit overrides, and covers the rest", async () => {
    const r = await report(await invokeHub(sandbox, config, "remediate"));
    const byId = new Map(r.accounts.map((a) => [a.accountId, a]));
    // Listed first (file order), then the OU's other members; nested Prod counts as Workloads.
    expect(r.accounts.map((a) => [a.accountId, a.status, a.regions.map((x) => x.region), a.organizationalUnit])).toEqual([
      [PAYMENTS, "scanned", ["us-east-1"], WORKLOADS],
      [LONER, "failed", [], undefined],
      [NEWCOMER, "scanned", ["us-east-1", "eu-west-1"], WORKLOADS],
    ]);
    expect(byId.get(LONER)!.error?.code).toBe("OutsideOnboardedOrganizationalUnits");
    // The explicit entry's regions win over its OU's; the newcomer gets the OU's, and is repaired.
    expect(appRoleAction(r, PAYMENTS)).toBe("remediated");
    expect(appRoleAction(r, NEWCOMER)).toBe("remediated");
    // The OU's cloudTrailLookup reaches the account nobody listed.
    expect(r.accounts.find((a) => a.accountId === NEWCOMER)!.regions[0]!.stacks[0]!.resources[0]!.changedBy).toBeDefined();
    expect(byId.has(EXCLUDED)).toBe(false);

    const coverage = r.coverage!.organization!;
    expect(coverage.notOnboarded.map((a) => [a.accountId, a.reason, a.organizationalUnit?.path])).toEqual([
      [HUB, "not-onboarded", "Root"],
      [EXCLUDED, "excluded", "Root/Workloads"],
      [PLAYGROUND, "not-onboarded", "Root/Sandboxes"],
      [MANAGEMENT, "not-onboarded", "Root"],
    ]);
    // 7 active members; payments and newcomer scanned.
    expect(coverage).toMatchObject({ activeAccounts: 7, scannedAccounts: 2, percent: 28.6 });
  });

  it("resolves the same accounts in a fan-out run: workers take their settings from the plan", async () => {
    const r = await report(await invokeHub(sandbox, config, "report", {}, false, "fanout"));
    expect(r.accounts.map((a) => [a.accountId, a.status, a.mode, a.regions.length])).toEqual([
      [PAYMENTS, "scanned", "report", 1],
      [LONER, "failed", "report", 0],
      [NEWCOMER, "scanned", "report", 2],
    ]);
    expect(r.coverage!.organization!.percent).toBe(28.6);
  });

  it("acts on change events from an account onboarded only through its OU, and drops those of accounts outside", async () => {
    const previousEndpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = sandbox.endpoint;
    try {
      const credentials = sandbox.hubCredentials;
      const hub = {
        organizations: new OrganizationsClient({ region: "us-east-1", credentials }),
        sts: new STSClient({ region: "us-east-1", credentials }),
        s3: new S3Client({ region: "us-east-1", credentials }),
        sns: new SNSClient({ region: "us-east-1", credentials }),
      };
      const deps = {
        ...eventDeps(
          { settings: { config: { kind: "file", file: "(in memory)" }, reportBucket: sandbox.hub.reportBucket, topicArn: sandbox.hub.topicArn }, config, hub },
          new Logger({ serviceName: "driftguard", logLevel: "SILENT" }),
          new RecentIds(),
        ),
        metrics: fakeMetrics().metrics,
      };
      const outcomes: Promise<EventOutcome>[] = [];
      const unsubscribe = sandbox.onEvent((event) => void outcomes.push(handleChangeEvent(event, deps)));
      // The same grant again in the newcomer (in no file); a new VPC in the playground (an OU nobody onboarded).
      await sandbox.dispatch(NEWCOMER, "us-east-1", "iam", "AttachRolePolicy", { RoleName: "app-role", PolicyArn: ADMIN });
      await sandbox.dispatch(PLAYGROUND, "us-east-1", "ec2", "CreateVpc", { CidrBlock: "10.0.0.0/16" });
      await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      const settled = await Promise.all(outcomes);
      unsubscribe();
      const byAccount = (account: string) => settled.find((o) => (o.status === "handled" ? o.report.account === account : o.detail.includes(account)));
      // Placed in Workloads by DescribeAccount/ListParents, and handled with its settings (defaults.mode report: planned).
      expect(byAccount(NEWCOMER)).toMatchObject({ status: "handled", report: { accountName: "newcomer", results: [{ finding: true, action: { outcome: "planned" } }] } });
      expect(byAccount(PLAYGROUND)).toMatchObject({ status: "dropped", reason: "account-not-onboarded" });
    } finally {
      if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previousEndpoint;
    }
  });
});
