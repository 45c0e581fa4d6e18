import { GetObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type { RunReport } from "../../functions/core/types.js";
import type { ScanSummary } from "../../functions/handler.js";
import { hubS3 } from "../../sandbox/harness/run-local.js";
import type { Sandbox } from "../../sandbox/harness/server.js";
import { schemaErrors } from "../unit/report/validate.js";

/**
 * The pieces every end-to-end scenario is built from: IAM policy documents and CloudFormation
 * templates for the stacks a scenario deploys, and the report a hub run published, read back the
 * way a person would (from the report bucket) and checked against the report schema.
 */

/** A trust policy (AssumeRolePolicyDocument) letting `principal` assume the role. */
export const trust = (principal: unknown) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] });

/** An identity policy allowing one action. */
export const allow = (action: string, resource = "*") => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: resource }] });

/** A template body (JSON, as CreateStack's TemplateBody takes it). */
export const template = (resources: Record<string, unknown>, parameters: Record<string, unknown> = {}) => JSON.stringify({ Parameters: parameters, Resources: resources });

/** A stack with one IAM role assumable by EC2, holding `managedPolicyArns`. */
export const roleTemplate = (roleName: string, managedPolicyArns: string[]) =>
  template({ AppRole: { Type: "AWS::IAM::Role", Properties: { RoleName: roleName, ManagedPolicyArns: managedPolicyArns, AssumeRolePolicyDocument: trust({ Service: "ec2.amazonaws.com" }) } } });

/** The JSON report a hub run wrote to the report bucket (summary.reportKey), schema-valid. */
export async function publishedReport(sandbox: Sandbox, summary: ScanSummary): Promise<RunReport> {
  const object = await hubS3(sandbox).send(new GetObjectCommand({ Bucket: sandbox.hub.reportBucket, Key: summary.reportKey }));
  const report = JSON.parse(await object.Body!.transformToString()) as RunReport;
  expect(schemaErrors(report)).toEqual([]);
  return report;
}
