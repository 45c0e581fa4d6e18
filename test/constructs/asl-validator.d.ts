/** asl-validator 4.0.0 ships no types; its module.exports (dist/src/validator.js) as the tests use it. */
declare module "asl-validator" {
  export interface AslValidationResult {
    isValid: boolean;
    errors: { "Error code": string; Message: string }[];
    errorsText(separator?: string): string;
  }
  export default function aslValidator(definition: Record<string, unknown>, opts?: { checkPaths?: boolean; checkArn?: boolean }): AslValidationResult;
}
