import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { falsePositiveActions } from "../../../functions/drift/index.js";
import { REVERT_DRIFT_ACTIONS, SCAN_ACTIONS, spokeRoleActions } from "../../../functions/permissions.js";
import { OWNERSHIP_ACTIONS } from "../../../functions/remediation/ownership/lookup.js";
import { REMEDIATORS, remediatorFor } from "../../../functions/remediation/registry.js";
import { RESOURCE_TAG_ACTIONS } from "../../../functions/remediation/resource-tags.js";
import type { Remediator } from "../../../functions/remediation/types.js";

/**
 * The spoke role is built from the declared actions, so a declaration that falls behind the code
 * is a runtime AccessDenied. These tests read the sources and derive the actions from the
 * `new XxxCommand(` and `paginateXxx(` calls they contain.
 */

const ROOT = resolve(import.meta.dirname, "../../..");
const FUNCTIONS = join(ROOT, "functions");
const REMEDIATION = join(FUNCTIONS, "remediation");
const REMEDIATORS_DIR = join(REMEDIATION, "remediators");

const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  iam: "iam",
  ec2: "ec2",
  s3: "s3",
  cloudformation: "cloudformation",
  "resource-groups-tagging-api": "tag",
  cloudtrail: "cloudtrail",
};

/** S3 operations whose IAM action is named differently from the API. */
const S3_ACTION_NAMES: Readonly<Record<string, string>> = {
  GetBucketEncryption: "GetEncryptionConfiguration",
  PutBucketEncryption: "PutEncryptionConfiguration",
  GetPublicAccessBlock: "GetBucketPublicAccessBlock",
  PutPublicAccessBlock: "PutBucketPublicAccessBlock",
  // "To grant IAM permission to use this operation, you must add the s3:ListAllMyBuckets policy action" (S3 API Reference, ListBuckets).
  ListBuckets: "ListAllMyBuckets",
};

/** The file and every file under functions/ it imports for runtime use, transitively (shared helpers call AWS too). */
function sourcesOf(file: string, seen = new Set<string>(), skip: (file: string) => boolean = () => false): Set<string> {
  if (seen.has(file) || skip(file)) return seen;
  seen.add(file);
  for (const [, typeOnly, spec] of readFileSync(file, "utf8").matchAll(/import\s+(type\s+)?[^;]*?from "(\.{1,2}\/[^"]+)\.js"/g)) {
    if (typeOnly) continue;
    const target = resolve(dirname(file), `${spec}.ts`);
    if (target.startsWith(FUNCTIONS) && existsSync(target)) sourcesOf(target, seen, skip);
  }
  return seen;
}

/** `service:Action` for every `new XxxCommand(` and `paginateXxx(` in the files, the service taken from the import. */
function actionsCalledBy(files: Iterable<string>): Set<string> {
  const actions = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const serviceOf = new Map<string, string>();
    for (const [, names, pkg] of text.matchAll(/import\s*\{([^}]+)\}\s*from\s*"@aws-sdk\/client-([\w-]+)"/g)) {
      for (const name of (names ?? "").split(",").map((n) => n.replace(/^\s*type\s+/, "").trim())) serviceOf.set(name, pkg ?? "");
    }
    // A command sent directly, or through its SDK paginator (which sends the same command per page).
    for (const [, sent, paginated] of text.matchAll(/new (\w+)Command\(|\bpaginate(\w+)\(/g)) {
      const op = sent ?? paginated;
      const imported = sent !== undefined ? `${op}Command` : `paginate${op}`;
      const pkg = serviceOf.get(imported);
      if (pkg === undefined) throw new Error(`${basename(file)}: ${imported} is not imported from an @aws-sdk client`);
      const prefix = SERVICE_PREFIX[pkg];
      if (prefix === undefined) throw new Error(`${basename(file)}: unknown service package client-${pkg}`);
      actions.add(`${prefix}:${prefix === "s3" ? (S3_ACTION_NAMES[op ?? ""] ?? op) : op}`);
    }
  }
  return actions;
}

