import type { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { CloudformationStackSet } from "@cdktf/provider-aws/lib/cloudformation-stack-set";
import { CloudformationStackSetInstance } from "@cdktf/provider-aws/lib/cloudformation-stack-set-instance";
import type { Config } from "../functions/config/schema.js";
import { accountProvider } from "./aws-provider.js";
import { configureBackend } from "./backend.js";
import { forwardingRoutes } from "./event-forwarding.js";
import { driftguardNames } from "./names.js";
import { forwardingTemplate, SCANNED_PARAMETER, spokeRoleTemplate } from "./stackset-template.js";

export interface StackSetSpokesProps {
  config: Config;
}

/**
 * `spoke.deployment: stackset`: the spokes of every onboarded OU as service-managed StackSets,
 * deployed from the management account (call_as SELF) or a CloudFormation delegated administrator
 * (DELEGATED_ADMIN). Auto deployment gives a new account in an OU its spoke without a deploy, and
 * removes it when the account leaves. Excluded and retired accounts are filtered out of every
 * instance (account_filter_type DIFFERENCE). Resource reference: aws_cloudformation_stack_set and
 * aws_cloudformation_stack_set_instance, hashicorp/aws 5.100.0; StackSets concepts:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
 */
export class StackSetSpokesStack extends TerraformStack {
  readonly roleStackSet: CloudformationStackSet;
  readonly forwardingStackSet?: CloudformationStackSet;
  readonly roleInstances: CloudformationStackSetInstance[] = [];
  readonly forwardingInstances: CloudformationStackSetInstance[] = [];

  constructor(scope: Construct, props: StackSetSpokesProps) {
    const { config } = props;
    const names = driftguardNames(config);
    super(scope, names.stackSetStack);
    const stackSet = config.spoke.stackSet;
    if (stackSet === undefined) throw new Error("spoke.deployment is stackset but spoke.stackSet is missing; accounts.yaml validation should have said so");
    configureBackend(this, config, names.stackSetStack);
    // Stack sets live in one region of the administrator account: the hub's.
    accountProvider(this, "aws", { region: config.hub.region, accountId: stackSet.administratorAccountId, deployRoleArn: names.stackSetDeployRoleArn });

    const common = {
      permissionModel: "SERVICE_MANAGED",
      callAs: stackSet.callAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: stackSet.retainStacksOnAccountRemoval },
      // Let StackSets queue operations instead of failing when one is already running.
      managedExecution: { active: true },
      // Service-managed stack sets have no administration role; the API returns one anyway.
      lifecycle: { ignoreChanges: ["administration_role_arn"] },
    };
    const notTargeted = [...new Set([...config.exclude, ...config.accounts.filter((a) => a.status === "retired").map((a) => a.id)])].sort();
    const targets = (ous: string[]) => ({
      organizationalUnitIds: ous,
      ...(notTargeted.length > 0 ? { accountFilterType: "DIFFERENCE", accounts: notTargeted } : {}),
    });
    const ouIds = config.organizationalUnits.map((u) => u.id);

    this.roleStackSet = new CloudformationStackSet(this, "spoke-role", {
      ...common,
      name: names.spokeRoleStackSet,
      description: "driftguard: the role the hub scanner assumes in every account of the onboarded OUs",
      capabilities: ["CAPABILITY_NAMED_IAM"],
      templateBody: JSON.stringify(spokeRoleTemplate(config, names)),
    });
    // IAM is global: one region per account. One instance resource for all OUs, so StackSets
    // itself resolves accounts reached through nested onboarded OUs once.
    this.roleInstances.push(
      new CloudformationStackSetInstance(this, "spoke-role-instances", {
        stackSetName: this.roleStackSet.name,
        callAs: stackSet.callAs,
        region: config.hub.region,
        deploymentTargets: targets(ouIds),
      }),
    );

    const template = forwardingTemplate(config, names);
    if (template === undefined) return;
    this.forwardingStackSet = new CloudformationStackSet(this, "forwarding", {
      ...common,
      name: names.forwardingStackSet,
      description: "driftguard: forward CloudTrail change events to the hub, in every scanned region",
      parameters: { [SCANNED_PARAMETER]: "true" },
      templateBody: JSON.stringify(template),
    });
    // One instance resource per region and parameter value, each targeting the OUs that share them.
    const groups = new Map<string, { region: string; scanned: boolean; ous: string[] }>();
    for (const unit of config.organizationalUnits) {
      const regions = unit.regions ?? config.defaults.regions;
      for (const { region } of forwardingRoutes(regions, config.defaults.events.eventNames, names.partition)) {
        const scanned = (regions as readonly string[]).includes(region);
        const key = `${region}-${scanned ? "scanned" : "global"}`;
        const group = groups.get(key) ?? { region, scanned, ous: [] };
        group.ous.push(unit.id);
        groups.set(key, group);
      }
    }
    for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      this.forwardingInstances.push(
        new CloudformationStackSetInstance(this, `forwarding-${key}`, {
          stackSetName: this.forwardingStackSet.name,
          callAs: stackSet.callAs,
          region: group.region,
          deploymentTargets: targets(group.ous),
          parameterOverrides: { [SCANNED_PARAMETER]: String(group.scanned) },
          // The rules' target role comes from the role stack set.
          dependsOn: this.roleInstances,
        }),
      );
    }
  }
}
