import type { CfnStack } from "../../state.js";
import { stacksOf, type CfnEnv } from "./env.js";

/**
 * Stack exports, one namespace per account and region. AWS CloudFormation User Guide, "Get
 * exported outputs from a deployed CloudFormation stack" (using-cfn-stack-exports.html) and
 * Outputs (outputs-section-structure.html): "For each AWS account, Export names must be unique
 * within a Region"; "you can't delete a stack if another stack references one of its outputs";
 * Fn::ImportValue (intrinsic-function-reference-importvalue.html) reads them in the same Region.
 */

export interface StackExport {
  name: string;
  value: string;
  exportingStackId: string;
}

/** Stacks whose exports and imports count: every stack that is not deleted. */
function standing(env: CfnEnv): CfnStack[] {
  return stacksOf(env).filter((stack) => stack.status !== "DELETE_COMPLETE");
}

/** Every export of the account-region, in stack creation order (ListExports). */
export function exportsOf(env: CfnEnv): StackExport[] {
  return standing(env).flatMap((stack) =>
    (stack.outputs ?? []).flatMap((output) =>
      output.exportName === undefined ? [] : [{ name: output.exportName, value: output.value, exportingStackId: stack.stackId }],
    ),
  );
}

export function findExport(env: CfnEnv, name: string): StackExport | undefined {
  return exportsOf(env).find((candidate) => candidate.name === name);
}

/** The names of the stacks importing `exportName` (ListImports). */
export function importersOf(env: CfnEnv, exportName: string, except?: CfnStack): string[] {
  return standing(env)
    .filter((stack) => stack !== except && (stack.imports ?? []).includes(exportName))
    .map((stack) => stack.stackName);
}

/**
 * Why `stack` may not be deleted, or undefined: an export another stack imports. The message is
 * CloudFormation's own, as it appears in StackStatusReason when DeleteStack is refused
 * (github.com/aws/aws-cdk/issues/604: "Export vpc-demo:DemoVPCPublicSubnetIDs0C2D9BEE cannot be
 * deleted as it is in use by cdk-vpc-to-cfn-elb-demo and elb-cfn-demo").
 */
export function exportInUse(env: CfnEnv, stack: CfnStack): string | undefined {
  for (const output of stack.outputs ?? []) {
    if (output.exportName === undefined) continue;
    const importers = importersOf(env, output.exportName, stack);
    if (importers.length > 0) return `Export ${output.exportName} cannot be deleted as it is in use by ${importers.join(" and ")}`;
  }
  return undefined;
}

/** An export name of `outputs` another standing stack already exports, with that stack's name. */
export function duplicateExport(env: CfnEnv, stack: CfnStack, outputs: NonNullable<CfnStack["outputs"]>): string | undefined {
  for (const output of outputs) {
    if (output.exportName === undefined) continue;
    const taken = exportsOf(env).find((candidate) => candidate.name === output.exportName && candidate.exportingStackId !== stack.stackId);
    if (taken) {
      const owner = stacksOf(env).find((candidate) => candidate.stackId === taken.exportingStackId)!;
      return `Export with name ${output.exportName} is already exported by stack ${owner.stackName}`;
    }
  }
  return undefined;
}
