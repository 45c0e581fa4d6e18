import { setTimeout as sleep } from "node:timers/promises";
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  paginateListStacks,
} from "@aws-sdk/client-cloudformation";
import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import type { CallCounter } from "./call-counter.js";

/**
 * The baseline: a port of the classic single-account drift-detection Lambda sample, run account
 * by account. One stack at a time: DetectStackDrift, then sleep 1 s and read the detection status
 * until it is done, then DescribeStackResourceDrifts. No concurrency, no backoff.
 */

export interface NaiveTarget {
  accountId: string;
  region: string;
}

const POLL_MS = 1_000;

export async function naiveScan(targets: NaiveTarget[], options: { sts: STSClient; roleName: string; counter: CallCounter }): Promise<{ stacks: number; ms: number }> {
  const started = Date.now();
  let stacks = 0;
  for (const { accountId, region } of targets) {
    const assumed = await options.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${options.roleName}`, RoleSessionName: "naive-drift-check" }));
    const c = assumed.Credentials!;
    const cfn = new CloudFormationClient({
      region,
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken },
    });
    options.counter.attach(cfn, accountId, region);
    try {
      for await (const page of paginateListStacks({ client: cfn }, { StackStatusFilter: ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"] })) {
        for (const summary of page.StackSummaries ?? []) {
          const { StackDriftDetectionId } = await cfn.send(new DetectStackDriftCommand({ StackName: summary.StackName }));
          for (;;) {
            await sleep(POLL_MS);
            const status = await cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
            if (status.DetectionStatus !== "DETECTION_IN_PROGRESS") break;
          }
          await cfn.send(new DescribeStackResourceDriftsCommand({ StackName: summary.StackName }));
          stacks++;
        }
      }
    } finally {
      cfn.destroy();
    }
  }
  return { stacks, ms: Date.now() - started };
}
