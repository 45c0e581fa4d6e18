import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { tagMap } from "../../core/tags.js";
import { isErrorCode } from "../../core/errors.js";
import { type Guardrail } from "./types.js";

/** A VPC made by hand is not wrong in itself, so it is reported for a person to review, never deleted. */
export const vpcCreated: Guardrail = {
  name: "vpc-created",
  eventNames: ["CreateVpc"],
  resourceType: "AWS::EC2::VPC",
  actions: ["ec2:DescribeVpcs"],
  enabled: (settings) => settings.notifyOnCreateVpc,
  async inspect({ resource, clients, actor }) {
    let vpc;
    try {
      vpc = (await clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [resource.physicalId] }))).Vpcs?.[0];
    } catch (error) {
      if (!isErrorCode(error, "InvalidVpcID.NotFound")) throw error;
    }
    if (!vpc) return { state: "gone", reason: `VPC ${resource.physicalId} no longer exists` };
    return {
      state: "violation",
      reason: `VPC ${resource.physicalId} (${vpc.CidrBlock ?? "no CIDR"}) was created outside CloudFormation by ${actor.arn ?? "an unknown principal"}; review it`,
      tags: tagMap(vpc.Tags),
      steps: [],
    };
  },
};
