import { z } from "zod";
import { parseSchedule } from "./schedule.js";
import { crossFieldIssues } from "./cross-checks.js";
import { EVENT_SOURCES, eventNamesOf, isKnownEventName, KNOWN_EVENT_NAMES, RESOLVED_EVENT_NAMES } from "./events.js";
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

const concurrency = z
  .object({
    accounts: positiveInt("accounts scanned at once", 200).default(10),
    regionsPerAccount: positiveInt("regions per account at once", 40).default(4),
    stacksPerRegion: positiveInt("stacks per account-region at once", 50).default(5),
  })
  .strict();

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

/** Derived from the event catalogue (config/events.ts): every event driftguard can act on. */
export const DEFAULT_EVENT_NAMES: readonly string[] = RESOLVED_EVENT_NAMES;

const eventName = z
  .string({ error: "must be a CloudTrail eventName such as AttachRolePolicy" })
  .refine((name): boolean => isKnownEventName(name), {
    error: (iss) =>
      `is not an event driftguard can forward${didYouMean(iss.input, KNOWN_EVENT_NAMES)}; use one of ${EVENT_SOURCES.map(
        (source) => `${source}: ${eventNamesOf(source).join(", ")}`,
      ).join("; ")}`,
  });

const requiredTag = z
  .object({
    key: z.string().min(1),
    /** A fixed value, or "creator" to use the ARN of whoever launched the resource. */
    value: z.string().min(1).default("creator"),
  })
  .strict();

const events = z
  .object({
    enabled: z.boolean().default(true),
    eventNames: z.array(eventName).min(1).default([...DEFAULT_EVENT_NAMES]),
    guardrails: z
      .object({
        openIngressPorts: z.array(z.number().int().min(0).max(65535)).default([22, 3389]),
        restoreBucketEncryption: z.boolean().default(true),
        notifyOnCreateVpc: z.boolean().default(true),
        requiredTags: z.array(requiredTag).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

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

const defaults = z
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
    concurrency: concurrency.prefault({}),
    remediation: remediationLimits.prefault({}),
    events: events.prefault({}),
    safety: safety.prefault({}),
  })
  .strict();

const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, { error: "must be a valid IAM role name (1-64 letters, digits and +=,.@_-)" });

const accountName = z
  .string({ error: "must be a short name for the account, e.g. payments-prod" })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    error: "must be lowercase letters, digits and dashes (it names terraform stacks), e.g. payments-prod",
  });

const account = z
  .object({
    id: accountId,
    name: accountName,
    regions: accountSettings.regions.optional(),
    mode: accountSettings.mode.optional(),
    stacks: accountSettings.stacks.optional(),
    modeRules: accountSettings.modeRules.optional(),
    revertDrift: revertDriftValue.optional(),
    cloudTrailLookup: accountSettings.cloudTrailLookup.optional(),
    /** Added to `defaults.ignore` (both apply). */
    ignore: accountSettings.ignore.optional(),
    /** The hub account may be scanned too, but only when it says so explicitly. */
    isHub: z.boolean().optional(),
    /** Role the terraform provider assumes to create the spoke role; overrides spoke.bootstrapRoleName. */
    bootstrapRoleName: roleName.optional(),
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
    execution: z.enum(["single", "fanout"], { error: "must be single or fanout" }).default("single"),
    fanout: z.object({ maxConcurrency: positiveInt("worker invocations at once", 1000).default(20) }).strict().prefault({}),
    notifications: z
      .object({
        emails: z.array(z.email({ error: "must be an email address" })).default([]),
        subscriptions: z.array(subscription).default([]),
        /** https subscribers get an Amazon Q Developer in chat applications custom notification (report/chatbot.ts). */
        chatbot: z.boolean({ error: "must be true (https subscribers get the chat-application format) or false" }).default(false),
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
    bootstrapRoleName: roleName.optional(),
    backend: z.object({ s3: s3Backend }).strict().optional(),
  })
  .strict();

const spoke = z
  .object({
    roleName: roleName.default("driftguard-spoke"),
    bootstrapRoleName: roleName.default("OrganizationAccountAccessRole"),
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

export const configSchema = z
  .object({
    version: z.literal(1, { error: "must be 1 (the only accounts.yaml format so far)" }),
    organization: z
      .object({
        id: z.string().regex(/^o-[a-z0-9]{10,32}$/, { error: 'must be an AWS Organizations id such as "o-a1b2c3d4e5"' }),
      })
      .strict(),
    hub,
    spoke: spoke.prefault({}),
    defaults: defaults.prefault({}),
    accounts: z.array(account, { error: "must be a list of accounts" }),
    report: reportSettings.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const issue of crossFieldIssues(cfg)) ctx.addIssue({ code: "custom", ...issue });
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type AccountEntry = Config["accounts"][number];
export type Defaults = Config["defaults"];
