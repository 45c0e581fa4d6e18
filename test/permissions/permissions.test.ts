import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/accounts-file/index.js";
import { GUARDRAILS } from "../../functions/events/guardrails/registry.js";
import { SWEEP_SOURCES } from "../../functions/sweep/index.js";
import { REVERT_DRIFT_ACTIONS, SCAN_ACTIONS } from "../../functions/permissions.js";
import { REMEDIATORS, RESOURCE_TAG_ACTIONS } from "../../functions/remediation/index.js";
import { awsManagedPolicies } from "../../sandbox/emulator/authorization/managed-policies.js";
import { deployedIam } from "../../sandbox/harness/deployed-iam.js";
import { readRecords, RECORDS_ENV, type PermissionRecord } from "./records.js";

/**
 * The permission meta-test. During the unit and e2e runs an SDK middleware (recorder.ts) records
 * every call each driftguard role sends to a sandbox, with the functions/ code that sent it. Here:
 *  1. what each role sent ⊆ what its synthesized policy grants (the sandbox already answers
 *     AccessDenied; this names the action, the role, the caller and where the grant belongs), and
 *  2. every action a role's own policies grant was sent by driftguard code somewhere in the run,
 *     so no grant outlives the code that needed it.
 * It runs after the unit and e2e projects (vitest.config.ts, groupOrder 1): run `npm test`.
 */

const config = loadConfig("accounts.yaml");
const fanout = { ...config, hub: { ...config.hub, execution: "fanout" as const } };
/** The hub role's webhook grants exist only when webhooks are configured (test/e2e/chat-webhooks.test.ts configures both stores). */
const withWebhooks: typeof config = {
  ...config,
  hub: {
    ...config.hub,
    notifications: {
      ...config.hub.notifications,
      webhooks: [
        { name: "platform", format: "slack", ssmParameter: "/driftguard/webhooks/platform" },
        { name: "teams", format: "teams", secretsManagerSecret: "driftguard/webhooks/teams" },
      ],
    },
  },
};

/** Where each role's grants come from, so a failure says what to edit. Checked to cover every deployed role. */
const DECLARED_IN: Record<string, string> = {
  "driftguard-spoke":
    "functions/permissions.ts (spokeRoleActions: SCAN_ACTIONS, REVERT_DRIFT_ACTIONS, each remediator's and guardrail's `actions`, the sweep sources' `actions`, RESOURCE_TAG_ACTIONS), rendered by modules/spoke-role.ts",
  "driftguard-scanner": "modules/scanner-function.ts (the scanner role's permissions document)",
  "driftguard-events-forwarder": "modules/event-forwarding.ts (the forwarder role's put-events document)",
};

/** Roles only AWS services act with (hub.execution: fanout), which the sandbox does not run: Step Functions and its schedule. */
const SERVICE_ONLY_ROLES: Record<string, string> = {
  "driftguard-scan-states": "modules/fanout-state-machine.ts (assumed by Step Functions)",
  "driftguard-scan-schedule": "modules/fanout-state-machine.ts (assumed by EventBridge to start the state machine)",
};

/**
 * Grants that AWS services exercise with the role, not driftguard's code, with who uses them.
 * Source: Lambda execution role (docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html),
 * Lambda destinations, SNS with SSE-KMS (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html),
 * EventBridge targets in other accounts (docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
 */
const USED_BY_AWS: Record<string, string> = {
  "logs:CreateLogStream": "Lambda writes the function's logs with its execution role",
  "logs:PutLogEvents": "Lambda writes the function's logs with its execution role",
  "sqs:SendMessage": "Lambda's on-failure destination sends with the execution role",
  "kms:GenerateDataKey*": "SNS encrypts published messages with the topic's KMS key on the publisher's behalf",
  "kms:Decrypt": "SNS encrypts published messages with the topic's KMS key on the publisher's behalf",
  "events:PutEvents": "EventBridge puts forwarded events on the hub bus with the forwarder role",
};

/** Where a spoke action is declared, by name: the lists spokeRoleActions() joins. */
function declarationsOf(action: string): string[] {
  const found = [
    ...(SCAN_ACTIONS as readonly string[]).includes(action) ? ["SCAN_ACTIONS (functions/permissions.ts)"] : [],
    ...(REVERT_DRIFT_ACTIONS as readonly string[]).includes(action) ? ["REVERT_DRIFT_ACTIONS (functions/permissions.ts)"] : [],
    ...(RESOURCE_TAG_ACTIONS as readonly string[]).includes(action) ? ["RESOURCE_TAG_ACTIONS (functions/remediation/resource-tags.ts)"] : [],
    ...REMEDIATORS.filter((r) => r.actions.includes(action)).map((r) => `the ${r.resourceType} remediator's actions`),
    ...GUARDRAILS.filter((g) => g.actions.includes(action)).map((g) => `the ${g.name} guardrail's actions`),
    ...SWEEP_SOURCES.filter((s) => s.actions.includes(action)).map((s) => `the ${s.resourceType} sweep source's actions (functions/sweep/sources.ts)`),
  ];
  return found;
}

/**
 * Grants no test yet sends through the sandbox. The remediators' writes are exercised by the
 * registry meta-test (test/unit/remediation/registry.test.ts runs each remediator against the
 * sandbox as the spoke role). Shrink-only: an entry the suite starts exercising, or that is no
 * longer granted, fails the last test until it is removed here.
 */
const NOT_YET_EXERCISED = new Set(["driftguard-scanner s3:ListBucket"]);

