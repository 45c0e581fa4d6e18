import { ATTACHMENT_PROVIDERS } from "./attachments.js";
import { iamRoleProvider } from "../../iam/cfn-role.js";
import { nestedStackProvider } from "./nested-stack.js";
import { opaqueProvider } from "./opaque.js";
import { s3BucketProvider } from "../../s3/cfn-bucket.js";
import { securityGroupProvider } from "../../ec2/cfn-security-group.js";
import { snsTopicProvider } from "../../sns/cfn-topic.js";
import type { ResourceProvider } from "./types.js";

const PROVIDERS: Record<string, ResourceProvider> = {
  "AWS::IAM::Role": iamRoleProvider,
  "AWS::EC2::SecurityGroup": securityGroupProvider,
  "AWS::S3::Bucket": s3BucketProvider,
  "AWS::SNS::Topic": snsTopicProvider,
  "AWS::CloudFormation::Stack": nestedStackProvider,
  ...ATTACHMENT_PROVIDERS,
};

export function providerFor(resourceType: string): ResourceProvider {
  return PROVIDERS[resourceType] ?? opaqueProvider;
}
