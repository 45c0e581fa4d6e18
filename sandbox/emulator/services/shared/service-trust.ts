import type { IamRole } from "../../state.js";
import { asList, wildcardMatch } from "./policy-match.js";

/**
 * Whether an AWS service principal (lambda.amazonaws.com, events.amazonaws.com) may assume a role:
 * an Allow for sts:AssumeRole naming the service in `Principal.Service`, no Deny that applies.
 * Conditions service trust policies use against the confused deputy (aws:SourceAccount,
 * aws:SourceArn with String/Arn Equals/Like) are evaluated against what the service passes;
 * any other condition never matches, so a statement the sandbox cannot evaluate does not grant.
 * Source: "Cross-service confused deputy prevention" (docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)
 * and "AWS JSON policy elements: Principal", AWS service principals
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services).
 */

export interface ServiceAssumption {
  service: string;
  /** aws:SourceAccount / aws:SourceArn of the request the service makes on the caller's behalf. */
  sourceAccount?: string;
  sourceArn?: string;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Principal?: "*" | { Service?: string | string[] };
  Condition?: Record<string, Record<string, string | string[]>>;
}

const OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringLike: (e, a) => wildcardMatch(e, a),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => wildcardMatch(e, a),
};

function conditionsMatch(s: Statement, req: ServiceAssumption): boolean {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    const test = OPERATORS[operator];
    if (!test) return false;
    for (const [key, expected] of Object.entries(keys)) {
      const actual = key.toLowerCase() === "aws:sourceaccount" ? req.sourceAccount : key.toLowerCase() === "aws:sourcearn" ? req.sourceArn : undefined;
      if (actual === undefined || !asList(expected).some((e) => test(e, actual))) return false;
    }
  }
  return true;
}

function applies(s: Statement, action: string, req: ServiceAssumption): boolean {
  // Action names are case-insensitive ("IAM JSON policy elements: Action"); `kms:GenerateDataKey*` is a wildcard.
  const actionOk = asList(s.Action).some((a) => wildcardMatch(a, action, { ignoreCase: true }));
  const principalOk = s.Principal === "*" || asList(s.Principal?.Service).includes(req.service);
  return actionOk && principalOk && conditionsMatch(s, req);
}

/**
 * Whether a resource policy (a trust policy, a KMS key policy) lets the service principal in `req`
 * perform `action`: an Allow that applies and no Deny that does.
 */
export function servicePolicyAllows(document: unknown, action: string, req: ServiceAssumption): boolean {
  const statements = asList((document as { Statement?: Statement | Statement[] } | undefined)?.Statement);
  if (statements.some((s) => s.Effect === "Deny" && applies(s, action, req))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s, action, req));
}

export function serviceMayAssume(role: IamRole, req: ServiceAssumption): boolean {
  return servicePolicyAllows(role.assumeRolePolicyDocument, "sts:AssumeRole", req);
}
