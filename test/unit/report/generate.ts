import type { AccountReport, ActionOutcome, ResourceReport, StackReport } from "../../../functions/core/types.js";
import { resource, sampleReport } from "./sample.js";

/**
 * A synthetic organization at the scale issue 18 measured (about 4,800 stacks, 300 accounts),
 * deterministic so sizes are comparable run to run. One stack in `driftEvery` (default 10) drifts
 * with one to three resources; outcomes cycle through every ActionOutcome; one account in fifty failed to assume
 * its role. Member-controlled strings (tag values, descriptions) carry Markdown/HTML to prove
 * escaping survives at scale.
 */
export interface Fleet {
  accounts: number;
  stacksPerAccount: number;
  regions?: string[];
  driftEvery?: number;
}

const OUTCOMES: ActionOutcome[] = ["remediated", "planned", "skipped", "manual", "failed"];
const TYPES = ["AWS::IAM::Role", "AWS::EC2::SecurityGroup", "AWS::S3::Bucket", "AWS::Lambda::Function"];

export function fleetReport(fleet: Fleet) {
  return sampleReport(fleetAccounts(fleet));
}

/** The organization's account rows as the scanner would hand them over, every stack listed. */
export function fleetAccounts({ accounts, stacksPerAccount, regions = ["us-east-1", "eu-west-1"], driftEvery = 10 }: Fleet): AccountReport[] {
  const out: AccountReport[] = [];
  let k = 0;
  let seq = 0;
  for (let a = 0; a < accounts; a++) {
    const accountId = String(100000000000 + a * 7919).padStart(12, "0");
    const name = `team-${String(a).padStart(3, "0")}`;
    if (a % 50 === 49) {
      out.push({ accountId, name, status: "failed", mode: "report", error: { code: "AccessDenied", message: `cannot assume arn:aws:iam::${accountId}:role/driftguard-spoke` }, regions: [] });
      continue;
    }
    out.push({
      accountId,
      name,
      status: "scanned",
      mode: a % 2 === 0 ? "remediate" : "report",
      regions: regions.map((region, ri) => {
        const stacks: StackReport[] = [];
        const count = Math.floor(stacksPerAccount / regions.length) + (ri < stacksPerAccount % regions.length ? 1 : 0);
        for (let s = 0; s < count; s++) {
          const stackName = `svc-${s}-${region}`;
          const stackId = `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/0f2b8a30-e4cd-11ee-b9fb-${String(k).padStart(12, "0")}`;
          const drifted = k++ % driftEvery === 0;
          const resources: ResourceReport[] = drifted ? Array.from({ length: 1 + (k % 3) }, (_, i) => driftedResource(accountId, k * 3 + i, seq++)) : [];
          stacks.push({ stackName, stackId, stackStatus: "UPDATE_COMPLETE", scan: "scanned", driftStatus: drifted ? "DRIFTED" : "IN_SYNC", exemption: { kind: "none" }, resources });
        }
        return { region, status: "scanned", stacks };
      }),
    });
  }
  return out;
}

function driftedResource(accountId: string, n: number, seq: number): ResourceReport {
  const type = TYPES[n % TYPES.length]!;
  const outcome = OUTCOMES[seq % OUTCOMES.length]!;
  return resource({
    logicalResourceId: `Res${n}`,
    resourceType: type,
    physicalResourceId: `phys-${n}-1R2XMPL3Q4W5E`,
    // Each resource's documents name it (as real ones do: names, ARNs), so the page's document
    // table cannot shrink them to one entry the way identical documents would.
    expected: { Arn: `arn:aws:lambda:us-east-1:${accountId}:function:phys-${n}`, Description: "owned by platform", Tags: [{ Key: "team", Value: "platform" }], Timeout: 30 },
    actual: { Arn: `arn:aws:lambda:us-east-1:${accountId}:function:phys-${n}`, Description: "# hijack <img src=x onerror=alert(1)> [click](https://evil.example)", Tags: [{ Key: "team", Value: "a|b`c`" }], Timeout: 900 },
    differences: [
      { propertyPath: "/Description", expectedValue: "owned by platform", actualValue: "# hijack <img src=x onerror=alert(1)> [click](https://evil.example)", differenceType: "NOT_EQUAL" },
      { propertyPath: "/Timeout", expectedValue: "30", actualValue: "900", differenceType: "NOT_EQUAL" },
    ],
    action: { outcome, reason: `${outcome} by the generator`, steps: outcome === "remediated" ? ["lambda:UpdateFunctionConfiguration Timeout=30"] : [] },
    changedBy: { arn: `arn:aws:sts::${accountId}:assumed-role/Admin/alice`, type: "AssumedRole", eventName: "UpdateFunctionConfiguration20150331v2", eventTime: "2026-01-02T02:00:00Z", source: "cloudtrail-lookup" },
  });
}