function declaredIn(role: string, action: string): string {
  const where = role === "driftguard-spoke" ? declarationsOf(action) : [];
  return where.length > 0 ? `${where.join(", ")} → ${DECLARED_IN[role]}` : DECLARED_IN[role]!;
}

const ACCESS_DENIED = new Set(["AccessDenied", "UnauthorizedOperation", "AuthorizationErrorException", "AuthorizationError", "AccessDeniedException"]);

/**
 * A denial the role's own grants caused: IAM's message names the policy type that denied
 * ("because no identity-based policy allows …", "… with an explicit deny in an identity-based
 * policy", "… in a permissions boundary"; reference_policies_evaluation-logic and the AccessDenied
 * message formats in troubleshoot_access-denied.html). A denial by a service control policy or a
 * scenario's injected fault (faults.ts: no policy named) is what a test set out to cause, not a
 * missing grant.
 */
function deniedByOwnPolicies(r: PermissionRecord): boolean {
  return r.error !== undefined && ACCESS_DENIED.has(r.error) && /identity-based policy|permissions boundary/.test(r.message ?? "");
}

interface Grants {
  /** Allow action patterns of the role's own (inline and customer managed) policies. */
  own: Set<string>;
  /** Allow action patterns of every policy, AWS managed ones included. */
  all: string[];
}

function allowActions(doc: unknown): string[] {
  const statements = (doc as { Statement: unknown }).Statement;
  return (Array.isArray(statements) ? statements : [statements])
    .filter((s: { Effect?: string }) => s.Effect === "Allow")
    .flatMap((s: { Action?: string | string[] }) => (s.Action === undefined ? [] : Array.isArray(s.Action) ? s.Action : [s.Action]));
}

function grantsByRole(): Map<string, Grants> {
  const byRole = new Map<string, Grants>();
  for (const account of [...deployedIam(config), ...deployedIam(fanout), ...deployedIam(withWebhooks)]) {
    for (const role of account.roles) {
      const grants = byRole.get(role.roleName) ?? { own: new Set<string>(), all: [] };
      const customer = role.managedPolicyArns.map((arn) => account.policies.find((p) => p.arn === arn)?.document).filter((d) => d !== undefined);
      for (const a of [...Object.values(role.inlinePolicies), ...customer].flatMap(allowActions)) grants.own.add(a);
      grants.all.push(...grants.own, ...role.managedPolicyArns.flatMap((arn) => allowActions(awsManagedPolicies().get(arn)?.document ?? { Statement: [] })));
      byRole.set(role.roleName, grants);
    }
  }
  return byRole;
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards (reference_policies_elements_action.html). */
function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return re.test(action);
}

function sentByDriftguard(records: PermissionRecord[]): PermissionRecord[] {
  return records.filter((r) => r.callsite !== undefined && r.role in DECLARED_IN);
}

const dir = process.env[RECORDS_ENV];
const records = dir ? readRecords(dir) : [];

describe("driftguard's roles are granted exactly what their code sends", () => {
  const grants = grantsByRole();

  it("knows where every deployed role's grants are declared", () => {
    expect([...grants.keys()].filter((role) => !(role in DECLARED_IN) && !(role in SERVICE_ONLY_ROLES))).toEqual([]);
  });

  it("has records from the unit and e2e runs (run the whole suite: npm test)", () => {
    expect(sentByDriftguard(records).length, `no permission records in ${dir ?? `$${RECORDS_ENV} (unset)`}`).toBeGreaterThan(0);
  });

  it("grants every action each role sent", () => {
    const problems = new Set<string>();
    for (const r of sentByDriftguard(records)) {
      const granted = grants.get(r.role)?.all.some((p) => matches(p, r.action)) ?? false;
      if (!granted || deniedByOwnPolicies(r)) {
        problems.add(
          `${r.role} sent ${r.action} (${r.operation}) from ${r.callsite} during ${r.testFile}` +
            (granted ? ` and was denied (${r.error}): check the resources and conditions of its grant` : `, but its synthesized policy does not grant it`) +
            `; declare it next to the code that calls it (${r.callsite}), which reaches ${r.role}'s policy through ${DECLARED_IN[r.role]}`,
        );
      }
    }
    expect([...problems].sort()).toEqual([]);
  });

  const unusedGrants = (): string[] => {
    const sent = sentByDriftguard(records);
    const unused: string[] = [];
    for (const [role, { own }] of grants) {
      if (role in SERVICE_ONLY_ROLES) continue;
      for (const pattern of own) {
        if (pattern in USED_BY_AWS) continue;
        if (!sent.some((r) => r.role === role && matches(pattern, r.action))) unused.push(`${role} ${pattern}`);
      }
    }
    return unused.sort();
  };

  it("uses every action each role's own policies grant", () => {
    const unused = unusedGrants()
      .filter((entry) => !NOT_YET_EXERCISED.has(entry))
      .map((entry) => {
        const [role, action] = entry.split(" ") as [string, string];
        return `${role} is granted ${action} (declared in ${declaredIn(role, action)}) but no driftguard code sent it during the run: exercise it in a sandbox test, or drop the grant`;
      });
    expect(unused).toEqual([]);
  });

  it("keeps the not-yet-exercised list to grants that exist and are still unexercised (shrink-only)", () => {
    const unused = new Set(unusedGrants());
    expect([...NOT_YET_EXERCISED].filter((entry) => !unused.has(entry))).toEqual([]);
  });
});
