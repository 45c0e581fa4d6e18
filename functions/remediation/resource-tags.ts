import { GetResourcesCommand, type ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { partitionOf } from "../config/regions.js";
import { tagMap, type TagMap } from "../core/tags.js";

/**
 * Tags of resources whose type has no remediator, read through the Resource Groups Tagging API
 * so the exemption check works for every type. Needs the resource's ARN, which CloudFormation
 * does not report: it is derived from the physical id for the types below.
 */

/** Actions this module calls; the spoke role must grant them. */
export const RESOURCE_TAG_ACTIONS = ["tag:GetResources"] as const;

/** Per type: the ARN's service and its resource part, from the physical id. */
const ARN_FORMATS: Readonly<Record<string, readonly [service: string, resource: (physicalId: string) => string]>> = {
  // The physical id of a queue is its URL; the name is its last path segment.
  "AWS::SQS::Queue": ["sqs", (url) => url.slice(url.lastIndexOf("/") + 1)],
  "AWS::Lambda::Function": ["lambda", (id) => `function:${id}`],
  "AWS::DynamoDB::Table": ["dynamodb", (id) => `table/${id}`],
  "AWS::KMS::Key": ["kms", (id) => `key/${id}`],
  "AWS::Logs::LogGroup": ["logs", (id) => `log-group:${id}`],
  "AWS::EC2::VPC": ["ec2", (id) => `vpc/${id}`],
  "AWS::EC2::Subnet": ["ec2", (id) => `subnet/${id}`],
  "AWS::EC2::Instance": ["ec2", (id) => `instance/${id}`],
  "AWS::EC2::InternetGateway": ["ec2", (id) => `internet-gateway/${id}`],
  "AWS::EC2::RouteTable": ["ec2", (id) => `route-table/${id}`],
  "AWS::EC2::NatGateway": ["ec2", (id) => `natgateway/${id}`],
  "AWS::EC2::Volume": ["ec2", (id) => `volume/${id}`],
};

/** The resource's ARN when the physical id is one or the type's ARN format is known. */
export function resourceArn(resourceType: string, physicalId: string, accountId: string, region: string): string | undefined {
  if (physicalId.startsWith("arn:")) return physicalId;
  const format = ARN_FORMATS[resourceType];
  if (format === undefined) return undefined;
  const [service, resource] = format;
  return `arn:${partitionOf(region)}:${service}:${region}:${accountId}:${resource(physicalId)}`;
}

/** The resource's tags, or undefined when its ARN cannot be derived or no tagging client is set. */
export async function tagsByArn(
  tagging: ResourceGroupsTaggingAPIClient | undefined,
  arn: string | undefined,
): Promise<TagMap | undefined> {
  if (tagging === undefined || arn === undefined) return undefined;
  const out = await tagging.send(new GetResourcesCommand({ ResourceARNList: [arn] }));
  // Untagged resources are simply absent from the answer.
  return tagMap(out.ResourceTagMappingList?.[0]?.Tags);
}
