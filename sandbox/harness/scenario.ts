import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConfigError } from "../../functions/config/problems.js";
import { isKnownRegion, KNOWN_REGIONS } from "../../functions/config/regions.js";
import { didYouMean } from "../../functions/config/suggest.js";
import { parseYamlWith, validateWith, type YamlValidationOptions } from "../../functions/config/yaml-validation.js";
import { FALSE_POSITIVE_CLASSES } from "../../functions/drift/index.js";
import { SERVICES } from "../emulator/services/index.js";

/**
 * Scenario files: the organization the sandbox emulates, the stacks it deploys, the out-of-band
 * changes ("drift") it then makes through the same API handlers, and injected faults and latency.
 * Errors name the file, YAML path and line, like accounts.yaml errors do.
 */

export const DEFAULT_SCENARIO = fileURLToPath(new URL("../scenarios/demo.yaml", import.meta.url));
/**
 * The demo's own accounts.yaml, next to its scenario: editing the repository's accounts.yaml for a
 * real organization never empties the demo, and its accounts set their own modes.
 */
export const DEMO_ACCOUNTS = fileURLToPath(new URL("../scenarios/demo-accounts.yaml", import.meta.url));

const accountId = z
  .string({ error: 'must be a 12-digit account id in quotes, e.g. "222222222222"' })
  .regex(/^\d{12}$/, { error: 'must be exactly 12 digits, quoted, e.g. "222222222222"' });

const region = z
  .string({ error: "must be a region name such as us-east-1" })
  .refine(isKnownRegion, { error: `is not a known AWS region; use one of ${KNOWN_REGIONS.join(", ")}` });

const serviceNames = SERVICES.map((s) => s.name);
const service = z.string().refine((s) => serviceNames.includes(s), {
  error: (iss) => `is not an emulated service${didYouMean(String(iss.input), serviceNames)}; use one of ${serviceNames.join(", ")}`,
});

const tags = z.record(z.string(), z.string(), { error: "must be a mapping of tag keys to string values" });

const organization = z
  .object({
    managementAccount: accountId,
    /** Defaults to accounts.yaml's organization.id, so the spoke roles' aws:PrincipalOrgID condition holds. */
    id: z.string().regex(/^o-[a-z0-9]{10,32}$/, { error: 'must be an Organizations id such as "o-a1b2c3d4e5"' }).optional(),
    /** Accounts allowed to list the organization besides the management account (the hub is added by default). */
    delegatedAdministrators: z.array(accountId).default([]),
    /** The root's id (aws organizations list-roots); derived from the organization id by default. */
    rootId: z.string().regex(/^r-[0-9a-z]{4,32}$/, { error: 'must be a root id such as "r-ab12"' }).optional(),
  })
  .strict();

// Id patterns from the Organizations API reference (CreateOrganizationalUnit, ParentId):
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
const ouId = z.string().regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, { error: 'must be an OU id such as "ou-ab12-cd34ef56"' });
const parentId = z.string().regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, { error: 'must be an OU id ("ou-ab12-cd34ef56") or the root id' });

/** An OU; `parent` is the root (default) or an OU listed earlier, so the tree has no cycles. */
const organizationalUnit = z
  .object({
    id: ouId,
    name: z.string().min(1).max(128, { error: "must be 1-128 characters (an OU name)" }),
    parent: parentId.optional(),
  })
  .strict();

const account = z
  .object({
    id: accountId,
    name: z.string().min(1, { error: "must be the account's name" }),
    status: z.enum(["ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"], { error: "must be ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED" }).default("ACTIVE"),
    email: z.email({ error: "must be an email address" }).optional(),
    /** The OU the account sits in directly; the root by default. */
    ou: parentId.optional(),
  })
  .strict();

