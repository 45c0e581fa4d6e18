import { DescribeVpcsCommand, type EC2Client, type Vpc } from "@aws-sdk/client-ec2";
import { tagMap } from "../../core/tags.js";
import { isErrorCode } from "../../core/errors.js";
import { z } from "zod";
import { type Guardrail } from "./types.js";

async function describeVpc(ec2: EC2Client, vpcId: string): Promise<Vpc | undefined> {
  try {
    return (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  } catch (error) {
    if (isErrorCode(error, "InvalidVpcID.NotFound")) return undefined;
    throw error;
  }
}

/** A VPC made by hand is not wrong in itself, so it is reported for a person to review, never deleted. */
const settings = {
  /** Report every VPC made outside CloudFormation for a person to review. */
  notifyOnCreateVpc: z.boolean({ error: "must be true or false" }).default(true),
};

export const vpcCreated: Guardrail<typeof settings> = {
  name: "vpc-created",
  settings,
  eventNames: ["CreateVpc"],
  resourceType: "AWS::EC2::VPC",
  actions: ["ec2:DescribeVpcs"],
  enabled: (settings) => settings.notifyOnCreateVpc,
  // The sweep reports VPCs created since the last run, not every VPC every day.
  reportOnce: true,
  async inspect({ resource, clients, actor, live, lookupCreator }) {
    const vpc = (live as Vpc | undefined) ?? (await describeVpc(clients.ec2, resource.physicalId));
    if (!vpc) return { state: "gone", reason: `VPC ${resource.physicalId} no longer exists` };
    const creator = actor.arn ?? (await lookupCreator?.())?.arn ?? "an unknown principal";
    return {
      state: "violation",
      reason: `VPC ${resource.physicalId} (${vpc.CidrBlock ?? "no CIDR"}) was created outside CloudFormation by ${creator}; review it`,
      tags: tagMap(vpc.Tags),
      steps: [],
    };
  },
};
