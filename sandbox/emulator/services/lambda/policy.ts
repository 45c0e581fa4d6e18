import type { FunctionPolicyStatement, LambdaFunction } from "./functions.js";
import { wildcardMatch } from "../shared/policy-match.js";

/**
 * Whether a function's resource policy lets an AWS service invoke it on behalf of a source: an
 * Allow for lambda:InvokeFunction (or lambda:*, *) naming the service principal, whose conditions
 * (AWS:SourceArn with ArnLike, AWS:SourceAccount with StringEquals, the ones AddPermission
 * writes) hold for the request. Source: "Granting function access to AWS services"
 * (docs.aws.amazon.com/lambda/latest/dg/permissions-function-services.html) and
 * eb-use-resource-based.html#eb-lambda-permissions.
 */

export interface ServiceInvocation {
  service: string;
  sourceArn?: string;
  sourceAccount?: string;
}

function conditionHolds(statement: FunctionPolicyStatement, req: ServiceInvocation): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const actual = key.toLowerCase() === "aws:sourcearn" ? req.sourceArn : key.toLowerCase() === "aws:sourceaccount" ? req.sourceAccount : undefined;
      if (actual === undefined) return false;
      const ok = operator === "ArnLike" || operator === "StringLike" ? wildcardMatch(expected, actual) : operator === "ArnEquals" || operator === "StringEquals" ? expected === actual : false;
      if (!ok) return false;
    }
  }
  return true;
}

export function functionPolicyAllows(fn: LambdaFunction, req: ServiceInvocation): boolean {
  return fn.policy.some(
    (s) =>
      s.Effect === "Allow" &&
      ["lambda:InvokeFunction", "lambda:*", "*"].includes(s.Action) &&
      (s.Principal === "*" || (typeof s.Principal === "object" && "Service" in s.Principal && s.Principal.Service === req.service)) &&
      (s.Resource === fn.arn || s.Resource === `${fn.arn}:$LATEST`) &&
      conditionHolds(s, req),
  );
}
