import { accountIdPrincipal } from "./account-id-principal.js";
import { bucketEncryptionRemove } from "./bucket-encryption-remove.js";
import { kmsKeyId } from "./kms-key-id.js";
import { listOrder } from "./list-order.js";
import { policyForm } from "./policy-form.js";
import { serviceCase } from "./service-case.js";
import { serviceDefaults } from "./service-defaults.js";
import type { FalsePositiveClass } from "./types.js";

/** Every known false-positive class, in the order they are applied to a node (policy-form parses first). */
export const FALSE_POSITIVE_CLASSES: readonly FalsePositiveClass[] = [
  policyForm,
  accountIdPrincipal,
  serviceCase,
  serviceDefaults,
  kmsKeyId,
  listOrder,
  bucketEncryptionRemove,
];

/** IAM actions the evidence probes call; the spoke role grants them (permissions.ts). */
export function falsePositiveActions(): string[] {
  return [...new Set(FALSE_POSITIVE_CLASSES.flatMap((c) => c.evidence?.actions ?? []))];
}
