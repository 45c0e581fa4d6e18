import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { globalEventsRegion, partitionOf } from "../config/regions.js";

/** The SDK clients driftguard uses inside one spoke account-region; one set per account-region. */
export interface SpokeClients {
  accountId: string;
  region: string;
  cloudformation: CloudFormationClient;
  iam: IAMClient;
  ec2: EC2Client;
  s3: S3Client;
  cloudtrail: CloudTrailClient;
  /** Reads tags of resource types without a remediator (exemption check); absent = not checked. */
  tagging?: ResourceGroupsTaggingAPIClient;
}

/**
 * Adaptive retry backs off on Throttling and rate-limits the client itself, which matters when
 * hundreds of stacks share one account-region's CloudFormation API quota.
 */
export const RETRY = { retryMode: "adaptive", maxAttempts: 8 } as const;

export function createSpokeClients(accountId: string, region: string, credentials: AwsCredentialIdentityProvider): SpokeClients {
  const common = { region, credentials, ...RETRY };
  return {
    accountId,
    region,
    cloudformation: new CloudFormationClient(common),
    // IAM is global: its endpoint is in the partition's global-service region (us-east-1 for aws).
    iam: new IAMClient({ ...common, region: globalEventsRegion(partitionOf(region)) }),
    ec2: new EC2Client(common),
    s3: new S3Client(common),
    cloudtrail: new CloudTrailClient(common),
    tagging: new ResourceGroupsTaggingAPIClient(common),
  };
}

/** The hub Lambda's own clients, on its execution role's credentials (the SDK default chain). */
export interface HubClients {
  organizations: OrganizationsClient;
  sts: STSClient;
  s3: S3Client;
  sns: SNSClient;
}

export function createHubClients(region: string): HubClients {
  const common = { region, ...RETRY };
  return {
    // Organizations is global: the SDK resolves any commercial region to its us-east-1 endpoint.
    organizations: new OrganizationsClient(common),
    sts: new STSClient(common),
    s3: new S3Client(common),
    sns: new SNSClient(common),
  };
}
