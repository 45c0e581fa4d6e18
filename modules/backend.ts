import { S3Backend, type TerraformStack } from "cdktf";
import type { Config } from "../functions/config/schema.js";

/**
 * Remote state in S3 when accounts.yaml asks for it (one key per stack). Otherwise nothing is
 * configured and cdktf keeps local state in terraform.<stack>.tfstate.
 */
export function configureBackend(stack: TerraformStack, config: Config, stackName: string): void {
  const s3 = config.hub.backend?.s3;
  if (s3 === undefined) return;
  new S3Backend(stack, {
    bucket: s3.bucket,
    key: `${s3.keyPrefix}/${stackName}.tfstate`,
    region: s3.region,
    encrypt: s3.encrypt,
    dynamodbTable: s3.dynamodbTable,
  });
}
