import { operationSchema } from "./sandbox/protocol/sdk-schemas.js";
for (const [s,a] of [["ec2","CreateTags"],["iam","AttachRolePolicy"],["s3","PutPublicAccessBlock"],["ec2","CreateSecurityGroup"]]) {
  const o = operationSchema(s!,a!)!.output;
  console.log(s,a,o.isStructSchema(), o.isStructSchema() ? Object.keys(o.getMemberSchemas()) : o.getName(), JSON.stringify(o.getMergedTraits()));
}
