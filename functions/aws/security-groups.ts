import { DescribeSecurityGroupsCommand, type EC2Client, type SecurityGroup } from "@aws-sdk/client-ec2";
import { isErrorCode } from "../core/errors.js";
import { ec2TypeOfId } from "./resource-types.js";

/**
 * The security group CloudFormation or CloudTrail named: by `sg-` id, or by name for default-VPC
 * groups (CloudFormation's physical id, and CloudTrail's groupName, are then the name). Undefined
 * when it no longer exists (InvalidGroup.NotFound, EC2 API Reference "Error codes").
 */
export async function describeSecurityGroup(ec2: EC2Client, idOrName: string): Promise<SecurityGroup | undefined> {
  const byId = ec2TypeOfId(idOrName)?.cfnType === "AWS::EC2::SecurityGroup";
  try {
    const out = await ec2.send(new DescribeSecurityGroupsCommand(byId ? { GroupIds: [idOrName] } : { GroupNames: [idOrName] }));
    return out.SecurityGroups?.[0]?.GroupId === undefined ? undefined : out.SecurityGroups[0];
  } catch (err) {
    if (isErrorCode(err, "InvalidGroup.NotFound")) return undefined;
    throw err;
  }
}
