import type {
  CreateSecretCommandInput,
  CreateSecretCommandOutput,
  DeleteSecretCommandInput,
  DeleteSecretCommandOutput,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
} from "@aws-sdk/client-secrets-manager";
import { AwsError, type CallContext, type SdkOutput, type ServiceDefinition } from "../../protocol/types.js";
import { uuid } from "../shared/ids.js";
import { required } from "../shared/params.js";
import { regionalState } from "../shared/regional.js";

/**
 * AWS Secrets Manager over awsJson1_1 (X-Amz-Target secretsmanager.<Action>): the secrets
 * driftguard reads a chat webhook's URL from. Sources: AWS Secrets Manager API Reference,
 * API_CreateSecret.html, API_GetSecretValue.html, API_DeleteSecret.html; secret ARNs end in a
 * hyphen and six random characters (User Guide, "Secret ARN", reference_iam-permissions.html:
 * policies match them with `<name>-??????`). Error messages as the service words them
 * (API_GetSecretValue.html, Errors: "Secrets Manager can't find the specified secret."). Handlers
 * take the SDK's `<Op>CommandInput` and return `SdkOutput<<Op>CommandOutput>` (@aws-sdk/client-secrets-manager).
 */

export interface Secret {
  name: string;
  arn: string;
  secretString?: string;
  kmsKeyId?: string;
  versionId: string;
  createdAt: number;
}

export const secretsState = regionalState("secretsmanager", () => ({ secrets: new Map<string, Secret>() }));

const SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** API_CreateSecret.html, Name: at most 512 characters of letters, digits and /_+=.@- . */
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** API_CreateSecret.html, SecretString: at most 65,536 bytes. */
const MAX_SECRET = 65_536;

const notFound = () => new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");

/** SecretId: the name or the full ARN (API_GetSecretValue.html, SecretId). */
function secretOf(ctx: CallContext, id: string | undefined): Secret {
  const secretId = required(id, () => new AwsError("InvalidParameterException", "You must provide a value for the SecretId parameter."));
  const { secrets } = secretsState.of(ctx);
  const byName = secrets.get(secretId);
  if (byName) return byName;
  for (const s of secrets.values()) if (s.arn === secretId) return s;
  throw notFound();
}

function createSecret(params: CreateSecretCommandInput, ctx: CallContext): SdkOutput<CreateSecretCommandOutput> {
  const name = required(params.Name, () => new AwsError("InvalidParameterException", "You must provide a value for the Name parameter."));
  if (!NAME.test(name)) throw new AwsError("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!");
  if (params.SecretString !== undefined && Buffer.byteLength(params.SecretString) > MAX_SECRET) throw new AwsError("ValidationException", `1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to ${MAX_SECRET}`);
  const { secrets } = secretsState.of(ctx);
  if (secrets.has(name)) throw new AwsError("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
  const suffix = Array.from({ length: 6 }, () => SUFFIX[Math.floor(ctx.sandbox.random() * SUFFIX.length)]).join("");
  const secret: Secret = {
    name,
    arn: `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-${suffix}`,
    ...(params.SecretString !== undefined ? { secretString: params.SecretString } : {}),
    ...(params.KmsKeyId ? { kmsKeyId: params.KmsKeyId } : {}),
    versionId: params.ClientRequestToken ?? uuid(ctx.sandbox.random),
    createdAt: ctx.sandbox.now(),
  };
  secrets.set(name, secret);
  return { ARN: secret.arn, Name: name, VersionId: secret.versionId };
}

function getSecretValue(params: GetSecretValueCommandInput, ctx: CallContext): SdkOutput<GetSecretValueCommandOutput> {
  const s = secretOf(ctx, params.SecretId);
  if (s.secretString === undefined) throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
  return { ARN: s.arn, Name: s.name, VersionId: s.versionId, SecretString: s.secretString, VersionStages: ["AWSCURRENT"], CreatedDate: new Date(s.createdAt) };
}

/** Deleted at once here (ForceDeleteWithoutRecovery); AWS keeps it 7 to 30 days by default (API_DeleteSecret.html). */
function deleteSecret(params: DeleteSecretCommandInput, ctx: CallContext): SdkOutput<DeleteSecretCommandOutput> {
  const s = secretOf(ctx, params.SecretId);
  secretsState.of(ctx).secrets.delete(s.name);
  return { ARN: s.arn, Name: s.name, DeletionDate: new Date(ctx.sandbox.now()) };
}

export const secretsManagerService: ServiceDefinition = {
  name: "secretsmanager",
  protocol: "json",
  actions: { CreateSecret: createSecret, GetSecretValue: getSecretValue, DeleteSecret: deleteSecret },
};
