import type { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { resolveAccount } from "../functions/config/resolve.js";
import type { AccountEntry, Config } from "../functions/config/schema.js";
import { spokeRoleActions } from "../functions/permissions.js";
import { protectedRoles } from "../functions/config/protected-roles.js";
import { accountProvider } from "./aws-provider.js";
import { configureBackend } from "./backend.js";
import { EventForwarding, forwardingPlan } from "./event-forwarding.js";
import { driftguardNames } from "./names.js";
import { SpokeRole } from "./spoke-role.js";

export interface SpokeStackProps {
  config: Config;
  account: AccountEntry;
}

/**
 * One member account: the role the hub scanner assumes, and the rules that forward change
 * events to the hub. Terraform reaches the account through its bootstrap role.
 */
export class SpokeStack extends TerraformStack {
  readonly spokeRole: SpokeRole;
  readonly forwarding?: EventForwarding;

  constructor(scope: Construct, props: SpokeStackProps) {
    const { config, account } = props;
    const names = driftguardNames(config);
    const stackName = names.spokeStack(account);
    super(scope, stackName);
    configureBackend(this, config, stackName);

    const effective = resolveAccount(config, account);
    const homeRegion = effective.regions[0]!;
    const providers = new Map<string, AwsProvider>();
    // The home region's provider is the default one, so global resources (IAM) need no alias;
    // every other region gets an aliased provider on first use.
    const providerFor = (region: string): AwsProvider => {
      let provider = providers.get(region);
      if (provider === undefined) {
        const alias = region === homeRegion ? undefined : region;
        provider = accountProvider(this, `aws-${region}`, {
          region,
          alias,
          accountId: account.id,
          deployRoleArn: names.spokeDeployRoleArn(account),
        });
        providers.set(region, provider);
      }
      return provider;
    };
    providerFor(homeRegion);

    this.spokeRole = new SpokeRole(this, "spoke-role", {
      names,
      organizationId: config.organization.id,
      actions: spokeRoleActions(),
      protectedRoles: protectedRoles(config),
    });

    const { events } = config.defaults;
    if (events.enabled) {
      this.forwarding = new EventForwarding(this, "event-forwarding", {
        names,
        accountId: account.id,
        plan: forwardingPlan(effective.regions, events.eventNames, names.partition),
        providerFor,
      });
    }
  }
}
