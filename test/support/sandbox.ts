import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { HandlerExecutionContext } from "@smithy/types";
import { afterAll, beforeAll, beforeEach, vi } from "vitest";
import { parseConfig } from "../../functions/accounts-file/index.js";
import { createSpokeClients, type SpokeClientOptions, type SpokeClients } from "../../functions/aws/clients.js";
import type { ScenarioInput } from "../../sandbox/harness/scenario.js";
import { mintRoleSession } from "../../sandbox/emulator/services/iam/principals.js";
import { startBareSandbox, startSandbox, type BareSandbox, type Sandbox, type SandboxCredentials, type SandboxOptions } from "../../sandbox/harness/server.js";

export const HUB = "111111111111";
export const WORKLOAD = "222222222222";
export const OUTSIDER = "333333333333";
export const MANAGEMENT = "999999999999";
export const ORG_ID = "o-test000001";

/** accounts.yaml for the tests: hub 111…, one onboarded account 222…; 333… is in the org only. */
export const TEST_CONFIG = parseConfig(
  `
version: 1
organization: { id: ${ORG_ID} }
hub: { accountId: "${HUB}", region: us-east-1, notifications: { emails: [ops@example.com] } }
defaults: { regions: [us-east-1, eu-west-1] }
accounts:
  - { id: "${WORKLOAD}", name: workload }
`,
  "test-accounts.yaml",
);

export const BASE_SCENARIO: ScenarioInput = {
  organization: { managementAccount: MANAGEMENT },
  accounts: [
    { id: WORKLOAD, name: "workload" },
    { id: OUTSIDER, name: "outsider" },
  ],
};

/** The OU tree of the Organizations tests: Workloads > Prod, the workload account in Prod. */
export const WORKLOADS_OU = "ou-test-workload1";
export const PROD_OU = "ou-test-prod0001";

/** BASE_SCENARIO's accounts in that tree; `outsider` (the other account) as the caller needs it. */
export function ouScenario(outsider: Partial<NonNullable<ScenarioInput["accounts"]>[number]> = {}): Partial<ScenarioInput> {
  return {
    organizationalUnits: [
      { id: WORKLOADS_OU, name: "Workloads" },
      { id: PROD_OU, name: "Prod", parent: WORKLOADS_OU },
    ],
    accounts: [
      { id: WORKLOAD, name: "workload", ou: PROD_OU },
      { id: OUTSIDER, name: "outsider", ...outsider },
    ],
  };
}

export interface TestSandboxOptions extends Omit<SandboxOptions, "scenario"> {
  /** A scenario built in code, over BASE_SCENARIO (its fields replace the base's); not with `scenarioFile`. */
  scenario?: Partial<ScenarioInput>;
}

/**
 * The one way a test starts a sandbox: in-process, on a free port, once per test file (beforeAll,
 * closed in afterAll). Without `scenarioFile`, the scenario is BASE_SCENARIO with `scenario` over it;
 * without `config` or `accountsFile`, the accounts.yaml is TEST_CONFIG.
 */
export function startTestSandbox(options: TestSandboxOptions = {}): Promise<Sandbox> {
  const { scenario, ...rest } = options;
  if (rest.scenarioFile !== undefined && scenario !== undefined) throw new Error("startTestSandbox: give `scenario` or `scenarioFile`, not both");
  return startSandbox({
    ...(rest.scenarioFile === undefined ? { scenario: { ...BASE_SCENARIO, ...scenario } } : {}),
    ...(rest.accountsFile === undefined ? { config: TEST_CONFIG } : {}),
    ...rest,
  });
}

/**
 * startTestSandbox's bare variant (`npm run sandbox -- --bare`): the organization, its accounts and
 * their bootstrap roles, nothing of driftguard — for tests that deploy driftguard themselves
 * (terraform, test/terraform/) or build only what they exercise. Same defaults as startTestSandbox;
 * `deployerCredentials` are the hub account's, as a person running terraform has them.
 */
export function startBareTestSandbox(options: TestSandboxOptions = {}): Promise<BareSandbox & { deployerCredentials: SandboxCredentials }> {
  const { scenario, ...rest } = options;
  if (rest.scenarioFile !== undefined && scenario !== undefined) throw new Error("startBareTestSandbox: give `scenario` or `scenarioFile`, not both");
  return startBareSandbox({
    ...(rest.scenarioFile === undefined ? { scenario: { ...BASE_SCENARIO, ...scenario } } : {}),
    ...(rest.accountsFile === undefined ? { config: TEST_CONFIG } : {}),
    ...rest,
  });
}

