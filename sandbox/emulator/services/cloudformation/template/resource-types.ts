import { readFileSync } from "node:fs";
import { join } from "node:path";
import { templateFormatError } from "../errors.js";

/**
 * The resource types CloudFormation recognizes, a vendored snapshot (resource-types.json: its
 * source and region): a template that declares any other type fails before anything is created,
 * as CloudFormation answers "Template format error: Unrecognized resource types: [AWS::EC2::NATGateway]"
 * (a real one, for a miscased AWS::EC2::NatGateway; several are listed comma-separated, e.g.
 * "[AWS::Timestream::Table, AWS::Timestream::Database]" in a region without Timestream). Custom
 * resources are any type named Custom::<name> (aws-resource-cloudformation-customresource.html).
 * The snapshot is us-east-1's list, used for every region: the sandbox does not model which types a
 * region lacks. Refreshing it is replacing the file (`python3 -c 'import cfnlint…'`, see Source).
 */

const SNAPSHOT = JSON.parse(readFileSync(join(import.meta.dirname, "resource-types.json"), "utf8")) as { Source: string; Region: string; Types: string[] };
const KNOWN: ReadonlySet<string> = new Set(SNAPSHOT.Types);

export function isRecognizedType(type: string): boolean {
  return KNOWN.has(type) || /^Custom::[A-Za-z0-9_@-]{1,60}$/.test(type);
}

/** Throws CloudFormation's ValidationError when the template declares types it does not recognize. */
export function requireRecognizedTypes(types: Iterable<string>): void {
  const unknown = [...new Set([...types].filter((type) => !isRecognizedType(type)))];
  if (unknown.length > 0) throw templateFormatError(`Unrecognized resource types: [${unknown.join(", ")}]`);
}
