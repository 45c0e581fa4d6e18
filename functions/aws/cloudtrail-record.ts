import { z } from "zod";

/**
 * The CloudTrail record: the `detail` of an EventBridge "AWS API Call via CloudTrail" event and
 * the JSON in LookupEvents' CloudTrailEvent. Unknown fields are kept (CloudTrail adds fields over
 * time) but the ones driftguard reads are validated, so nothing downstream trusts a raw record.
 * Fields: CloudTrail User Guide, "CloudTrail record contents for management, data, and network
 * activity events".
 */

const sessionIssuer = z.looseObject({
  type: z.string().optional(),
  arn: z.string().optional(),
  userName: z.string().optional(),
});

const userIdentitySchema = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  invokedBy: z.string().optional(),
  sessionContext: z.looseObject({ sessionIssuer: sessionIssuer.optional() }).optional(),
});

const jsonObject = z.record(z.string(), z.unknown());

export const cloudTrailDetailSchema = z.looseObject({
  eventVersion: z.string().optional(),
  userIdentity: userIdentitySchema,
  eventTime: z.iso.datetime({ offset: true }),
  eventSource: z.string().min(1),
  eventName: z.string().min(1),
  awsRegion: z.string().min(1),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  requestParameters: jsonObject.nullish(),
  responseElements: jsonObject.nullish(),
  eventID: z.string().optional(),
  readOnly: z.boolean().optional(),
  recipientAccountId: z.string().optional(),
});
export type CloudTrailDetail = z.infer<typeof cloudTrailDetailSchema>;
