import { AwsError } from "../../protocol/types.js";
import type { Template } from "./parse.js";

/** IAM resource types and the property that gives each a custom name. */
const NAMED_IAM: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
};

/** CreateStack and CreateChangeSet refuse IAM resources unless the caller acknowledges them, as CloudFormation does. */
export function requireCapabilities(template: Template, capabilities: string[]): void {
  const iam = Object.values(template.Resources).filter((resource) => resource.Type.startsWith("AWS::IAM::"));
  if (iam.length === 0) return;
  const named = iam.some((resource) => {
    const nameProperty = NAMED_IAM[resource.Type];
    return nameProperty !== undefined && resource.Properties?.[nameProperty] !== undefined;
  });
  const needed = named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM";
  const granted = capabilities.includes("CAPABILITY_NAMED_IAM") || (!named && capabilities.includes("CAPABILITY_IAM"));
  if (!granted) throw new AwsError("InsufficientCapabilitiesException", `Requires capabilities : [${needed}]`);
}
