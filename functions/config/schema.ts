import { z } from "zod";
import { parseSchedule } from "./schedule.js";
import { crossFieldIssues } from "./cross-checks.js";
import { DEFAULT_FORWARDED_NAMES, EVENT_SOURCES, eventNamesOf, isKnownEventName, KNOWN_EVENT_NAMES } from "./events.js";
import { isKnownRegion, KNOWN_REGIONS } from "./regions.js";
import { didYouMean } from "./suggest.js";

/**
 * The schema of accounts.yaml: the only file a platform team edits. Every message below is
 * written for the person editing that file: it says what is allowed and how to fix it.
 * The file name, YAML path, line and offending value are added by yaml-validation.ts.
 */

const accountId = z
  .string({ error: 'must be a 12-digit account id written as a quoted string, e.g. "123456789012" (unquoted numbers lose leading zeros)' })
  .regex(/^\d{12}$/, { error: 'must be exactly 12 digits, quoted, e.g. "123456789012"' });

const region = z
  .string({ error: "must be a region name such as us-east-1" })
  .refine(isKnownRegion, {
    error: (iss) => `is not a known AWS region${didYouMean(iss.input, KNOWN_REGIONS)}; use one of ${KNOWN_REGIONS.join(", ")}`,
  });

const regions = z
  .array(region, { error: "must be a list of region names, e.g. [us-east-1, eu-west-1]" })
  .min(1, { error: "must list at least one region" })
  .refine((list) => new Set(list).size === list.length, { error: "lists a region twice; remove the duplicate" });

export const MODES = ["report", "remediate"] as const;
export const mode = z.enum(MODES, { error: `must be one of: ${MODES.join(", ")}` });
export type Mode = z.infer<typeof mode>;

const glob = z.string().min(1, { error: "must be a non-empty glob such as payments-* or *" });
const globs = z.array(glob, { error: "must be a list of globs, e.g. [\"*\"]" });

const stackFilter = z
  .object({
    include: globs.default(["*"]),
    exclude: globs.default([]),
  })
  .strict();
export type StackFilter = z.infer<typeof stackFilter>;

const cfnType = z
  .string()
  .regex(/^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/, { error: "must be a CloudFormation resource type such as AWS::IAM::Role" });

/** Later rules win: lets a team say "remediate, but only report on AWS::IAM::Role in stacks core-*". */
const modeRule = z
  .object({
    stacks: glob.optional(),
    resourceTypes: z.array(cfnType).min(1).optional(),
    mode,
  })
  .strict()
  .refine((r) => r.stacks !== undefined || r.resourceTypes !== undefined, {
    error: "a mode rule needs `stacks` (a glob) or `resourceTypes` (a list), or both",
  });
export type ModeRule = z.infer<typeof modeRule>;

// --- ignore rules (issue 14): differences a team knowingly lets drift -------------------------
const pointerSegment = /^[^/]+$/;
const propertyPointer = z
  .string({ error: 'must be a JSON pointer into the resource\'s Properties, e.g. "/Tags" or "/SecurityGroupIngress/*/Description"' })
  .refine((p) => p.startsWith("/") && p.length > 1 && p.slice(1).split("/").every((s) => pointerSegment.test(s)), {
    error: 'must be a JSON pointer starting with "/" with non-empty segments, `*` for any one segment, e.g. "/Tags/*/Value"',
  });
const isoDate = z
  .string({ error: 'must be a date written YYYY-MM-DD, quoted, e.g. "2027-03-31"' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date written YYYY-MM-DD, quoted, e.g. "2027-03-31"' })
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
    error: "is not a calendar date; use YYYY-MM-DD",
  });
const ignoreRule = z
  .object({
    resourceType: cfnType,
    property: propertyPointer,
    stacks: globs.min(1, { error: "must list at least one stack glob, or leave `stacks` out to cover every stack" }).optional(),
    reason: z
      .string({ error: "must say why this difference may drift (it is shown in every report)" })
      .trim()
      .min(3, { error: "must say why this difference may drift (it is shown in every report)" }),
    until: isoDate.optional(),
  })
  .strict();
