import { paginateDescribeInstances, paginateDescribeSecurityGroups, paginateDescribeVpcs } from "@aws-sdk/client-ec2";
import { paginateListBuckets, type Bucket } from "@aws-sdk/client-s3";
import type { SpokeClients } from "../aws/clients.js";
import { tagMap } from "../core/tags.js";
import type { AffectedResource } from "../events/index.js";

/**
 * Where the scheduled sweep finds the resources each guardrail judges: one entry per resource
 * type, listing the account-region page by page with the state the guardrail reads (so the first
 * inspection needs no second call). Adding a type is one entry here plus a guardrail for it.
 */

export interface Listed {
  resource: AffectedResource;
  /** The listed object, handed to the guardrail's first inspection (GuardrailInput.live). */
  live?: unknown;
  /** Tags when the listing shows them; buckets' are read only on a violation. */
  tags?: Record<string, string>;
}

export interface SourceContext {
  clients: SpokeClients;
  /** The account's buckets, listed once per account (S3 is global) and shared by its regions. */
  accountBuckets(): Promise<readonly Bucket[]>;
}

export interface SweepSource {
  resourceType: string;
  /** Every IAM action `pages` calls: joined into the spoke role's policy (functions/permissions.ts). */
  actions: readonly string[];
  /** The CloudTrail event that creates the type: who made it (GuardrailInput.lookupCreator). */
  createdBy: string;
  pages(ctx: SourceContext): AsyncIterable<Listed[]>;
}

/** The most a page may hold for each of these Describe calls (EC2 API Reference, MaxResults: 5-1000). */
const EC2_PAGE = 1000;
/** ListBuckets' MaxBuckets is 1-10000 (S3 API Reference, ListBuckets); with it, S3 pages by ContinuationToken. */
const S3_PAGE = 1000;

async function* mapPages<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[]): AsyncIterable<T[]> {
  for await (const page of pages) yield items(page);
}

/** Security groups, with their rules and tags (DescribeSecurityGroups). */
const securityGroups: SweepSource = {
  resourceType: "AWS::EC2::SecurityGroup",
  actions: ["ec2:DescribeSecurityGroups"],
  createdBy: "CreateSecurityGroup",
  pages: ({ clients }) =>
    mapPages(paginateDescribeSecurityGroups({ client: clients.ec2, pageSize: EC2_PAGE }, {}), (page) =>
      (page.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [{ resource: { resourceType: "AWS::EC2::SecurityGroup", physicalId: g.GroupId }, live: g, tags: tagMap(g.Tags) }] : [])),
    ),
};

/** Instances that exist (terminated ones stay listed for about an hour and cannot be tagged). */
const instances: SweepSource = {
  resourceType: "AWS::EC2::Instance",
  actions: ["ec2:DescribeInstances"],
  createdBy: "RunInstances",
  pages: ({ clients }) =>
    mapPages(
      paginateDescribeInstances(
        { client: clients.ec2, pageSize: EC2_PAGE },
        { Filters: [{ Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }] },
      ),
      (page) =>
        (page.Reservations ?? [])
          .flatMap((r) => r.Instances ?? [])
          .flatMap((i) => (i.InstanceId ? [{ resource: { resourceType: "AWS::EC2::Instance", physicalId: i.InstanceId }, live: i, tags: tagMap(i.Tags) }] : [])),
    ),
};

/** VPCs a person made: the default VPC is AWS's own (IsDefault). */
const vpcs: SweepSource = {
  resourceType: "AWS::EC2::VPC",
  actions: ["ec2:DescribeVpcs"],
  createdBy: "CreateVpc",
  pages: ({ clients }) =>
    mapPages(paginateDescribeVpcs({ client: clients.ec2, pageSize: EC2_PAGE }, {}), (page) =>
      (page.Vpcs ?? []).flatMap((v) => (v.VpcId && v.IsDefault !== true ? [{ resource: { resourceType: "AWS::EC2::VPC", physicalId: v.VpcId }, live: v, tags: tagMap(v.Tags) }] : [])),
    ),
};

/** The account's buckets in this region: each bucket is swept once, by the region it lives in. */
const buckets: SweepSource = {
  resourceType: "AWS::S3::Bucket",
  actions: ["s3:ListAllMyBuckets"],
  createdBy: "CreateBucket",
  async *pages({ clients, accountBuckets }) {
    const here = (await accountBuckets()).filter((b) => b.Name && bucketRegion(b) === clients.region);
    yield here.map((b) => ({ resource: { resourceType: "AWS::S3::Bucket", physicalId: b.Name! } }));
  },
};

/** ListBuckets names each bucket's region (BucketRegion); older answers without it mean us-east-1. */
export function bucketRegion(bucket: Bucket): string {
  return bucket.BucketRegion ?? "us-east-1";
}

/** Every bucket the account owns, all pages (ListBuckets is answered the same in every region). */
export async function listAccountBuckets(clients: SpokeClients): Promise<Bucket[]> {
  const all: Bucket[] = [];
  for await (const page of paginateListBuckets({ client: clients.s3, pageSize: S3_PAGE }, {})) all.push(...(page.Buckets ?? []));
  return all;
}

export const SWEEP_SOURCES: readonly SweepSource[] = [securityGroups, instances, vpcs, buckets];

/** IAM actions the sweep's listings call; functions/permissions.ts adds them to the spoke role. */
export function sweepActions(): string[] {
  return [...new Set(SWEEP_SOURCES.flatMap((s) => s.actions))].sort();
}
