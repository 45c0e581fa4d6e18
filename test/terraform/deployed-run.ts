import type { Config } from "../../functions/config/schema.js";
import { driftguardNames } from "../../modules/names.js";
import { deliveries } from "../../sandbox/emulator/services/events/delivery.js";
import { onAsyncInvocation, type AsyncInvocation } from "../../sandbox/emulator/services/lambda/invoke.js";
import { scannerArn } from "../../sandbox/harness/deploy.js";
import type { BareSandbox } from "../../sandbox/harness/server.js";

/**
 * What the tests of a deployed driftguard read back (deploy.test.ts in CI, deploy-run.test.ts
 * behind DRIFTGUARD_TF_RUN): the scenario's resources in the emulated accounts, and the deployed
 * scanner's invocations for a change made in a spoke.
 */

const REGION = "us-east-1";

/** The physical id of `logicalId` in the live stack `stack` of `account` (us-east-1). */
export function physicalId(sandbox: BareSandbox, account: string, stack: string, logicalId: string): string {
  const stacks = sandbox.world.accounts.get(account)?.regions.get(REGION)?.stacks ?? [];
  const id = stacks.find((s) => s.stackName === stack && s.status !== "DELETE_COMPLETE")?.resources.find((r) => r.logicalId === logicalId)?.physicalId;
  if (!id) throw new Error(`${stack}/${logicalId} not deployed in ${account}`);
  return id;
}

/** The group's ingress rules open to the whole internet on `port`, as the account holds them. */
export function worldOpen(sandbox: BareSandbox, account: string, groupId: string, port: number) {
  return (sandbox.world.accounts.get(account)?.regions.get(REGION)?.securityGroups.get(groupId)?.ingress ?? []).filter((r) => r.fromPort === port && r.cidrIpv4 === "0.0.0.0/0");
}

/**
 * SSH opened to the world on `groupId` in `account` by an administrator (a change no scan made),
 * and the deployed scanner's asynchronous invocation for that change's CloudTrail event, which
 * reaches it only through the deployed rules (spoke default bus → forwarder role → hub bus
 * policy → hub rule → Lambda resource policy). Resolves with the invocation and the deliveries of
 * its event, hop by hop.
 */
export function openSshAndAwaitScanner(
  sandbox: BareSandbox,
  config: Config,
  account: string,
  groupId: string,
  timeoutMs = 120_000,
): Promise<{ invocation: AsyncInvocation; hops: () => typeof deliveries }> {
  const names = driftguardNames(config);
  const before = deliveries.length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no invocation of ${names.scannerFunction} for the change within ${timeoutMs / 1000} s; deliveries: ${JSON.stringify(deliveries.slice(-6))}`));
    }, timeoutMs);
    const stop = onAsyncInvocation((o) => {
      const e = o.event as { id?: string; detail?: { eventName?: string; requestParameters?: { groupId?: string } } };
      if (o.functionArn === scannerArn(config) && e.detail?.eventName === "AuthorizeSecurityGroupIngress" && e.detail.requestParameters?.groupId === groupId) {
        clearTimeout(timer);
        stop();
        resolve({ invocation: o, hops: () => deliveries.slice(before).filter((d) => d.eventId === e.id) });
      }
    });
    sandbox
      .dispatch(account, REGION, "ec2", "AuthorizeSecurityGroupIngress", {
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "after the deploy" }] }],
      })
      .catch(reject);
  });
}