/** SDK client settings for the sandbox: endpoint and credentials only, and no retries so errors surface. */
export function clientConfig(sandbox: Sandbox, credentials: SandboxCredentials, region = "us-east-1") {
  return { endpoint: sandbox.endpoint, region, credentials, maxAttempts: 1 };
}

/** The error an SDK call fails with (fails the test if it succeeds). */
export async function failure(promise: Promise<unknown>): Promise<Error & { name: string; $metadata: { httpStatusCode?: number; requestId?: string } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { name: string; $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected the call to fail");
}

/**
 * A session of an "Admin" role with AdministratorAccess in the account, created by the account's
 * root on first use: for tests that need a role session allowed to do anything, now that the
 * sandbox evaluates IAM for role sessions (driftguard's own roles may only do what they are granted).
 * The session is minted as a person's sign-in would be (an IAM Identity Center permission set),
 * not through STS: root credentials cannot call AssumeRole (API_AssumeRole.html).
 */
export async function administratorSession(sandbox: Sandbox, accountId: string, sessionName: string): Promise<SandboxCredentials> {
  const roleName = "Admin";
  const account = sandbox.world.accounts.get(accountId);
  if (!account?.roles.has(roleName)) {
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "sts:AssumeRole" }] };
    await sandbox.dispatch(accountId, "us-east-1", "iam", "CreateRole", { RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) });
    await sandbox.dispatch(accountId, "us-east-1", "iam", "AttachRolePolicy", { RoleName: roleName, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
  }
  const now = sandbox.runtime.now();
  const session = mintRoleSession(sandbox.world, sandbox.runtime.random, accountId, sandbox.world.accounts.get(accountId)!.roles.get(roleName)!, sessionName, {
    issuedAt: now,
    expiresAt: now + 3_600_000,
  });
  return { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken! };
}

/**
 * A session of driftguard's spoke role in a member account, as the hub's AssumeRole hands it out:
 * calls made with it are IAM-evaluated against the synthesized spoke policy, as in a real account.
 */
export function spokeSession(sandbox: Sandbox, accountId: string, sessionName = "driftguard-test"): SandboxCredentials {
  const role = sandbox.world.accounts.get(accountId)?.roles.get("driftguard-spoke");
  if (!role) throw new Error(`spokeSession: ${accountId} has no driftguard-spoke role; list it in the sandbox's accounts.yaml`);
  const now = sandbox.runtime.now();
  const session = mintRoleSession(sandbox.world, sandbox.runtime.random, accountId, role, sessionName, { issuedAt: now, expiresAt: now + 3_600_000 });
  return { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken! };
}

/**
 * driftguard's own spoke clients (createSpokeClients: write gate, retries) for an account-region of
 * the sandbox, as the spoke role by default. The SDK finds the sandbox through AWS_ENDPOINT_URL,
 * set here for the rest of the test file (createSpokeClients takes no endpoint, as in production).
 */
export function sandboxSpokeClients(
  sandbox: Sandbox,
  accountId: string,
  region = "us-east-1",
  { credentials = spokeSession(sandbox, accountId), ...options }: SpokeClientOptions & { credentials?: SandboxCredentials } = {},
): SpokeClients {
  vi.stubEnv("AWS_ENDPOINT_URL", sandbox.endpoint);
  return createSpokeClients(accountId, region, async () => credentials, options);
}

/**
 * Deploys a stack as the account's root (CloudFormation provisions it through the sandbox's
 * services), with `tags` as the stack's tags, and returns each resource's physical id by logical
 * id, for the changes a test then makes out of band.
 */