async function remediatorFiles(): Promise<[string, Remediator][]> {
  const found: [string, Remediator][] = [];
  for (const name of readdirSync(REMEDIATORS_DIR).filter((f) => f.endsWith(".ts"))) {
    const mod = (await import(join(REMEDIATORS_DIR, name))) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (REMEDIATORS.includes(value as Remediator)) found.push([join(REMEDIATORS_DIR, name), value as Remediator]);
  }
  return found;
}

describe("remediator registry", () => {
  it("lists every remediator file once, one per resource type", async () => {
    const files = await remediatorFiles();
    expect(files.map(([, r]) => r).sort((a, b) => a.resourceType.localeCompare(b.resourceType))).toEqual(
      [...REMEDIATORS].sort((a, b) => a.resourceType.localeCompare(b.resourceType)),
    );
    expect(new Set(REMEDIATORS.map((r) => r.resourceType)).size).toBe(REMEDIATORS.length);
    expect(remediatorFor("AWS::IAM::Role")?.resourceType).toBe("AWS::IAM::Role");
    expect(remediatorFor("AWS::SQS::Queue")).toBeUndefined();
  });

  it("declares exactly the actions each remediator's code calls", async () => {
    for (const [file, remediator] of await remediatorFiles()) {
      expect([...remediator.actions].sort(), `${basename(file)} (${remediator.resourceType})`).toEqual([...actionsCalledBy(sourcesOf(file))].sort());
    }
  });

  it("has a test file for every remediator", async () => {
    for (const [file] of await remediatorFiles()) {
      expect(existsSync(join(ROOT, "test/unit/remediation/remediators", basename(file).replace(/\.ts$/, ".test.ts"))), basename(file)).toBe(true);
    }
  });

  it("puts every remediator action in the spoke role", () => {
    const granted = new Set(spokeRoleActions());
    expect(REMEDIATORS.flatMap((r) => r.actions).filter((a) => !granted.has(a))).toEqual([]);
  });

  it("calls nothing outside the scanner, REVERT_DRIFT and tag-lookup action lists from the engine", () => {
    // The engine's own calls: not the remediators', nor what only they import.
    const engineFiles = sourcesOf(join(REMEDIATION, "engine.ts"), new Set(), (f) => f.startsWith(REMEDIATORS_DIR));
    // The convergence check and verification use the false-positive catalogue, whose evidence probes read live state.
    const allowed = new Set<string>([...SCAN_ACTIONS, ...OWNERSHIP_ACTIONS, ...REVERT_DRIFT_ACTIONS, ...RESOURCE_TAG_ACTIONS, ...falsePositiveActions()]);
    expect([...actionsCalledBy(engineFiles)].filter((a) => !allowed.has(a))).toEqual([]);
    // aws/cfn-drift.ts holds every drift read, so the scanner's DescribeStackResourceDrifts comes along with the engine's DetectStackResourceDrift.
    const driftReads = ["cloudformation:DetectStackResourceDrift", "cloudformation:DescribeStackResourceDrifts"];
    expect(actionsCalledBy(engineFiles)).toEqual(new Set([...REVERT_DRIFT_ACTIONS, "cloudformation:DescribeStacks", ...driftReads, ...RESOURCE_TAG_ACTIONS]));
  });

  it("declares exactly the actions the attachment reader calls", () => {
    expect([...actionsCalledBy(sourcesOf(join(REMEDIATION, "ownership/lookup.ts")))].sort()).toEqual([...OWNERSHIP_ACTIONS].sort());
  });

  it("grants the spoke role no action that no code in functions/ calls", () => {
    const all = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? all(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
    // Hub-side clients (organizations, sts, sns, the report bucket's s3 writes) are not spoke actions; only spoke grants are checked.
    const called = actionsCalledBy(all(FUNCTIONS).filter((f) => !/\/(report|fanout|runtime)\/|handler\.ts$|credentials\.ts$|organization\.ts$|member-placement\.ts$|skipped-run\.ts$|s3-json\.ts$|publish\.ts$/.test(f)));
    expect(spokeRoleActions().filter((a) => !called.has(a))).toEqual([]);
  });
});