const stack = z
  .object({
    account: accountId,
    region,
    name: z.string().regex(/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/, { error: "must be a CloudFormation stack name: a letter, then letters, digits and dashes" }),
    tags: tags.default({}),
    /** Path to the template, relative to the scenario file. */
    template: z.string().min(1).optional(),
    /** The template itself, for scenarios built in code. */
    templateBody: z.string().min(1).optional(),
    parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  })
  .strict()
  .refine((s) => (s.template === undefined) !== (s.templateBody === undefined), { error: "needs exactly one of `template` (a file path) or `templateBody`" });

const drift = z
  .object({
    account: accountId,
    region: region.default("us-east-1"),
    service,
    action: z.string().regex(/^[A-Z][A-Za-z0-9]+$/, { error: "must be an API action name such as AttachRolePolicy" }),
    /** The API's own parameter names; `${physical:<stack>/<LogicalId>}` is replaced by that resource's physical id. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Who makes the change (an IAM user, root or assumed-role ARN); the account's root by default. */
    as: z.string().regex(/^arn:aws:(iam|sts)::\d{12}:/, { error: "must be an IAM user, root or assumed-role ARN" }).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const actions = Object.keys(SERVICES.find((svc) => svc.name === d.service)?.actions ?? {});
    if (!actions.includes(d.action)) {
      ctx.addIssue({ code: "custom", path: ["action"], message: `is not an action the sandbox's ${d.service} implements${didYouMean(d.action, actions)}` });
    }
  });

const fault = z
  .object({
    account: accountId.optional(),
    region: region.optional(),
    service,
    action: z.string().optional(),
    error: z.string().regex(/^[A-Za-z][\w.]*$/, { error: "must be an AWS error code such as AccessDenied" }).optional(),
    message: z.string().optional(),
    status: z.number().int().min(400).max(599).optional(),
    throttle: z.object({ rps: z.number().positive(), burst: z.number().int().positive().optional() }).strict().optional(),
    times: z.number().int().positive().optional(),
    /** Only calls on this S3 object key, e.g. one fan-out worker's part (protocol/faults.ts). */
    key: z.string().min(1).optional(),
  })
  .strict()
  .refine((f) => f.key === undefined || f.service === "s3", { error: "`key` scopes a fault to an S3 object key; use it with service: s3", path: ["key"] })
  .refine((f) => (f.error === undefined) !== (f.throttle === undefined), { error: "needs exactly one of `error: <Code>` or `throttle: { rps: N }`" })
  .refine((f) => f.times === undefined || f.error !== undefined, { error: "`times` limits an `error` fault; a throttle has no count", path: ["times"] })
  .superRefine((f, ctx) => {
    // A misspelled action would silently never match and the fault never fire.
    const actions = Object.keys(SERVICES.find((svc) => svc.name === f.service)?.actions ?? {});
    if (f.action !== undefined && actions.length > 0 && !actions.includes(f.action)) {
      ctx.addIssue({ code: "custom", path: ["action"], message: `is not an action the sandbox's ${f.service} implements${didYouMean(f.action, actions)}` });
    }
  });

const latency = z
  .object({
    apiMs: z.number().min(0).default(0),
    detectionMs: z.tuple([z.number().min(0), z.number().min(0)]).default([200, 1500]),
    // [0, 0] by default: driftguard polls a change set every 2 s (functions/remediation/timing.ts),
    // so any delay costs the e2e suite 2 s per change set; tests that need CREATE_PENDING set it.
    changeSetMs: z.tuple([z.number().min(0), z.number().min(0)]).default([0, 0]),
  })
  .strict()
  .refine((l) => l.detectionMs[0] <= l.detectionMs[1], { error: "detectionMs must be [min, max] with min <= max" })
  .refine((l) => l.changeSetMs[0] <= l.changeSetMs[1], { error: "changeSetMs must be [min, max] with min <= max" });

