import { AwsError } from "../../../protocol/types.js";
import type { Template } from "./parse.js";

/** IAM resource types and the property that gives each a custom name. */
const NAMED_IAM: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
};

/**
 * The capability a template's IAM resources need, with the types that need it, or undefined:
 * CAPABILITY_NAMED_IAM when one has a custom name, else CAPABILITY_IAM
 * (API_CreateStack.html, Capabilities; ValidateTemplate reports the same).
 */
export function neededCapability(template: Template): { capability: "CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM"; types: string[] } | undefined {
  const iam = Object.values(template.Resources).filter((resource) => resource.Type.startsWith("AWS::IAM::"));
  if (iam.length === 0) return undefined;
  const named = iam.some((resource) => {
    const nameProperty = NAMED_IAM[resource.Type];
    return nameProperty !== undefined && resource.Properties?.[nameProperty] !== undefined;
  });
  return { capability: named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM", types: [...new Set(iam.map((resource) => resource.Type))] };
}

/** CreateStack and CreateChangeSet refuse IAM resources unless the caller acknowledges them, as CloudFormation does. */
export function requireCapabilities(template: Template, capabilities: string[]): void {
  const needed = neededCapability(template);
  if (!needed) return;
  const granted = capabilities.includes("CAPABILITY_NAMED_IAM") || (needed.capability === "CAPABILITY_IAM" && capabilities.includes("CAPABILITY_IAM"));
  if (!granted) throw new AwsError("InsufficientCapabilitiesException", `Requires capabilities : [${needed.capability}]`);
}
