import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The AWS managed policies the sandbox knows, each a vendored snapshot of what
 * `aws iam get-policy-version --policy-arn <arn> --version-id <default>` returns, with the
 * version id and where the copy came from (the `Source` field of each file). AWS revises these
 * policies in place (ReadOnlyAccess is at v178); refreshing one is replacing its file.
 * A role that attaches an AWS managed policy not vendored here gets NoSuchEntity, as IAM answers
 * for a policy that does not exist: add the snapshot rather than widening the sandbox.
 */

export interface ManagedPolicySnapshot {
  arn: string;
  name: string;
  versionId: string;
  createDate: string;
  document: unknown;
  source: string;
}

interface SnapshotFile {
  Arn: string;
  Source: string;
  PolicyVersion: { VersionId: string; CreateDate: string; Document: unknown; IsDefaultVersion: boolean };
}

const DIR = join(import.meta.dirname, "managed-policies");

function load(): Map<string, ManagedPolicySnapshot> {
  const byArn = new Map<string, ManagedPolicySnapshot>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".json"))) {
    const raw = JSON.parse(readFileSync(join(DIR, file), "utf8")) as SnapshotFile;
    const name = raw.Arn.split("/").pop()!;
    if (`${name}.json` !== file) throw new Error(`${join(DIR, file)}: Arn ${raw.Arn} does not match the file name`);
    if (!raw.PolicyVersion.IsDefaultVersion) throw new Error(`${join(DIR, file)}: the snapshot must be the policy's default version`);
    byArn.set(raw.Arn, {
      arn: raw.Arn,
      name,
      versionId: raw.PolicyVersion.VersionId,
      createDate: raw.PolicyVersion.CreateDate,
      document: raw.PolicyVersion.Document,
      source: raw.Source,
    });
  }
  return byArn;
}

let cache: Map<string, ManagedPolicySnapshot> | undefined;

/** The vendored AWS managed policies by ARN (arn:aws:iam::aws:policy/...). */
export function awsManagedPolicies(): ReadonlyMap<string, ManagedPolicySnapshot> {
  cache ??= load();
  return cache;
}
