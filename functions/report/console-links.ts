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

/**
 * Every console URL as a template: `{name}` is replaced by the URI-encoded value. One table for
 * both renderings: the TypeScript below fills it for the SNS summary and chat cards, and
 * report.html ships the same table to its script (html.ts LINK_SCRIPT), which builds the
 * links from compact ids. Links typed out per resource were ~370 KB of a 1,001-resource page.
 */
const REGIONAL = "https://{region}.console.aws.amazon.com";
export const LINK_TEMPLATES = {
  stackDrift: `${REGIONAL}/cloudformation/home?region={region}#/stacks/drifts?stackId={stackId}`,
  stackResources: `${REGIONAL}/cloudformation/home?region={region}#/stacks/resources?stackId={stackId}`,
  s3Object: "https://s3.console.aws.amazon.com/s3/object/{bucket}?region={region}&prefix={key}",
  trailEvent: `${REGIONAL}/cloudtrailv2/home?region={region}#/events/{eventId}`,
  trailEvents: `${REGIONAL}/cloudtrailv2/home?region={region}#/events?EventName={eventName}`,
  /** One line per resource type with its own console page; others fall back to the stack's resources tab. */
  resources: {
    "AWS::IAM::Role": "https://console.aws.amazon.com/iam/home#/roles/details/{id}",
    "AWS::EC2::SecurityGroup": `${REGIONAL}/ec2/home?region={region}#SecurityGroup:groupId={id}`,
    "AWS::S3::Bucket": "https://s3.console.aws.amazon.com/s3/buckets/{id}?region={region}",
    "AWS::Lambda::Function": `${REGIONAL}/lambda/home?region={region}#/functions/{id}`,
  } as Record<string, string>,
  /** Event sources CloudTrail records in us-east-1 whatever the resource's region (type prefix → region). */
  globalEventRegions: { "AWS::IAM::": "us-east-1" } as Record<string, string>,
} as const;

/** The page's script has the same few lines (html.ts LINK_SCRIPT); the browser test compares both. */
export function fillLink(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ""));
}

export function stackDriftUrl(region: string, stackId: string): string {
  return fillLink(LINK_TEMPLATES.stackDrift, { region, stackId });
}

export function stackResourcesUrl(region: string, stackId: string): string {
  return fillLink(LINK_TEMPLATES.stackResources, { region, stackId });
}

export function s3ObjectUrl(bucket: string, region: string, key: string): string {
  return fillLink(LINK_TEMPLATES.s3Object, { bucket, region, key });
}

export function resourceUrl(resourceType: string, physicalId: string, region: string, stackId?: string): string | undefined {
  const page = LINK_TEMPLATES.resources[resourceType];
  if (page) return fillLink(page, { id: physicalId, region });
  return stackId ? stackResourcesUrl(region, stackId) : undefined;
}

export function cloudTrailUrl(actor: (ChangeActor & { eventId?: string }) | undefined, resourceType: string, region: string): string | undefined {
  if (!actor) return undefined;
  const prefix = Object.keys(LINK_TEMPLATES.globalEventRegions).find((p) => resourceType.startsWith(p));
  const eventRegion = prefix ? LINK_TEMPLATES.globalEventRegions[prefix]! : region;
  if (actor.eventId) return fillLink(LINK_TEMPLATES.trailEvent, { region: eventRegion, eventId: actor.eventId });
  if (actor.eventName) return fillLink(LINK_TEMPLATES.trailEvents, { region: eventRegion, eventName: actor.eventName });
  return undefined;
}
