import type { AwsClientStub } from "aws-sdk-client-mock";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import type { RemediationAction, ResourceDrift } from "../../../functions/core/types.js";
import type { RemediationGuards } from "../../../functions/remediation/guards.js";
import { type Attachment, NOTHING_OWNED, type Owned } from "../../../functions/remediation/ownership/owned.js";
import { runPipeline } from "../../../functions/remediation/pipeline.js";
import { IN_SYNC_REASON } from "../../../functions/remediation/plan.js";
import type { SafetyPolicy } from "../../../functions/remediation/safety/invariants.js";
import type { Remediator } from "../../../functions/remediation/types.js";
import { testSpokeClients } from "../../support/aws.js";

export { awsError } from "../../support/aws.js";

export function spokeClients(accountId = "111122223333", region = "us-east-1"): SpokeClients {
  return testSpokeClients(accountId, region);
}

const READ = /^(Get|List|Describe)/;

/** Names of the commands sent that change something (everything but Get*, List*, Describe*). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function writes(...mocks: AwsClientStub<any>[]): string[] {
  return mocks.flatMap((m) => m.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ""))).filter((n) => !READ.test(n));
}

/**
 * A safety policy that refuses only writes to the AWS roles every account has: the planners'
 * own tests are about what they plan, the invariants have their own (safety/invariants.test.ts).
 */
export const TEST_SAFETY: SafetyPolicy = {
  organizationId: "o-a1b2c3d4e5",
  accountIds: new Set(["111122223333", "444455556666"]),
  trustedPrincipals: [],
  adminPolicies: [],
  protectedRoles: [{ name: "OrganizationAccountAccessRole", why: "AWS Organizations' administrator access role" }],
  openIngressPorts: [22, 3389],
};

/** Guards that never stop a repair. */
export const OPEN_GUARDS: RemediationGuards = {
  stateProblem: undefined,
  flappingBlock: () => undefined,
  contested: () => undefined,
  reserve: () => ({ ok: true }),
  recordRepair: () => undefined,
  recordActor: () => undefined,
  observeStack: () => undefined,
  finish: async () => undefined,
};

/**
 * One remediator through the engine's apply path (plan once → invariants → mode → apply), as the
 * engine runs it, with verification left out (the engine tests cover it): report mode when `dryRun`.
 */
export async function remediateWith(
  remediator: Remediator,
  drift: ResourceDrift,
  clients: SpokeClients,
  options: { dryRun?: boolean; owned?: Owned; safety?: SafetyPolicy; declared?: readonly Attachment[] } = {},
): Promise<RemediationAction> {
  const plan = await remediator.plan({ drift, clients, owned: options.owned ?? NOTHING_OWNED, ...(options.declared ? { declared: options.declared } : {}) });
  if ("manual" in plan) return { outcome: "manual", reason: plan.manual, steps: [] };
  if (plan.steps.length === 0) return { outcome: "skipped", reason: IN_SYNC_REASON, steps: [], ...(plan.honoured?.length ? { honoured: plan.honoured } : {}) };
  const ref = { accountId: clients.accountId, region: clients.region, stackName: "test", logicalResourceId: drift.logicalResourceId };
  const action = await runPipeline(
    { ref, by: remediator.resourceType, mode: options.dryRun ? "report" : "remediate", steps: plan.steps, ...(plan.honoured ? { honoured: plan.honoured } : {}) },
    { guards: OPEN_GUARDS, safety: options.safety ?? TEST_SAFETY, now: new Date(0), verify: async (reason, steps) => ({ outcome: "remediated", reason, steps }) },
  );
  const { by: _by, ...rest } = action;
  return rest;
}
