import {
  type CloudFormationClient,
  GetTemplateCommand,
  paginateDescribeStacks,
  paginateListExports,
  paginateListStackResources,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import pLimit from "p-limit";
import { parseTemplateBody } from "../../aws/cfn-template.js";
import { partitionOf } from "../../config/regions.js";
import { ATTACHMENT_TYPES, attachmentsOf } from "./attachments.js";
import type { OwnershipCache } from "./cache.js";
import { type Attachment, NOTHING_OWNED, type Owned } from "./owned.js";

/**
 * Reads every stack's attachments once per account-region per run (DescribeStacks for the
 * parameters, GetTemplate — of every stack, or with `resourceTypes` only of stacks that hold an
 * attachment resource — and ListStackResources / ListExports only for stacks that have
 * attachments), and answers "what do attachments own on this resource": security-group rules
 * from the same region, role policies from every onboarded region (IAM is global, so a role's
 * attachments can live in any region's stacks). A read that fails makes the lookup throw,
 * and the engine reports the resource `failed` rather than repair it blind.
 */

/** IAM actions the reads need; functions/permissions.ts grants them. */
export const OWNERSHIP_ACTIONS = [
  "cloudformation:DescribeStacks",
  "cloudformation:GetTemplate",
  "cloudformation:ListStackResources",
  "cloudformation:ListExports",
] as const;

export interface OwnershipLookup {
  forResource(region: string, resourceType: string, physicalId: string): Promise<Owned>;
  /** What one attachment resource declares, resolved from its template (one entry per target role); [] when it is not an attachment. */
  declaredBy(region: string, stackName: string, logicalId: string): Promise<readonly Attachment[]>;
}

/** For callers that know no attachment can target the resource (tests of the planners alone). */
export const NO_ATTACHMENTS: OwnershipLookup = { forResource: async () => NOTHING_OWNED, declaredBy: async () => [] };

/** Templates read at once per account-region, well under CloudFormation's GetTemplate rate. */
const TEMPLATE_CONCURRENCY = 4;
const ATTACHMENT_MARK = new RegExp(ATTACHMENT_TYPES.map((t) => t.replace(/:/g, ":")).join("|"));

/** The resource types a stack holds (its ListStackResources), when the caller keeps them (scanner/stack-listings.ts). */
export type ResourceTypes = (cfn: CloudFormationClient, stack: Stack) => Promise<readonly string[]>;

async function stackAttachments(cfn: CloudFormationClient, stack: Stack, accountId: string, region: string, exports: () => Promise<Map<string, string>>, resourceTypes?: ResourceTypes): Promise<Attachment[]> {
  const stackName = stack.StackName ?? "";
  // A stack that holds no attachment resource owns nothing: its template need not be read.
  if (resourceTypes && !(await resourceTypes(cfn, stack)).some((t) => (ATTACHMENT_TYPES as readonly string[]).includes(t))) return [];
  // Processed: after transforms (SAM, macros), as CloudFormation created the resources.
  const body = (await cfn.send(new GetTemplateCommand({ StackName: stack.StackId ?? stackName, TemplateStage: "Processed" }))).TemplateBody ?? "";
  if (!ATTACHMENT_MARK.test(body)) return [];
  const resources = new Map<string, { physicalId: string; type: string }>();
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack.StackId ?? stackName })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.LogicalResourceId && r.PhysicalResourceId && r.ResourceType) resources.set(r.LogicalResourceId, { physicalId: r.PhysicalResourceId, type: r.ResourceType });
    }
  }
  const parameters = Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ResolvedValue ?? p.ParameterValue ?? ""]));
  return attachmentsOf(parseTemplateBody(body), {
    stackName,
    accountId,
    region,
    partition: partitionOf(region),
    parameters,
    resources,
    exports: body.includes("ImportValue") ? await exports() : new Map(),
  });
}

/**
 * Every attachment in one account-region; read on first call and kept for the run (or the
 * event). With a cache (the event path's, across events), DescribeStacks is still read on every
 * first call, and only stacks whose version the cache does not hold are read again (cache.ts
 * says why that is safe).
 */
export function attachmentReader(
  client: () => CloudFormationClient | Promise<CloudFormationClient>,
  accountId: string,
  region: string,
  resourceTypes?: ResourceTypes,
  cache?: OwnershipCache,
): () => Promise<Attachment[]> {
  let read: Promise<Attachment[]> | undefined;
  let exported: Promise<Map<string, string>> | undefined;
  const exports = (cfn: CloudFormationClient) =>
    (exported ??= (async () => {
      const map = new Map<string, string>();
      for await (const page of paginateListExports({ client: cfn }, {})) for (const e of page.Exports ?? []) if (e.Name && e.Value) map.set(e.Name, e.Value);
      return map;
    })());
  return () =>
    (read ??= (async () => {
      const cfn = await client();
      const stacks: Stack[] = [];
      for await (const page of paginateDescribeStacks({ client: cfn }, {})) stacks.push(...(page.Stacks ?? []));
      cache?.retain(accountId, region, stacks);
      const limit = pLimit(TEMPLATE_CONCURRENCY);
      const ofStack = async (stack: Stack) => {
        const kept = cache?.reuse(accountId, region, stack);
        if (kept) return kept;
        const attachments = await stackAttachments(cfn, stack, accountId, region, () => exports(cfn), resourceTypes);
        cache?.keep(accountId, region, stack, attachments);
        return attachments;
      };
      return (await limit.map(stacks, ofStack)).flat();
    })());
}

export interface OwnershipLookupInput {
  accountId: string;
  /** The account's onboarded regions: where role attachments may live. */
  regions: readonly string[];
  cloudformationFor(region: string): CloudFormationClient | Promise<CloudFormationClient>;
  /** Absent: every stack's template is read. */
  resourceTypes?: ResourceTypes;
  /** The event path's attachments across events (cache.ts); absent: read once per lookup. */
  cache?: OwnershipCache;
}

export function createOwnershipLookup(input: OwnershipLookupInput): OwnershipLookup {
  const readers = new Map<string, () => Promise<Attachment[]>>();
  const readerFor = (region: string) => {
    let reader = readers.get(region);
    if (!reader) {
      reader = attachmentReader(() => input.cloudformationFor(region), input.accountId, region, input.resourceTypes, input.cache);
      readers.set(region, reader);
    }
    return reader;
  };
  return {
    async forResource(region, resourceType, physicalId) {
      if (resourceType === "AWS::EC2::SecurityGroup") {
        const all = await readerFor(region)();
        // An unresolved target, or one named by group name (default VPC), may be this group.
        return { attachments: all.filter((a) => a.kind === "sg-rule" && (a.group === undefined || a.group === physicalId || !a.group.startsWith("sg-"))) };
      }
      if (resourceType === "AWS::IAM::Role") {
        const regions = [...new Set([region, ...input.regions])];
        const all = (await Promise.all(regions.map((r) => readerFor(r)()))).flat();
        return { attachments: all.filter((a) => (a.kind === "inline-policy" || a.kind === "managed-policy") && (a.role === undefined || a.role === physicalId)) };
      }
      return NOTHING_OWNED;
    },
    async declaredBy(region, stackName, logicalId) {
      return (await readerFor(region)()).filter((a) => a.origin.stackName === stackName && a.origin.logicalId === logicalId);
    },
  };
}
