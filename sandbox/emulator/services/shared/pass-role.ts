import { authorize } from "../../authorization/evaluate.js";
import { AwsError, type CallContext, type ServiceDefinition } from "../../protocol/types.js";
import { iamService } from "../iam/service.js";

/**
 * iam:PassRole, checked where AWS checks it and nowhere else: by the service an API call hands a
 * role to, for the caller, on the role's ARN — Lambda CreateFunction / UpdateFunctionConfiguration
 * (Role), EventBridge PutTargets (a target's RoleArn), Step Functions CreateStateMachine /
 * UpdateStateMachine (roleArn). "To pass a role (and its permissions) to an AWS service, a user
 * must have permissions to pass the role to the service" ("Grant a user permissions to pass a
 * role to an AWS service", docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
 * The request carries iam:PassedToService, the service principal the role goes to, so a policy
 * can allow passing a role to one service only ("IAM and AWS STS condition context keys",
 * reference_policies_iam-condition-keys.html#ck_PassedToService: "Specifies the service principal
 * of the service to which a role can be passed"; the IAM page's own example is
 * `"iam:PassedToService": "ec2.amazonaws.com"`).
 *
 * The denial is answered in the calling service's terms (its JSON-protocol AccessDeniedException:
 * 400 for EventBridge and Step Functions, 403 for Lambda's REST API) with IAM's wording kept:
 * "User: … is not authorized to perform: iam:PassRole on resource: … because no identity-based
 * policy allows the iam:PassRole action" (troubleshoot_access-denied.html). Lambda's, as AWS
 * answered CreateFunction: "AccessDeniedException: User: arn:aws:sts::…:assumed-role/CISDeveloper/nemo
 * is not authorized to perform: iam:PassRole on resource: arn:aws:iam::…:role/…" (mozilla-iam/cis#33,
 * aws/aws-sdk-js#1909), status 403 (hashicorp/terraform-provider-aws#21046).
 */

/** The service principals roles are passed to (iam:PassedToService values). */
export type PassedToService = "lambda.amazonaws.com" | "events.amazonaws.com" | "states.amazonaws.com";

export async function authorizePassRole(ctx: CallContext, roleArn: string, passedToService: PassedToService, answeringService: ServiceDefinition): Promise<void> {
  try {
    await authorize(
      ctx.world,
      { service: iamService, action: "PassRole", params: { RoleArn: roleArn, PassedToService: passedToService }, principal: ctx.principal, accountId: ctx.accountId, region: ctx.region },
      { secureTransport: true, now: ctx.sandbox.now() },
    );
  } catch (err) {
    if (err instanceof AwsError) throw new AwsError("AccessDeniedException", err.message, answeringService.protocol === "rest-json" ? 403 : 400);
    throw err;
  }
}
