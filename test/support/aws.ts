import { createSpokeClients, type SpokeClients } from "../../functions/aws/clients.js";

/**
 * A service error as the SDK v3 throws it: the AWS error code in `name`, the fault side and the
 * HTTP status in `$fault` / `$metadata` (the shape of ServiceException in @smithy/smithy-client).
 */
export function awsError(code: string, message = code, status = 400): Error {
  return Object.assign(new Error(message), { name: code, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } });
}

/** Production client sets on static test credentials; aws-sdk-client-mock intercepts every instance's send. */
export function testSpokeClients(accountId: string, region: string): SpokeClients {
  return createSpokeClients(accountId, region, async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }));
}
