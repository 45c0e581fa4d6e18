import { createHash } from "node:crypto";
import type {
  CreateManagedPrefixListCommandInput,
  CreateManagedPrefixListCommandOutput,
  DescribeManagedPrefixListsCommandInput,
  DescribeManagedPrefixListsCommandOutput,
  GetManagedPrefixListEntriesCommandInput,
  GetManagedPrefixListEntriesCommandOutput,
  ManagedPrefixList,
} from "@aws-sdk/client-ec2";
import type { Tags } from "../../state.js";
import { AwsError, type CallContext, type SdkOutput } from "../../protocol/types.js";
import { ec2Id } from "../shared/ids.js";
import { list, optionalNumber, required } from "../shared/params.js";
import { paginate } from "../shared/paging.js";
import { regionalState } from "../shared/regional.js";
import { fromTagList, toTagList } from "../shared/tags.js";
import { matchesFilters } from "./filters.js";

/**
 * Managed prefix lists (VPC User Guide, managed-prefix-lists.html): the AWS-managed lists every
 * region has ("com.amazonaws.<region>.s3", "…dynamodb"; owner "AWS"; "the prefix list ID … is
 * different in each Region", working-with-aws-managed-prefix-lists.html) and the account's own
 * (CreateManagedPrefixList). Security group rules may name either; a rule naming a list that does
 * not exist fails InvalidPrefixListID.NotFound "The prefix list ID 'pl-…' does not exist" (the
 * code the terraform AWS provider matches, internal/service/ec2/errors.go; the message as
 * CloudFormation relays it, aws-cloudformation/rain#308), a malformed id InvalidPrefixListId.Malformed
 * (errors-overview.html).
 */

export interface PrefixList {
  prefixListId: string;
  name: string;
  addressFamily: "IPv4" | "IPv6";
  ownerId: string;
  maxEntries?: number;
  version: number;
  entries: { cidr: string; description?: string }[];
  tags: Tags;
}

/**
 * An excerpt of the CIDRs AWS publishes for these services in us-east-1 (ip-ranges.json, service
 * S3 / DYNAMODB); other regions' AWS-managed lists carry no entries in the sandbox.
 */
const AWS_MANAGED_ENTRIES: Record<string, string[]> = {
  "us-east-1/s3": ["3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/16"],
  "us-east-1/dynamodb": ["52.94.0.0/22", "52.119.224.0/20"],
};
const AWS_MANAGED_SERVICES = ["s3", "dynamodb"];

function awsManaged(region: string): PrefixList[] {
  return AWS_MANAGED_SERVICES.map((service) => ({
    // Stable per region, as AWS's are; 8 hex digits like the real ones (pl-63a5400a is us-east-1's S3 list).
    prefixListId: `pl-${createHash("sha256").update(`${region}/${service}`).digest("hex").slice(0, 8)}`,
    name: `com.amazonaws.${region}.${service}`,
    addressFamily: "IPv4",
    ownerId: "AWS",
    version: 1,
    entries: (AWS_MANAGED_ENTRIES[`${region}/${service}`] ?? []).map((cidr) => ({ cidr })),
    tags: {},
  }));
}

const customerLists = regionalState<Map<string, PrefixList>>("ec2:prefix-lists", () => new Map());

function allLists(ctx: CallContext): PrefixList[] {
  return [...awsManaged(ctx.region), ...customerLists.of(ctx).values()];
}

function notFound(id: string): AwsError {
  return new AwsError("InvalidPrefixListID.NotFound", `The prefix list ID '${id}' does not exist`);
}

function requirePrefixListId(id: string): string {
  if (!/^pl-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) throw new AwsError("InvalidPrefixListId.Malformed", `Invalid id: "${id}" (expecting "pl-...")`);
  return id;
}

/** The prefix list a security group rule names, which must exist in the caller's region. */
export function requirePrefixList(ctx: CallContext, id: string): PrefixList {
  const found = allLists(ctx).find((p) => p.prefixListId === requirePrefixListId(id));
  if (!found) throw notFound(id);
  return found;
}

