import { asList, wildcardMatch } from "../shared/policy-match.js";

/**
 * Evaluates a role's trust policy for sts:AssumeRole: explicit Deny wins, then any Allow whose
 * principal and conditions match. Supports the principal forms and condition operators trust
 * policies use in practice (AWS ARNs, account ids and roots, "*"; String/Arn Equals/Like and their
 * negations on aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, sts:ExternalId).
 * Unknown condition operators never match, so an Allow we cannot evaluate does not grant.
 */

export interface AssumeRoleRequest {
  /** The caller's ARN as IAM sees it: the role ARN for role sessions, else the user/root ARN. */
  principalArn: string;
  /** The caller's own ARN (assumed-role session ARN for sessions). */
  callerArn: string;
  accountId: string;
  orgId?: string;
  externalId?: string;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Principal?: "*" | { AWS?: string | string[] };
  Condition?: Record<string, Record<string, string | string[]>>;
}

function actionMatches(statement: Statement): boolean {
  return asList(statement.Action).some((a) => wildcardMatch(a, "sts:AssumeRole", { ignoreCase: true }));
}

function principalMatches(statement: Statement, req: AssumeRoleRequest): boolean {
  const principal = statement.Principal;
  if (principal === "*") return true;
  return asList(principal?.AWS).some(
    (p) =>
      p === "*" ||
      p === req.principalArn ||
      p === req.callerArn ||
      p === req.accountId ||
      p === `arn:aws:iam::${req.accountId}:root`,
  );
}

function contextValue(key: string, req: AssumeRoleRequest): string | undefined {
  switch (key.toLowerCase()) {
    case "aws:principalorgid":
      return req.orgId;
    case "aws:principalaccount":
      return req.accountId;
    case "aws:principalarn":
      return req.principalArn;
    case "sts:externalid":
      return req.externalId;
    default:
      return undefined;
  }
}

const OPERATORS: Record<string, (pattern: string, actual: string) => boolean> = {
  StringEquals: (p, a) => p === a,
  StringEqualsIgnoreCase: (p, a) => p.toLowerCase() === a.toLowerCase(),
  StringLike: (p, a) => wildcardMatch(p, a, { ignoreCase: true }),
  ArnEquals: (p, a) => p === a,
  ArnLike: (p, a) => wildcardMatch(p, a, { ignoreCase: true }),
};

function conditionsMatch(statement: Statement, req: AssumeRoleRequest): boolean {
  for (const [operator, clauses] of Object.entries(statement.Condition ?? {})) {
    const negated = /^(String|Arn)Not/.test(operator);
    const base = operator.replace(/^(String|Arn)Not/, "$1");
    const test = OPERATORS[base];
    if (!test) return false;
    for (const [key, expected] of Object.entries(clauses)) {
      const actual = contextValue(key, req);
      const hit = actual !== undefined && asList(expected).some((p) => test(p, actual));
      if (negated ? hit : !hit) return false;
    }
  }
  return true;
}

export function trustAllows(policy: unknown, req: AssumeRoleRequest): boolean {
  const statements = asList((policy as { Statement?: Statement | Statement[] } | undefined)?.Statement);
  const applies = (s: Statement) => actionMatches(s) && principalMatches(s, req) && conditionsMatch(s, req);
  if (statements.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s));
}
