import type { ConfigInput } from "../../functions/config/schema.js";

/** Region triples rotated over the accounts; two of them lack us-east-1, so IAM-only rules appear. */
const REGION_SETS = [
  ["us-east-1", "eu-west-1", "ap-southeast-2"],
  ["eu-west-1", "eu-central-1", "eu-north-1"],
  ["us-west-2", "ca-central-1", "sa-east-1"],
];

/** Three OUs, one per region set, as a StackSet deployment onboards them. */
const OUS = ["ou-gen0-teams000", "ou-gen0-europe00", "ou-gen0-americas"];

/**
 * An organization the size of a real one: `accounts` accounts (the hub among them) × 3 regions, with
 * varied overrides. With `stackset`, the same organization onboarded by OU: spokes by StackSets,
 * one OU per region set, a retired account and an exclusion.
 */
export function generatedOrg(accounts: number, deployment: "terraform" | "stackset" = "terraform"): ConfigInput {
  const base = generatedTerraformOrg(accounts);
  if (deployment === "terraform") return base;
  return {
    ...base,
    spoke: { deployment: "stackset", stackSet: { administratorAccountId: "900000000001", callAs: "DELEGATED_ADMIN", bootstrapRoleName: "OrganizationAccountAccessRole" } },
    organizationalUnits: OUS.map((id, i) => ({ id, regions: REGION_SETS[i]!, ...(i === 0 ? { mode: "remediate" as const } : {}) })),
    exclude: ["919999999999"],
    accounts: [...base.accounts.slice(0, 5), { id: "918888888888", name: "closed-team", status: "retired" as const }],
  };
}

function generatedTerraformOrg(accounts: number): ConfigInput {
  return {
    version: 1,
    organization: { id: "o-generated001" },
    hub: {
      accountId: "900000000000",
      region: "us-east-1",
      schedule: "cron(0 */4 * * ? *)",
      // An organization this size is what fan-out is for; the example accounts.yaml covers single.
      execution: "fanout",
      fanout: { maxConcurrency: 25 },
      notifications: { emails: ["drift@example.com"], subscriptions: [{ protocol: "https", endpoint: "https://hooks.example.com/drift" }] },
      backend: { s3: { bucket: "generated-tf-state", region: "us-east-1", dynamodbTable: "tf-locks" } },
    },
    defaults: { regions: ["us-east-1"], mode: "report" },
    accounts: [
      { id: "900000000000", name: "hub", isHub: true, regions: REGION_SETS[0]! },
      ...Array.from({ length: accounts - 1 }, (_, i) => ({
        id: String(910000000000 + i),
        name: `team-${String(i).padStart(2, "0")}`,
        regions: REGION_SETS[i % REGION_SETS.length]!,
        ...(i % 4 === 0 ? { mode: "remediate" as const } : {}),
        ...(i % 7 === 0 ? { bootstrapRoleName: "AWSControlTowerExecution" } : {}),
        ...(i % 5 === 0 ? { stacks: { include: ["app-*"], exclude: ["app-sandbox-*"] } } : {}),
      })),
    ],
  };
}
