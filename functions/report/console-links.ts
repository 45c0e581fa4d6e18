/**
 * AWS console deep links for the HTML report. The console opens in whichever account the reader
 * is signed in to (a URL cannot switch accounts), so the page shows the account next to each link.
 * URL shapes, as the consoles use them:
 * - Stack drift view: `/cloudformation/home?region=R#/stacks/drifts?stackId=<stack ARN>`, the
 *   page "Detect drift" opens (CloudFormation User Guide, "Detect drift on an entire
 *   CloudFormation stack"; same shape in widely used drift notifiers).
 * - Stack resources tab: `#/stacks/resources?stackId=...` (the stack page's tabs are
 *   stackinfo/events/resources/outputs).
 * - IAM role: `https://console.aws.amazon.com/iam/home#/roles/details/<name>` (IAM is global).
 * - Security group: `/ec2/home?region=R#SecurityGroup:groupId=<id>`.
 * - S3 bucket: `https://s3.console.aws.amazon.com/s3/buckets/<name>?region=R`.
 * - S3 object (its overview page, with Open and Download): `https://s3.console.aws.amazon.com/s3/object/<bucket>?region=R&prefix=<key>`,
 *   the URL the S3 console shows for an object; an s3:// URI is not clickable in a mail or a chat.
 * - Lambda function: `/lambda/home?region=R#/functions/<name>`.
 * - CloudTrail: one event `/cloudtrailv2/home?region=R#/events/<eventId>`; event history filtered
 *   `#/events?EventName=<name>` (CloudTrail User Guide, "Viewing CloudTrail events with the
 *   CloudTrail console"). IAM is a global service whose events CloudTrail records in us-east-1
 *   (CloudTrail User Guide, "Global service events").
 */
import type { ChangeActor } from "../core/types.js";

const regional = (service: string, region: string, fragment: string) =>
  `https://${region}.console.aws.amazon.com/${service}/home?region=${encodeURIComponent(region)}${fragment}`;

export function stackDriftUrl(region: string, stackId: string): string {
  return regional("cloudformation", region, `#/stacks/drifts?stackId=${encodeURIComponent(stackId)}`);
}

export function stackResourcesUrl(region: string, stackId: string): string {
  return regional("cloudformation", region, `#/stacks/resources?stackId=${encodeURIComponent(stackId)}`);
}

export function s3ObjectUrl(bucket: string, region: string, key: string): string {
  return `https://s3.console.aws.amazon.com/s3/object/${encodeURIComponent(bucket)}?region=${encodeURIComponent(region)}&prefix=${encodeURIComponent(key)}`;
}

/** One line per resource type with its own console page; others fall back to the stack's resources tab. */
const RESOURCE_PAGES: Record<string, (id: string, region: string) => string> = {
  "AWS::IAM::Role": (id) => `https://console.aws.amazon.com/iam/home#/roles/details/${encodeURIComponent(id)}`,
  "AWS::EC2::SecurityGroup": (id, region) => regional("ec2", region, `#SecurityGroup:groupId=${encodeURIComponent(id)}`),
  "AWS::S3::Bucket": (id, region) => `https://s3.console.aws.amazon.com/s3/buckets/${encodeURIComponent(id)}?region=${encodeURIComponent(region)}`,
  "AWS::Lambda::Function": (id, region) => regional("lambda", region, `#/functions/${encodeURIComponent(id)}`),
};

export function resourceUrl(resourceType: string, physicalId: string, region: string, stackId?: string): string | undefined {
  const page = RESOURCE_PAGES[resourceType];
  if (page) return page(physicalId, region);
  return stackId ? stackResourcesUrl(region, stackId) : undefined;
}

/** Event sources CloudTrail records in us-east-1 whatever the resource's region. */
const GLOBAL_EVENT_REGION: Record<string, string> = { "AWS::IAM::": "us-east-1" };

export function cloudTrailUrl(actor: (ChangeActor & { eventId?: string }) | undefined, resourceType: string, region: string): string | undefined {
  if (!actor) return undefined;
  const prefix = Object.keys(GLOBAL_EVENT_REGION).find((p) => resourceType.startsWith(p));
  const eventRegion = prefix ? GLOBAL_EVENT_REGION[prefix]! : region;
  if (actor.eventId) return regional("cloudtrailv2", eventRegion, `#/events/${encodeURIComponent(actor.eventId)}`);
  if (actor.eventName) return regional("cloudtrailv2", eventRegion, `#/events?EventName=${encodeURIComponent(actor.eventName)}`);
  return undefined;
}
