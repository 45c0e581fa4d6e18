import { performance } from "node:perf_hooks";
import { AuthorizeSecurityGroupIngressCommand, EC2Client } from "@aws-sdk/client-ec2";
import { type EventDeps, handleChangeEvent } from "../functions/events/index.js";
import type { SandboxProcess } from "./sandbox-process.js";

/**
 * Event → revert latency: SSH opened to the world on a stack's security group, by the account's
 * root user over the wire; the sandbox's CloudTrail event is relayed as EventBridge would deliver
 * it to the production event path. Timed from sending the change until the handler has returned
 * with the group reverted (and verified IN_SYNC). One group per trial: repairing one resource in
 * consecutive runs is what the flapping guard exists to stop.
 */

const TIMEOUT_MS = 30_000;

export async function eventLatencies(sandbox: SandboxProcess, deps: EventDeps): Promise<number[]> {
  const { eventTarget } = sandbox.ready;
  const waiting = new Map<string, (at: number) => void>();
  sandbox.onEvent((event) => {
    void handleChangeEvent(event, deps).then((outcome) => {
      if (outcome.status !== "handled") return;
      for (const result of outcome.report.results) {
        if (result.action.outcome === "remediated") waiting.get(result.resource.physicalId)?.(performance.now());
      }
    });
  });

  const ec2 = new EC2Client({ region: eventTarget.region, credentials: eventTarget.admin });
  const latencies: number[] = [];
  try {
    for (const groupId of eventTarget.groupIds) {
      const reverted = new Promise<number>((resolve, reject) => {
        waiting.set(groupId, resolve);
        setTimeout(() => reject(new Error(`${groupId} was not reverted within ${TIMEOUT_MS / 1000} s of the change`)), TIMEOUT_MS).unref();
      });
      const started = performance.now();
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "bench: ssh from anywhere" }] }],
        }),
      );
      latencies.push((await reverted) - started);
      waiting.delete(groupId);
    }
  } finally {
    ec2.destroy();
  }
  return latencies;
}