export const scenarioSchema = z
  .object({
    organization,
    accounts: z.array(account).default([]),
    stacks: z.array(stack).default([]),
    drift: z.array(drift).default([]),
    faults: z.array(fault).default([]),
    latency: latency.prefault({}),
    seed: z.number().int().default(1),
    /** CloudFormation false positives the sandbox reproduces, by class id (functions/drift/false-positives/). */
    falsePositives: z
      .array(
        z.string().refine((id) => FALSE_POSITIVE_CLASSES.some((c) => c.id === id), {
          error: (iss) =>
            `is not a known false-positive class${didYouMean(iss.input, FALSE_POSITIVE_CLASSES.map((c) => c.id))}; use one of ${FALSE_POSITIVE_CLASSES.map((c) => c.id).join(", ")}`,
        }),
      )
      .default([]),
    /** The OU tree below the root; accounts name their OU with `ou:`. */
    organizationalUnits: z.array(organizationalUnit).default([]),
    /**
     * Accounts that exist in AWS but not in the organization (a vendor's, a partner's, an
     * attacker's). IAM, S3 and KMS accept their account id or root as a policy principal, as AWS
     * accepts any existing account (iam/principal-existence.ts); nothing can act from them, and
     * their roles are unknown to the sandbox, so a role ARN of theirs is still refused.
     */
    accountsOutsideOrganization: z.array(accountId).default([]),
    /**
     * AWS delivers an asynchronous EXPRESS execution at least once ("Asynchronous Express
     * Workflows: at-least-once workflow execution", concepts-standard-vs-express.html): with this
     * set, every one (StartExecution on an EXPRESS state machine, from a caller or an EventBridge
     * target) runs twice with the same input and execution ARN, so a workflow that is not
     * idempotent shows it. StartSyncExecution is at-most-once and STANDARD exactly-once: never doubled.
     */
    duplicateExpressExecutions: z.boolean().default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ids = s.accounts.map((a) => a.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: ["accounts", i, "id"], message: `duplicates accounts[${ids.indexOf(id)}].id; list each account once` });
    });
    s.accountsOutsideOrganization.forEach((id, i) => {
      if (ids.includes(id) || id === s.organization.managementAccount) {
        ctx.addIssue({ code: "custom", path: ["accountsOutsideOrganization", i], message: "is an account of the organization; list it under accounts or here, not both" });
      }
    });
    const declared = new Set<string>();
    const isRoot = (p: string) => p.startsWith("r-");
    s.organizationalUnits.forEach((u, i) => {
      if (declared.has(u.id)) ctx.addIssue({ code: "custom", path: ["organizationalUnits", i, "id"], message: "duplicates an earlier OU id; list each OU once" });
      if (u.parent !== undefined && !isRoot(u.parent) && !declared.has(u.parent)) {
        ctx.addIssue({ code: "custom", path: ["organizationalUnits", i, "parent"], message: `is not the root or an OU listed above this one; list ${u.parent} first` });
      }
      declared.add(u.id);
    });
    s.accounts.forEach((a, i) => {
      if (a.ou !== undefined && !isRoot(a.ou) && !declared.has(a.ou)) {
        ctx.addIssue({ code: "custom", path: ["accounts", i, "ou"], message: `is not an OU of organizationalUnits; add { id: ${a.ou}, name: … } there` });
      }
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** A validated scenario and where its relative template paths resolve from. */
export interface LoadedScenario extends Scenario {
  file?: string;
  dir: string;
}

/** Messages about unknown or missing fields point at the demo scenario as the reference. */
const VALIDATION: YamlValidationOptions = { example: "sandbox/scenarios/demo.yaml" };

export function parseScenario(text: string, file: string): LoadedScenario {
  return { ...parseYamlWith(text, file, scenarioSchema, VALIDATION), file, dir: dirname(resolve(file)) };
}

export function loadScenario(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, path: "", message: `cannot be read (${(err as Error).message}); pass --scenario with the path of a scenario file such as sandbox/scenarios/demo.yaml` }]);
  }
  return parseScenario(text, file);
}

/** Validates a scenario built in code; relative template paths resolve from `dir`. */
export function scenarioFromObject(input: ScenarioInput, dir = process.cwd()): LoadedScenario {
  return { ...validateWith(input, "(scenario object)", scenarioSchema, VALIDATION), dir };
}