export type IgnoreRule = z.infer<typeof ignoreRule>;
const ignoreRules = z.array(ignoreRule, { error: "must be a list of ignore rules: { resourceType, property, reason, stacks?, until? }" });
// --- end ignore rules ----------------------------------------------------------------------

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `must be a whole number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(1, { error: `must be at least 1 (${what})` })
    .max(max, { error: `must be at most ${max} (${what})` });

// --- scan concurrency (issue 19) ----------------------------------------------------------
/**
 * `auto` (the default) or caps on top of auto: the scanner plans how many accounts,
 * account-regions and stacks run at once from the Lambda's memory and file descriptors and each
 * account-region's CloudFormation budget (scanner/concurrency.ts); a number given here is a cap
 * that plan never exceeds.
 */
const CONCURRENCY_FORM = "must be auto, or caps such as { accounts: 10, regionsPerAccount: 4, stacksPerRegion: 5, cloudFormationPerSecond: 10 } (each optional; what is left out is planned automatically)";
const concurrencyCaps = z
  .object({
    accounts: positiveInt("accounts scanned at once; leave out for auto", 1000).optional(),
    regionsPerAccount: positiveInt("regions per account at once; leave out for auto", 40).optional(),
    stacksPerRegion: positiveInt("stacks per account-region at once; leave out for auto", 50).optional(),
    /**
     * Where each account-region's CloudFormation token bucket starts, and the most it recovers to
     * after throttling. AWS does not publish CloudFormation's per-API request rates (the Knowledge
     * Center's "Rate exceeded" article says to back off or request a quota increase). 10/s is a
     * conservative start that the bucket cuts on the first throttling answer (rate-limit.ts
     * ADAPTIVE) and the benchmark's model of an account-region. Raise it only with a raised
     * quota: every request above the real one comes back throttled.
     */
    cloudFormationPerSecond: z
      .number({ error: "must be a number of requests per second per account-region, e.g. 10" })
      .min(0.5, { error: "must be at least 0.5 (requests per second per account-region)" })
      .max(100, { error: "must be at most 100 (requests per second per account-region)" })
      .default(10),
  })
  .strict();
const concurrency = z
  .union([z.literal("auto"), concurrencyCaps], { error: CONCURRENCY_FORM })
  .default("auto")
  .transform((value) => (value === "auto" ? concurrencyCaps.parse({}) : value));
export type ConcurrencyCaps = z.infer<typeof concurrencyCaps>;
// --- end scan concurrency ------------------------------------------------------------------

const remediationLimits = z
  .object({
    maxPerRun: positiveInt("remediations per run before the blast-radius guard stops", 100000).default(50),
    maxPerAccount: positiveInt("remediations per account per run", 100000).default(10),
    flappingThreshold: positiveInt("consecutive runs repairing one resource before it is flagged as flapping", 100).default(3),
  })
  .strict();

/**
 * Exemption tags are set by anyone with tag write in a member account, so every exemption must
 * end: `until` may lie at most `maxDays` ahead (remediation/exemption.ts).
 */
const exemptionSettings = z
  .object({
    maxDays: positiveInt("days ahead an exemption's until= may lie", 3650).default(90),
  })
  .strict();

const revertDriftValue = z.union([z.boolean(), z.object({ stacks: globs }).strict()], {
  error: "must be true, false, or { stacks: [globs] } to use CloudFormation REVERT_DRIFT change sets",
});
const revertDrift = revertDriftValue.default(false);

/** Derived from the event catalogue (config/events.ts): every event driftguard acts on. */
export const DEFAULT_EVENT_NAMES: readonly string[] = DEFAULT_FORWARDED_NAMES;

const eventName = z
  .string({ error: "must be a CloudTrail eventName such as AttachRolePolicy" })
  .refine((name): boolean => isKnownEventName(name), {
    error: (iss) =>
      `is not an event driftguard can forward${didYouMean(iss.input, KNOWN_EVENT_NAMES)}; use one of ${EVENT_SOURCES.map(
        (source) => `${source}: ${eventNamesOf(source).join(", ")}`,
      ).join("; ")}`,
  });

/**
 * `defaults.events.guardrails` is not written here: each guardrail owns its block of settings
 * (its keys, validation and defaults, in its own file under functions/events/guardrails/) and the
 * guardrail registry hands them to buildConfigSchema. The kernel never imports a feature, so the
 * composition lives outside it (functions/accounts-file/: the schema every loader receives), and
 * this interface, empty here, is filled in there by declaration merging
 * (`interface ConfigPlugins { guardrails: … }`): `Config` below is the type of the schema that
 * is actually parsed.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ConfigPlugins {}

/** A block of settings a plug-in contributes: field name → its zod schema (with its default). */
export type SettingsShape = z.ZodRawShape;

type PluggedGuardrails = ConfigPlugins extends { guardrails: infer G extends SettingsShape } ? G : Record<never, z.ZodType>;

function eventsSchema<G extends SettingsShape>(guardrails: G) {
  return z
    .object({
      enabled: z.boolean().default(true),
      eventNames: z.array(eventName).min(1).default([...DEFAULT_EVENT_NAMES]),
      // Every plug-in setting carries its default (test/unit/config/plugins.test.ts), so an
      // absent block parses to the defaults; the compiler cannot see that for a generic shape.
      guardrails: z
        .object(guardrails)
        .strict()
        .prefault({} as never),
    })
    .strict();
}

// ---- defaults.safety (issue 11): what no repair may grant, and the deliberate exceptions ----

const trustedPrincipal = z
  .string({ error: "must be a principal: a 12-digit account id, an IAM ARN, a federated provider or a service principal (globs allowed)" })
  .min(1)
  .refine((p) => p !== "*" && p !== "arn:*" && !/^arn:[\w*-]*:iam::\*:/.test(p), {
    error: "must name specific principals; `*` or any-account ARNs would let every template widen trust policies",
  });

const adminPolicyAllowance = z
  .object({
    /** A managed policy ARN, or the name of an inline policy. */
    policy: z.string().min(1, { error: "must be a managed policy ARN or an inline policy name" }),
    roles: z.array(glob, { error: "must list the role-name globs the policy may be granted to" }).min(1, { error: "must list at least one role-name glob" }),
    reason: z.string().min(1, { error: "must say why this role may hold an administrator-equivalent policy" }),
  })
  .strict();

const safety = z
  .object({
    /** Principals outside the organization that repairs may put back into trust policies. */
    trustedPrincipals: z.array(trustedPrincipal).default([]),
    /** Administrator-equivalent policies repairs may re-grant, and to which roles. */
    adminPolicies: z.array(adminPolicyAllowance).default([]),
  })
  .strict();

/** Settings that an account may override; `defaults` must give all of them. */
const accountSettings = {
  regions,
  mode,
  stacks: stackFilter,
  modeRules: z.array(modeRule),
  revertDrift,
  cloudTrailLookup: z.boolean({ error: "must be true or false" }),
  ignore: ignoreRules,
};

function defaultsSchema<G extends SettingsShape>(guardrails: G) {
  return z
    .object({
      regions: accountSettings.regions.default(["us-east-1"]),
      mode: accountSettings.mode.default("report"),
      stacks: accountSettings.stacks.prefault({}),
      modeRules: accountSettings.modeRules.default([]),
      revertDrift: accountSettings.revertDrift,
      cloudTrailLookup: accountSettings.cloudTrailLookup.default(false),
      ignore: accountSettings.ignore.default([]),
      exemptionTagKey: z
        .string()
        .regex(/^[\w.:/=+\-@ ]{1,128}$/, { error: "must be a valid tag key (1-128 chars of letters, digits, spaces and _.:/=+-@)" })
        // "The aws: prefix is reserved for AWS use" (Tagging AWS resources, "Tag naming limits and
        // requirements"): no person can set such a tag, so the exemption could never be used.
        .refine((key) => !key.toLowerCase().startsWith("aws:"), { error: 'must not start with "aws:" (reserved for AWS; nobody can set it), e.g. driftguard:exempt' })
        .default("driftguard:exempt"),
      exemptions: exemptionSettings.prefault({}),
      concurrency,
      remediation: remediationLimits.prefault({}),
      events: eventsSchema(guardrails).prefault({}),
      safety: safety.prefault({}),
    })
    .strict();
}

const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, { error: "must be a valid IAM role name (1-64 letters, digits and +=,.@_-)" });

const accountName = z
  .string({ error: "must be a short name for the account, e.g. payments-prod" })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    error: "must be lowercase letters, digits and dashes (it names terraform stacks), e.g. payments-prod",
  });

// ---- i17: onboarding (organizational units, exclusions, retired accounts, spoke deployment) ----
// Organizations ids, as the API reference gives their patterns (ListChildren, ParentId):
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListChildren.html
const ouId = z
  .string({ error: 'must be an organizational unit id such as "ou-ab12-cd34ef56" (or a root id such as "r-ab12")' })
  .regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, {
    error: 'must be an organizational unit id such as "ou-ab12-cd34ef56", or the root id such as "r-ab12" to onboard the whole organization (aws organizations list-roots)',
  });

/** What an OU or an account entry may set over `defaults`, each optional. */
const overrides = {
  regions: accountSettings.regions.optional(),
  mode: accountSettings.mode.optional(),
  stacks: accountSettings.stacks.optional(),
  modeRules: accountSettings.modeRules.optional(),
  revertDrift: revertDriftValue.optional(),
  cloudTrailLookup: accountSettings.cloudTrailLookup.optional(),
  /** Added to `defaults.ignore` and the OU's (all apply). */
  ignore: accountSettings.ignore.optional(),
};

/** An OU onboards every account in it; its settings sit between `defaults` and an explicit account entry. */
const organizationalUnit = z
  .object({
    id: ouId,
    /** A label for reports and README tables; Organizations' own name is used when absent. */
    name: z.string().min(1).optional(),
    /** Include accounts in child OUs too (as a service-managed StackSet always does). */
    recursive: z.boolean({ error: "must be true or false" }).default(true),
    ...overrides,
  })
  .strict();
export type OrganizationalUnitEntry = z.infer<typeof organizationalUnit>;

/** `retired` keeps an account's history in the file; it is neither deployed nor scanned. */
export const ACCOUNT_STATUSES = ["active", "retired"] as const;
const accountStatus = z.enum(ACCOUNT_STATUSES, { error: `must be one of: ${ACCOUNT_STATUSES.join(", ")} (retired: kept in the file, never deployed or scanned)` });

/** `none`: terraform uses the caller's own credentials (e.g. for the management account, which has no OrganizationAccountAccessRole). */
export const CALLER_CREDENTIALS = "none";
const deployRole = z.union([z.literal(CALLER_CREDENTIALS), roleName], {
  error: 'must be a valid IAM role name, or "none" to deploy with the caller\'s own credentials',
});

export const SPOKE_DEPLOYMENTS = ["terraform", "stackset"] as const;
const spokeStackSet = z
  .object({
    /**
     * SELF when terraform runs in the management account; DELEGATED_ADMIN from a CloudFormation
     * delegated administrator (CallAs, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html).
     */
    callAs: z.enum(["SELF", "DELEGATED_ADMIN"], { error: "must be SELF (management account) or DELEGATED_ADMIN" }).default("SELF"),
    /** The account terraform deploys the stack sets from: the management account or a delegated administrator. */
    administratorAccountId: accountId,
    /** Role terraform assumes there; "none" uses the caller's credentials. */
    bootstrapRoleName: deployRole.default(CALLER_CREDENTIALS),
    /** Keep the spoke stacks when an account leaves the OU (auto_deployment.retain_stacks_on_account_removal). */
    retainStacksOnAccountRemoval: z.boolean().default(false),
  })
  .strict();
// ---- end i17 ----

const account = z
  .object({
    id: accountId,
    name: accountName,
    ...overrides,
    /** The hub account may be scanned too, but only when it says so explicitly. */
    isHub: z.boolean().optional(),
    /** Role the terraform provider assumes to create the spoke role; overrides spoke.bootstrapRoleName. */
    bootstrapRoleName: deployRole.optional(),
    status: accountStatus.default("active"), // i17
  })
  .strict();

const subscription = z
  .object({
    protocol: z.enum(["email", "email-json", "https", "sqs", "lambda", "sms"], {
      error: "must be one of email, email-json, https, sqs, lambda, sms",
    }),
    endpoint: z.string().min(1),
  })
  .strict();

// --- k18 (issue 18): chat webhooks whose URL lives in SSM Parameter Store or Secrets Manager ---
/**
 * A Slack or Microsoft Teams incoming webhook. Its URL is a bearer credential (anyone holding it
 * can post to the channel), so accounts.yaml only names where it is stored: an SSM parameter
 * (SecureString) or a Secrets Manager secret in the hub account and region. The hub role may
 * read exactly those (report/webhooks.ts webhookReadStatements).
 */
const WEBHOOK_URL_FIX =
  "a webhook URL is a credential and never goes in accounts.yaml: store it with `aws ssm put-parameter --type SecureString --name /driftguard/webhooks/<name> --value <url>` and set ssmParameter: /driftguard/webhooks/<name> (or secretsManagerSecret: <secret name or ARN>)";
export const webhook = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: "must be lowercase letters, digits and dashes (names the webhook in logs and the report)" }),
    format: z.enum(["slack", "teams"], { error: "must be slack (Block Kit) or teams (a Workflows webhook taking an Adaptive Card)" }),
    ssmParameter: z
      .string()
      .regex(/^(\/?[a-zA-Z0-9_.-]+)+$/, { error: "must be a Parameter Store name such as /driftguard/webhooks/platform (letters, digits, . - _ and /)" })
      .refine((n) => !/^\/?(aws|ssm)/i.test(n), { error: 'must not start with "aws" or "ssm" (reserved by Parameter Store)' })
      .optional(),
    secretsManagerSecret: z
      .string()
      .regex(/^(arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/, { error: "must be a secret name or a Secrets Manager secret ARN" })
      .optional(),
    /** Rejected with the fix: the URL itself never belongs here. */
    url: z.unknown().optional(),
    /** A customer managed key encrypting the parameter or secret: the hub role may decrypt with it through that service only. */
    kmsKeyArn: z.string().regex(/^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, { error: "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)" }).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], params: { secret: true }, message: `is not allowed: ${WEBHOOK_URL_FIX}` });
    const where = [w.ssmParameter, w.secretsManagerSecret].filter((x) => x !== undefined).length;
    if (where !== 1 && w.url === undefined) ctx.addIssue({ code: "custom", path: [], message: `needs exactly one of ssmParameter or secretsManagerSecret: ${WEBHOOK_URL_FIX}` });
  });
export type WebhookConfig = z.infer<typeof webhook>;
// --- end k18 ---

const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, dashes)" });

const s3Backend = z
  .object({
    bucket: bucketName,
    keyPrefix: z.string().default("driftguard"),
    region: region,
    dynamodbTable: z.string().optional(),
    encrypt: z.boolean().default(true),
  })
  .strict();

const hub = z
  .object({
    accountId,
    region,
    /** EventBridge schedule expression. */
    schedule: z
      .string()
      .superRefine((text, ctx) => {
        // EventBridge's grammar (config/schedule.ts): synth rejects what PutRule would at apply time.
        const parsed = parseSchedule(text);
        if ("problem" in parsed) ctx.addIssue({ code: "custom", message: `must be an EventBridge schedule: ${parsed.problem}` });
      })
      .default("rate(6 hours)"),
    execution: z.enum(["single", "fanout", "auto"], { error: "must be single, fanout or auto (chosen at synth from the scan's estimated duration)" }).default("single"),
    // k19: what `execution: auto` and synth's duration estimate assume (scanner/execution-choice.ts)
    scanEstimate: z
      .object({
        /** A drift detection's duration; real ones take seconds to minutes (CloudFormation API Reference, DetectStackDrift). */
        detectionSeconds: positiveInt("seconds a drift detection takes", 3600).default(30),
        stacksPerAccountRegion: positiveInt("stacks in an account-region", 10000).default(25),
      })
      .strict()
      .prefault({}),
    fanout: z.object({ maxConcurrency: positiveInt("worker invocations at once", 1000).default(20) }).strict().prefault({}),
    notifications: z
      .object({
        emails: z.array(z.email({ error: "must be an email address" })).default([]),
        subscriptions: z.array(subscription).default([]),
        /** https subscribers get an Amazon Q Developer in chat applications custom notification (report/chatbot.ts) instead of the JSON run summary (report/sns-message.ts). */
        chatbot: z.boolean({ error: "must be true (https subscribers get the chat-application format) or false" }).default(false),
        /** k18: Slack / Microsoft Teams incoming webhooks, posted to after the report is stored (report/webhooks.ts). */
        webhooks: z
          .array(webhook)
          .default([])
          .superRefine((list, ctx) => {
            const seen = new Set<string>();
            list.forEach((w, i) => {
              if (seen.has(w.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${w.name}" is used twice: each webhook needs its own name` });
              seen.add(w.name);
            });
          }),
      })
      .strict()
      .prefault({}),
    reportBucket: z
      .object({
        /** Exact name; when absent a name is derived from `prefix`, the hub account id and region. */
        name: bucketName.optional(),
        prefix: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, { error: "must be 1-31 lowercase letters, digits and dashes (the bucket name adds -<account>-<region>)" })
          .default("driftguard-reports"),
        retentionDays: positiveInt("days reports are kept", 3650).default(365),
      })
      .strict()
      .prefault({}),
    lambda: z
      .object({
        timeoutSeconds: positiveInt("Lambda timeout in seconds", 900).default(900),
        memoryMb: z
          .number({ error: "must be a whole number of MB between 128 and 10240" })
          .int({ error: "must be a whole number of MB between 128 and 10240" })
          .min(128, { error: "must be at least 128 (MB)" })
          .max(10240, { error: "must be at most 10240 (MB)" })
          .default(1024),
        logRetentionDays: z
          .union([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((n) => z.literal(n)), {
            error: "must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653",
          })
          .default(30),
      })
      .strict()
      .prefault({}),
    eventBusName: z
      .string()
      .regex(/^[\w.-]{1,256}$/, { error: "must be an event bus name: 1-256 letters, digits and ._-" })
      .default("driftguard-hub"),
    /** Role terraform assumes in the hub account to deploy it; defaults to spoke.bootstrapRoleName. */
    bootstrapRoleName: deployRole.optional(), // i17: or "none"
    backend: z.object({ s3: s3Backend }).strict().optional(),
  })
  .strict();

