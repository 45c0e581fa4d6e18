import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FALSE_POSITIVE_CLASSES, falsePositiveActions } from "../../../functions/drift/false-positives/registry.js";
import type { FalsePositiveClass } from "../../../functions/drift/false-positives/types.js";
import { spokeRoleActions } from "../../../functions/permissions.js";

/**
 * The false-positive catalogue is a table: one file per class, one registry line, and these
 * facts derived from the files themselves rather than retyped.
 */

const ROOT = resolve(import.meta.dirname, "../../..");
const DIR = join(ROOT, "functions/drift/false-positives");
const TESTS = readFileSync(join(ROOT, "test/unit/drift/false-positives.test.ts"), "utf8");

/** S3 operations whose IAM action is named differently from the API (Service Authorization Reference). */
const S3_ACTION_NAMES: Readonly<Record<string, string>> = { GetBucketEncryption: "GetEncryptionConfiguration" };

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

  it("declares exactly the actions each evidence probe calls, and the spoke role grants them", async () => {
    for (const [file, c] of await classFiles()) {
      const called = [...readFileSync(file, "utf8").matchAll(/new (\w+)Command\(/g)].map(([, op]) => `s3:${S3_ACTION_NAMES[op ?? ""] ?? op}`);
      expect([...(c.evidence?.actions ?? [])].sort(), c.id).toEqual([...new Set(called)].sort());
    }
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
