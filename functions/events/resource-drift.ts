import { DetectStackResourceDriftCommand, type CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { ResourceDrift } from "../core/types.js";
import { toResourceDrift } from "../scanner/resource-drift.js";

/** Drift of one resource; DetectStackResourceDrift answers synchronously, no polling. */
export async function detectResourceDrift(cfn: CloudFormationClient, stackName: string, logicalId: string): Promise<ResourceDrift> {
  const out = await cfn.send(new DetectStackResourceDriftCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  if (!out.StackResourceDrift) throw new Error(`DetectStackResourceDrift returned no drift for ${stackName}/${logicalId}`);
  return toResourceDrift(out.StackResourceDrift);
}
