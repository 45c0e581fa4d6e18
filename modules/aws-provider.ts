import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";

export interface AccountProviderProps {
  region: string;
  accountId: string;
  /** Role assumed in `accountId` to deploy; undefined deploys with the caller's own credentials. */
  deployRoleArn: string | undefined;
  /** Terraform provider alias; omit for the stack's default provider. */
  alias?: string;
}

export const DEFAULT_TAGS = { "managed-by": "driftguard" };

/**
 * An AWS provider bound to one account: it assumes the deploy role there (or, with
 * `bootstrapRoleName: none`, uses the caller's credentials, e.g. in the management account, which
 * has no OrganizationAccountAccessRole) and refuses to touch any other account, so a wrong
 * credential or role can never deploy into the wrong place.
 */
export function accountProvider(scope: Construct, id: string, props: AccountProviderProps): AwsProvider {
  return new AwsProvider(scope, id, {
    region: props.region,
    alias: props.alias,
    allowedAccountIds: [props.accountId],
    ...(props.deployRoleArn === undefined ? {} : { assumeRole: [{ roleArn: props.deployRoleArn, sessionName: "driftguard-deploy" }] }),
    defaultTags: [{ tags: DEFAULT_TAGS }],
  });
}