export async function deployStack(
  sandbox: Sandbox,
  accountId: string,
  region: string,
  stackName: string,
  template: object,
  { tags = {} }: { tags?: Record<string, string> } = {},
): Promise<Record<string, string>> {
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  await sandbox.dispatch(accountId, region, "cloudformation", "CreateStack", { StackName: stackName, TemplateBody: JSON.stringify(template), Capabilities: ["CAPABILITY_IAM"], ...(Tags.length > 0 ? { Tags } : {}) });
  const { StackResources } = (await sandbox.dispatch(accountId, region, "cloudformation", "DescribeStackResources", { StackName: stackName })) as {
    StackResources: { LogicalResourceId: string; PhysicalResourceId: string }[];
  };
  return Object.fromEntries(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
}

/** The commands an SDK client sent, in order (recorded by a middleware, whatever answered them). */
export interface SentCommands {
  /** Command names without "Command", e.g. RevokeSecurityGroupIngress. */
  names(): string[];
  /** The names of those that change something (everything but Get*, List*, Describe*). */
  writes(): string[];
  /** The inputs of every `name` command sent. */
  inputs<T = Record<string, unknown>>(name: string): T[];
  clear(): void;
}

export function recordSent(client: { middlewareStack: { add(middleware: unknown, options: { step: "initialize"; name: string }): void } }): SentCommands {
  const sent: { name: string; input: unknown }[] = [];
  client.middlewareStack.add(
    (next: (args: { input: unknown }) => Promise<unknown>, context: HandlerExecutionContext) => async (args: { input: unknown }) => {
      sent.push({ name: String(context.commandName).replace(/Command$/, ""), input: structuredClone(args.input) });
      return next(args);
    },
    { step: "initialize", name: "testRecordSent" },
  );
  return {
    names: () => sent.map((c) => c.name),
    writes: () => sent.map((c) => c.name).filter((n) => !/^(Get|List|Describe)/.test(n)),
    inputs: <T>(name: string) => sent.filter((c) => c.name === name).map((c) => c.input as T),
    clear: () => void sent.splice(0),
  };
}

/**
 * The hub's report bucket in a sandbox, for the stores that keep JSON objects in it (run lease, run
 * budget, fan-out parts): `s3` is driftguard's own client (the scanner role's session, so its calls
 * are authorized and recorded like the Lambda's); the rest reads and arranges the bucket as a test
 * needs. `conflicts` counts the 412 PreconditionFailed answers S3 gave `s3`'s conditional writes.
 */
export interface SandboxBucket {
  s3: S3Client;
  bucket: string;
  conflicts: number;
  json<T>(key: string): T | undefined;
  etag(key: string): string | undefined;
  keys(): string[];
  /** Writes an object as the hub account's root (e.g. something that is not JSON). */
  put(key: string, body: string): Promise<void>;
  /** Removes every object, between tests that share the file's sandbox. */
  empty(): void;
}

export function hubBucket(sandbox: Sandbox): SandboxBucket {
  const bucket = sandbox.hub.reportBucket;
  const objects = () => sandbox.world.buckets.get(bucket)!.objects;
  const s3 = new S3Client(clientConfig(sandbox, sandbox.hubCredentials, sandbox.hub.region));
  const root = new S3Client(clientConfig(sandbox, sandbox.adminCredentials(sandbox.hub.accountId), sandbox.hub.region));
  const store: SandboxBucket = {
    s3,
    bucket,
    conflicts: 0,
    json: <T>(key: string) => {
      const object = objects().get(key);
      return object === undefined ? undefined : (JSON.parse(object.body.toString("utf8")) as T);
    },
    etag: (key) => objects().get(key)?.etag,
    keys: () => [...objects().keys()],
    put: async (key, body) => void (await root.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))),
    empty: () => objects().clear(),
  };
  s3.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if ((err as { name?: string }).name === "PreconditionFailed") store.conflicts++;
        throw err;
      }
    },
    { step: "initialize", name: "countPreconditionFailed" },
  );
  return store;
}

/**
 * One sandbox for the enclosing file or describe block (started with `options`), and its hub
 * bucket, emptied (with faults off and the conflict count at 0) before each test. The fields are set once beforeAll has run.
 */
export function useHubBucket(options: TestSandboxOptions = {}): { sandbox: Sandbox; bucket: SandboxBucket } {
  const context = {} as { sandbox: Sandbox; bucket: SandboxBucket };
  beforeAll(async () => {
    context.sandbox = await startTestSandbox(options);
    context.bucket = hubBucket(context.sandbox);
  });
  afterAll(() => context.sandbox?.close());
  beforeEach(() => {
    context.bucket.empty();
    context.bucket.conflicts = 0;
    context.sandbox.setFaults([]);
  });
  return context;
}
