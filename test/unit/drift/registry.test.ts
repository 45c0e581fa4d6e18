import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import { FALSE_POSITIVE_CLASSES, falsePositiveActions } from "../../../functions/drift/false-positives/registry.js";
import type { FalsePositiveClass } from "../../../functions/drift/false-positives/types.js";
import { spokeRoleActions } from "../../../functions/permissions.js";
import type { Sandbox } from "../../../sandbox/harness/server.js";
import { recordActions } from "../../permissions/recorder.js";
import { sandboxSpokeClients, spokeSession, startTestSandbox, WORKLOAD } from "../../support/sandbox.js";

/**
 * The false-positive catalogue is a table: one file per class, one registry line, and these
 * facts derived from the files themselves rather than retyped.
 */

const ROOT = resolve(import.meta.dirname, "../../..");
const DIR = join(ROOT, "functions/drift/false-positives");
const TESTS = readFileSync(join(ROOT, "test/unit/drift/false-positives.test.ts"), "utf8");

/**
 * A live resource of each type an evidence probe reads, made in the sandbox as a person would
 * (its physical id returned); a probe for a new type fails the meta-test until it has one here.
 */
const LIVE: Readonly<Record<string, (sandbox: Sandbox) => Promise<string>>> = {
  "AWS::S3::Bucket": async (sandbox) => {
    await sandbox.dispatch(WORKLOAD, "us-east-1", "s3", "CreateBucket", { Bucket: "driftguard-probe-222222222222" });
    return "driftguard-probe-222222222222";
  },
};

async function classFiles(): Promise<[string, FalsePositiveClass][]> {
  const found: [string, FalsePositiveClass][] = [];
  for (const name of readdirSync(DIR).filter((f) => f.endsWith(".ts"))) {
    const mod = (await import(join(DIR, name))) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (FALSE_POSITIVE_CLASSES.includes(value as FalsePositiveClass)) found.push([join(DIR, name), value as FalsePositiveClass]);
  }
  return found;
}

describe("false-positive catalogue", () => {
  it("registers every class file exactly once, with a unique id", async () => {
    const files = await classFiles();
    expect(files.map(([, c]) => c.id).sort()).toEqual(FALSE_POSITIVE_CLASSES.map((c) => c.id).sort());
    expect(new Set(files.map(([f]) => f)).size).toBe(files.length);
    expect(new Set(FALSE_POSITIVE_CLASSES.map((c) => c.id)).size).toBe(FALSE_POSITIVE_CLASSES.length);
  });

  it("has at least the classes issue 14 lists", () => {
    expect(FALSE_POSITIVE_CLASSES.map((c) => c.id)).toEqual(
      expect.arrayContaining(["account-id-principal", "bucket-encryption-remove", "service-case", "service-defaults", "list-order", "policy-form", "kms-key-id"]),
    );
  });

  it("cites, in each class's file, every coverage-roadmap issue the class names", async () => {
    for (const [file, c] of await classFiles()) {
      expect(c.roadmapIssues.length, c.id).toBeGreaterThan(0);
      const text = readFileSync(file, "utf8");
      for (const n of c.roadmapIssues) expect(text, `${c.id} cites #${n}`).toMatch(new RegExp(`#${n}\\b`));
    }
  });

  it("has a describe block of tests for every class", () => {
    for (const c of FALSE_POSITIVE_CLASSES) expect(TESTS, c.id).toContain(`describe("${c.id}"`);
  });

  it("puts every evidence probe's actions in the spoke role", () => {
    const granted = new Set(spokeRoleActions());
    expect(falsePositiveActions().filter((a) => !granted.has(a))).toEqual([]);
  });

  it("normalises idempotently: a second pass changes nothing", async () => {
    const samples: unknown[] = ["TCP", "123456789012", "arn:aws:kms:us-east-1:111111111111:key/k", ["b", "a"], { Statement: { Action: "s3:GetObject" } }, undefined, { Id: 1 }];
    const paths = [["SecurityGroupIngress", 0, "IpProtocol"], ["AssumeRolePolicyDocument", "Statement", 0, "Principal", "AWS"], ["KmsKeyId"], ["ManagedPolicyArns"], ["AssumeRolePolicyDocument"], ["MaxSessionDuration"], []];
    for (const c of FALSE_POSITIVE_CLASSES) {
      for (const [i, sample] of samples.entries()) {
        const at = { resourceType: i === 3 || i === 4 || i === 5 ? "AWS::IAM::Role" : "AWS::EC2::SecurityGroup", accountId: "111111111111", region: "us-east-1", partition: "aws", path: paths[i]! };
        const once = c.normalise(sample, at);
        expect(JSON.stringify(c.normalise(once, at)), `${c.id} on ${JSON.stringify(sample)}`).toBe(JSON.stringify(once));
      }
    }
  });
});

/**
 * What each evidence probe calls, derived by running it: against an in-process sandbox, signed as
 * the synthesized spoke role, on a live resource of its type; the IAM actions of the commands it
 * sent (named from the SDK's metadata, recorder.ts recordActions) must be what it declares.
 */
describe("what each evidence probe sends, run against the sandbox as the spoke role", () => {
  let sandbox: Sandbox;
  let clients: SpokeClients;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    clients = sandboxSpokeClients(sandbox, WORKLOAD, "us-east-1", { credentials: spokeSession(sandbox, WORKLOAD, "driftguard") });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    clients?.destroy();
    await sandbox?.close();
  });

  it("declares exactly the actions each probe sends", async () => {
    for (const c of FALSE_POSITIVE_CLASSES) {
      if (!c.evidence) continue;
      const make = LIVE[c.evidence.resourceType];
      expect(make, `${c.id}: no live ${c.evidence.resourceType} to probe (add one to LIVE)`).toBeDefined();
      const physicalId = await make!(sandbox);
      const { actions } = await recordActions(() => c.evidence!.read(physicalId, clients));
      expect([...c.evidence.actions].sort(), c.id).toEqual([...actions].sort());
    }
  });
});