const spoke = z
  .object({
    roleName: roleName.default("driftguard-spoke"),
    bootstrapRoleName: roleName.default("OrganizationAccountAccessRole"),
    // i17: per-account terraform stacks, or service-managed StackSets over organizationalUnits
    deployment: z.enum(SPOKE_DEPLOYMENTS, { error: `must be one of: ${SPOKE_DEPLOYMENTS.join(", ")}` }).default("terraform"),
    stackSet: spokeStackSet.optional(),
  })
  .strict();

/**
 * `report:` (issue 18): what the run report keeps. In-sync stacks are counted per region unless
 * `includeInSync` lists them (report/in-sync.ts).
 */
const reportSettings = z
  .object({
    includeInSync: z.boolean({ error: "must be true (list every in-sync stack in report.json) or false (count them)" }).default(false),
  })
  .strict();

/**
 * accounts.yaml's schema with the guardrails' settings blocks plugged into
 * defaults.events.guardrails. Loaders receive the built schema (functions/accounts-file/).
 */
export function buildConfigSchema<G extends SettingsShape>(guardrails: G) {
  return z
    .object({
      version: z.literal(1, { error: "must be 1 (the only accounts.yaml format so far)" }),
      organization: z
        .object({
          id: z.string().regex(/^o-[a-z0-9]{10,32}$/, { error: 'must be an AWS Organizations id such as "o-a1b2c3d4e5"' }),
        })
        .strict(),
      hub,
      spoke: spoke.prefault({}),
      defaults: defaultsSchema(guardrails).prefault({}),
      accounts: z.array(account, { error: "must be a list of accounts" }),
      report: reportSettings.prefault({}),
      // i17: onboarding by OU, and accounts never onboarded whatever OU they are in
      organizationalUnits: z.array(organizationalUnit, { error: "must be a list of organizational units, e.g. [{ id: ou-ab12-cd34ef56 }]" }).default([]),
      exclude: z.array(accountId, { error: 'must be a list of quoted account ids, e.g. ["123456789012"]' }).default([]),
    })
    .strict()
    .superRefine((cfg, ctx) => {
      for (const issue of crossFieldIssues(cfg)) ctx.addIssue({ code: "custom", ...issue });
    });
}

export type ConfigSchema<G extends SettingsShape = PluggedGuardrails> = ReturnType<typeof buildConfigSchema<G>>;
export type Config = z.infer<ConfigSchema>;
export type ConfigInput = z.input<ConfigSchema>;
export type AccountEntry = Config["accounts"][number];
export type Defaults = Config["defaults"];
