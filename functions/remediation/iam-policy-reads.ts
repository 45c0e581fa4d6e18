import { GetPolicyCommand, GetPolicyVersionCommand, type IAMClient, paginateListAttachedRolePolicies } from "@aws-sdk/client-iam";
import { parsePolicyDocument } from "./policy-document.js";

/** Managed-policy reads the role remediator and the AWS::IAM::ManagedPolicy remediator share. */

export async function attachedPolicyArns(iam: IAMClient, roleName: string): Promise<Set<string>> {
  const arns = new Set<string>();
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName })) {
    for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) arns.add(p.PolicyArn);
  }
  return arns;
}

/** The default version's document of a customer managed policy, for the invariants; undefined when unreadable. */
export async function managedPolicyDocument(iam: IAMClient, policyArn: string): Promise<unknown> {
  if (/^arn:[\w-]+:iam::aws:policy\//.test(policyArn)) return undefined;
  try {
    const version = (await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy?.DefaultVersionId;
    if (!version) return undefined;
    const doc = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: version }))).PolicyVersion?.Document;
    return doc === undefined ? undefined : parsePolicyDocument(doc);
  } catch {
    // The invariants refuse an attachment whose document they cannot see.
    return undefined;
  }
}
