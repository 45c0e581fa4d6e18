import { AwsError } from "../../protocol/types.js";

/** CloudFormation answers most caller mistakes with a 400 ValidationError. */
export function validationError(message: string): AwsError {
  return new AwsError("ValidationError", message);
}

export function stackNotFound(nameOrId: string): AwsError {
  return validationError(`Stack with id ${nameOrId} does not exist`);
}

export function changeSetNotFound(nameOrId: string): AwsError {
  return new AwsError("ChangeSetNotFound", `ChangeSet [${nameOrId}] does not exist`, 404);
}

export function templateFormatError(detail: string): AwsError {
  return validationError(`Template format error: ${detail}`);
}
