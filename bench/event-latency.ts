import { performance } from "node:perf_hooks";
import { AuthorizeSecurityGroupIngressCommand, EC2Client } from "@aws-sdk/client-ec2";
import { type EventDeps, handleChangeEvent } from "../functions/events/index.js";
import type { CallTrace, TracedCall } from "./call-trace.js";
import type { SandboxProcess } from "./sandbox-process.js";

/**
 * Event → revert latency: SSH opened to the world on a stack's security group, by the account's
 * root user over the wire; the sandbox's CloudTrail event is relayed as EventBridge would deliver
 * it to the production event path. Timed from sending the change until the handler has returned
 * with the group reverted (and verified IN_SYNC). One group per trial: repairing one resource in
 * consecutive runs is what the flapping guard exists to stop.
 */

const TIMEOUT_MS = 30_000;

export interface EventTrial {
  ms: number;
  /** The event path's AWS calls during the trial (call-trace.ts), timed from sending the change. */
  calls: TracedCall[];
}

export async function eventLatencies(sandbox: SandboxProcess, deps: EventDeps, trace: CallTrace): Promise<EventTrial[]> {
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
  const trials: EventTrial[] = [];
  try {
    for (const groupId of eventTarget.groupIds) {
      const reverted = new Promise<number>((resolve, reject) => {
        waiting.set(groupId, resolve);
        setTimeout(() => reject(new Error(`${groupId} was not reverted within ${TIMEOUT_MS / 1000} s of the change`)), TIMEOUT_MS).unref();
      });
      const started = performance.now();
      trace.reset();
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "bench: ssh from anywhere" }] }],
        }),
      );
      trials.push({ ms: (await reverted) - started, calls: trace.calls });
      waiting.delete(groupId);
    }
  } finally {
    ec2.destroy();
  }
  return trials;
}
