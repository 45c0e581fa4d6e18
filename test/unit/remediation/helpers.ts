import type { AwsClientStub } from "aws-sdk-client-mock";
import type { SpokeClients } from "../../../functions/aws/clients.js";
import { testSpokeClients } from "../../support/aws.js";

export { awsError } from "../../support/aws.js";

export function spokeClients(accountId = "111122223333", region = "us-east-1"): SpokeClients {
  return testSpokeClients(accountId, region);
}

const READ = /^(Get|List|Describe)/;

/** Names of the commands sent that change something (everything but Get*, List*, Describe*). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function writes(...mocks: AwsClientStub<any>[]): string[] {
  return mocks.flatMap((m) => m.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ""))).filter((n) => !READ.test(n));
}
