import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EC2Client } from "@aws-sdk/client-ec2";
import { IAMClient } from "@aws-sdk/client-iam";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { S3Client } from "@aws-sdk/client-s3";
import type { AwsClientStub } from "aws-sdk-client-mock";
import type { SpokeClients } from "../../../functions/aws/clients.js";

/** Real SDK clients; aws-sdk-client-mock intercepts every instance's send. */
export function spokeClients(accountId = "111122223333", region = "us-east-1"): SpokeClients {
  const common = { region, credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } };
  return {
    accountId,
    region,
    cloudformation: new CloudFormationClient(common),
    iam: new IAMClient(common),
    ec2: new EC2Client(common),
    s3: new S3Client(common),
    cloudtrail: new CloudTrailClient(common),
    tagging: new ResourceGroupsTaggingAPIClient(common),
  };
}

const READ = /^(Get|List|Describe)/;

/** Names of the commands sent that change something (everything but Get*, List*, Describe*). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function writes(...mocks: AwsClientStub<any>[]): string[] {
  return mocks.flatMap((m) => m.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ""))).filter((n) => !READ.test(n));
}

/** An SDK-style service error: the AWS error code is the error's name. */
export function awsError(code: string, message = code): Error {
  return Object.assign(new Error(message), { name: code, $metadata: {} });
}
