import { createSpokeClients, type SpokeClients } from "../../functions/aws/clients.js";

/** An SDK-style service error: the AWS error code travels in `name`. */
export function awsError(code: string, message = code): Error {
  return Object.assign(new Error(message), { name: code, $metadata: {} });
}

/** Production client sets on static test credentials; aws-sdk-client-mock intercepts every instance's send. */
export function testSpokeClients(accountId: string, region: string): SpokeClients {
  return createSpokeClients(accountId, region, async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }));
}