function arnOf(ctx: CallContext, p: PrefixList): string {
  return `arn:aws:ec2:${ctx.region}:${p.ownerId === "AWS" ? "aws" : p.ownerId}:prefix-list/${p.prefixListId}`;
}

function shape(ctx: CallContext, p: PrefixList): ManagedPrefixList {
  return {
    PrefixListId: p.prefixListId,
    AddressFamily: p.addressFamily,
    State: "create-complete",
    PrefixListArn: arnOf(ctx, p),
    PrefixListName: p.name,
    MaxEntries: p.maxEntries,
    Version: p.version,
    Tags: toTagList(p.tags),
    OwnerId: p.ownerId,
  };
}

function describeManagedPrefixLists(params: DescribeManagedPrefixListsCommandInput, ctx: CallContext): SdkOutput<DescribeManagedPrefixListsCommandOutput> {
  const lists = allLists(ctx);
  const wanted = list(params.PrefixListIds).map(requirePrefixListId);
  for (const id of wanted) if (!lists.some((p) => p.prefixListId === id)) throw notFound(id);
  const matching = lists.filter(
    (p) =>
      (wanted.length === 0 || wanted.includes(p.prefixListId)) &&
      matchesFilters(params.Filters, { "prefix-list-id": p.prefixListId, "prefix-list-name": p.name, "owner-id": p.ownerId }, p.tags),
  );
  const page = paginate(matching, params.NextToken, optionalNumber(params.MaxResults) ?? 100, () => new AwsError("InvalidParameterValue", "Invalid NextToken"));
  return { PrefixLists: page.items.map((p) => shape(ctx, p)), NextToken: page.next };
}

function getManagedPrefixListEntries(params: GetManagedPrefixListEntriesCommandInput, ctx: CallContext): SdkOutput<GetManagedPrefixListEntriesCommandOutput> {
  const p = requirePrefixList(ctx, required(params.PrefixListId, () => new AwsError("MissingParameter", "The request must contain the parameter PrefixListId")));
  const page = paginate(p.entries, params.NextToken, optionalNumber(params.MaxResults) ?? 100, () => new AwsError("InvalidParameterValue", "Invalid NextToken"));
  return { Entries: page.items.map((e) => ({ Cidr: e.cidr, Description: e.description })), NextToken: page.next };
}

/** API_CreateManagedPrefixList.html: "The name cannot start with com.amazonaws."; entries at most MaxEntries. */
function createManagedPrefixList(params: CreateManagedPrefixListCommandInput, ctx: CallContext): SdkOutput<CreateManagedPrefixListCommandOutput> {
  const missing = (name: string) => () => new AwsError("MissingParameter", `The request must contain the parameter ${name}`);
  const name = required(params.PrefixListName, missing("PrefixListName"));
  if (name.startsWith("com.amazonaws.")) throw new AwsError("InvalidParameterValue", "The prefix list name cannot start with com.amazonaws.");
  const family = required(params.AddressFamily, missing("AddressFamily"));
  if (family !== "IPv4" && family !== "IPv6") throw new AwsError("InvalidParameterValue", `The address family '${family}' is not valid.`);
  const maxEntries = required(optionalNumber(params.MaxEntries), missing("MaxEntries"));
  const entries = list(params.Entries).map((e) => ({ cidr: required(e.Cidr, missing("Entry.Cidr")), description: e.Description }));
  if (entries.length > maxEntries) throw new AwsError("PrefixListMaxEntriesExceeded", `The prefix list has reached its maximum number of entries (${maxEntries}).`);
  const created: PrefixList = {
    prefixListId: ec2Id(ctx.sandbox.random, "pl"),
    name,
    addressFamily: family,
    ownerId: ctx.accountId,
    maxEntries,
    version: 1,
    entries,
    tags: fromTagList(list(params.TagSpecifications).filter((s) => s.ResourceType === "prefix-list").flatMap((s) => list(s.Tags))),
  };
  customerLists.of(ctx).set(created.prefixListId, created);
  return { PrefixList: shape(ctx, created) };
}

export const prefixListActions = {
  DescribeManagedPrefixLists: describeManagedPrefixLists,
  GetManagedPrefixListEntries: getManagedPrefixListEntries,
  CreateManagedPrefixList: createManagedPrefixList,
};
