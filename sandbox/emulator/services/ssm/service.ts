import type {
  DeleteParameterCommandInput,
  DeleteParameterCommandOutput,
  GetParameterCommandInput,
  GetParameterCommandOutput,
  ParameterType,
  PutParameterCommandInput,
  PutParameterCommandOutput,
} from "@aws-sdk/client-ssm";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { required } from "../shared/params.js";
import { regionalState } from "../shared/regional.js";

/**
 * Systems Manager Parameter Store over awsJson1_1 (X-Amz-Target AmazonSSM.<Action>): the
 * parameters driftguard reads a chat webhook's URL from. Sources: AWS Systems Manager API
 * Reference, API_PutParameter.html, API_GetParameter.html, API_DeleteParameter.html, and the
 * User Guide, "Working with parameter hierarchies" / sysman-paramstore-access.html (parameter
 * ARNs: `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`).
 * Observed: ParameterNotFound carries an empty message ("An error occurred (ParameterNotFound)
 * when calling the GetParameter operation: ", e.g. awslabs/aws-simple-cicd#10). Handlers take the
 * SDK's `<Op>CommandInput` and return `SdkOutput<<Op>CommandOutput>` (@aws-sdk/client-ssm).
 */

export interface Parameter {
  name: string;
  type: ParameterType;
  value: string;
  /** SecureString: the KMS key, alias/aws/ssm when PutParameter names none (API_PutParameter.html, KeyId). */
  keyId?: string;
  version: number;
  modifiedAt: number;
}

export const ssmState = regionalState("ssm", () => ({ parameters: new Map<string, Parameter>() }));

const TYPES: ReadonlySet<string> = new Set<ParameterType>(["String", "StringList", "SecureString"]);
/** API_PutParameter.html, Name: letters, digits, . - _ and / for hierarchies, at most 1011 characters. */
const NAME = /^[a-zA-Z0-9_.\-/]{1,1011}$/;
/** Standard tier: values up to 4 KB (API_PutParameter.html, Value). */
const MAX_VALUE = 4096;

export function parameterArn(ctx: Pick<CallContext, "accountId" | "region">, name: string): string {
  return `arn:aws:ssm:${ctx.region}:${ctx.accountId}:parameter/${name.replace(/^\//, "")}`;
}

/** GetParameter takes a name or the parameter's ARN (API_GetParameter.html, Name). */
function nameOf(ctx: CallContext, id: string | undefined): string {
  const name = required(id, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"));
  const arn = /^arn:aws[\w-]*:ssm:[^:]+:\d{12}:parameter\/(.+)$/.exec(name);
  if (!arn) return name;
  const { parameters } = ssmState.of(ctx);
  return parameters.has(`/${arn[1]}`) ? `/${arn[1]}` : arn[1]!;
}

function putParameter(params: PutParameterCommandInput, ctx: CallContext): SdkOutput<PutParameterCommandOutput> {
  const name = required(params.Name, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"));
  if (!NAME.test(name)) throw new AwsError("ValidationException", `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.`);
  const value = required(params.Value, () => new AwsError("ValidationException", "1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null"));
  if (value.length > MAX_VALUE) throw new AwsError("ValidationException", `1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to ${MAX_VALUE}`);
  const { parameters } = ssmState.of(ctx);
  const existing = parameters.get(name);
  if (existing && !params.Overwrite) throw new AwsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
  const type = params.Type ?? existing?.type;
  if (!type || !TYPES.has(type)) throw new AwsError("ValidationException", "A parameter type is required when you create a parameter.");
  const version = (existing?.version ?? 0) + 1;
  parameters.set(name, { name, type, value, ...(type === "SecureString" ? { keyId: params.KeyId ?? "alias/aws/ssm" } : {}), version, modifiedAt: ctx.sandbox.now() });
  return { Version: version, Tier: "Standard" };
}

/**
 * A SecureString read without WithDecryption returns its ciphertext, never the value
 * (API_GetParameter.html, WithDecryption); here an opaque base64 stand-in.
 */
function getParameter(params: GetParameterCommandInput, ctx: CallContext): SdkOutput<GetParameterCommandOutput> {
  const name = nameOf(ctx, params.Name);
  const p = ssmState.of(ctx).parameters.get(name);
  if (!p) throw new AwsError("ParameterNotFound", "");
  const value = p.type === "SecureString" && !params.WithDecryption ? Buffer.from(`kms:${p.keyId}:${p.version}:${p.name}`).toString("base64") : p.value;
  return { Parameter: { Name: p.name, Type: p.type, Value: value, Version: p.version, LastModifiedDate: new Date(p.modifiedAt), ARN: parameterArn(ctx, p.name), DataType: "text" } };
}

function deleteParameter(params: DeleteParameterCommandInput, ctx: CallContext): SdkOutput<DeleteParameterCommandOutput> {
  const name = nameOf(ctx, params.Name);
  if (!ssmState.of(ctx).parameters.delete(name)) throw new AwsError("ParameterNotFound", "");
  return {};
}

export const ssmService: ServiceDefinition = {
  name: "ssm",
  protocol: "json",
  actions: { PutParameter: putParameter, GetParameter: getParameter, DeleteParameter: deleteParameter },
};
