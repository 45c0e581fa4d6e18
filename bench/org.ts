import { type Config, type ConfigInput } from "../functions/config/schema.js";
import { configSchema } from "../functions/accounts-file/index.js";
import type { ScenarioInput } from "../sandbox/harness/scenario.js";

/**
 * A generated organization for the benchmark: accounts.yaml as an object, and the sandbox scenario
 * of the same organization (its stacks, the out-of-band changes that drift some of them, and the
 * CloudFormation throttle). Deterministic: the same options give the same org.
 */

export interface OrgOptions {
  accounts: number;
  regions: number;
  stacksPerRegion: number;
  /** Share of stacks changed out of band before the scan, in [0, 1]. */
  driftRate: number;
  /** CloudFormation requests per second per account-region (token bucket; burst = rps). */
  cfnRps: number;
  /** `auto` (the default config) or caps, as `defaults.concurrency` takes them. */
  concurrency: "auto" | { accounts: number; regionsPerAccount: number; stacksPerRegion: number };
}

const HUB = "111111111111";
const MANAGEMENT = "999999999999";
const ORG_ID = "o-bench000001";
const REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1", "ap-northeast-1", "ca-central-1", "sa-east-1"];

export const accountId = (i: number) => String(200000000000 + i);
const stackName = (i: number) => `app-${String(i).padStart(3, "0")}`;

/** Three small stacks, each with one resource driftguard can repair, so drifted stacks go the whole way. */
export const TEMPLATES = {
  "security-group": {
    logicalId: "WebSecurityGroup",
    body: JSON.stringify({
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        WebSecurityGroup: {
          Type: "AWS::EC2::SecurityGroup",
          Properties: { GroupDescription: "HTTPS in", SecurityGroupIngress: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "10.0.0.0/8" }] },
        },
      },
    }),
    /** SSH opened to the world. */
    drift: (group: string) => ({
      service: "ec2",
      action: "AuthorizeSecurityGroupIngress",
      params: { GroupId: group, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] },
    }),
  },
  bucket: {
    logicalId: "DataBucket",
    body: JSON.stringify({
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        DataBucket: {
          Type: "AWS::S3::Bucket",
          Properties: {
            BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          },
        },
      },
    }),
    /**
     * Block Public Access switched off. Not DeleteBucketEncryption: since January 2023 S3 answers
     * it by applying SSE-S3 (API_DeleteBucketEncryption.html), which is what this template asks
     * for, so that "drift" was no drift at all and 800 of the 2,000 planted drifts never showed.
     */
    drift: (bucket: string) => ({
      service: "s3",
      action: "PutPublicAccessBlock",
      params: { Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: false, BlockPublicPolicy: false, IgnorePublicAcls: false, RestrictPublicBuckets: false } },
    }),
  },
  role: {
    logicalId: "AppRole",
    body: JSON.stringify({
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        AppRole: {
          Type: "AWS::IAM::Role",
          Properties: {
            AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] },
            ManagedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
          },
        },
      },
    }),
    drift: (role: string) => ({ service: "iam", action: "AttachRolePolicy", params: { RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" } }),
  },
} as const;

type TemplateKind = keyof typeof TEMPLATES;
const KINDS = Object.keys(TEMPLATES) as TemplateKind[];

/** Stack i of an account-region: its template rotates so every account-region has each kind. */
export function stackKind(i: number): TemplateKind {
  return KINDS[i % KINDS.length]!;
}

/** Evenly spread drift: stack k (counting across the org) drifts when floor(k·rate) steps up. */
function drifts(k: number, rate: number): boolean {
  return Math.floor((k + 1) * rate) > Math.floor(k * rate);
}

export function benchRegions(count: number): string[] {
  if (count < 1 || count > REGIONS.length) throw new Error(`--regions must be between 1 and ${REGIONS.length}`);
  return REGIONS.slice(0, count);
}

export function benchConfig(options: Pick<OrgOptions, "accounts" | "regions" | "concurrency" | "cfnRps">): Config {
  const input: ConfigInput = {
    version: 1,
    organization: { id: ORG_ID },
    hub: { accountId: HUB, region: "us-east-1" },
    defaults: {
      regions: benchRegions(options.regions),
      // The whole path: detect, then repair and verify what drifted.
      mode: "remediate",
      // The operator's quota as configured: the sandbox's per-account-region rate.
      concurrency: { ...(options.concurrency === "auto" ? {} : options.concurrency), cloudFormationPerSecond: options.cfnRps },
      // Large enough that the blast radius does not cut the drifted stacks' work short.
      remediation: { maxPerRun: 100_000, maxPerAccount: 10_000 },
    },
    accounts: Array.from({ length: options.accounts }, (_, i) => ({ id: accountId(i), name: `team-${String(i).padStart(4, "0")}` })),
  };
  return configSchema.parse(input);
}

export interface BenchOrg {
  config: Config;
  scenario: ScenarioInput;
  stacks: number;
  driftedStacks: number;
}

export function benchOrg(options: OrgOptions): BenchOrg {
  const config = benchConfig(options);
  const regions = benchRegions(options.regions);
  const stacks: NonNullable<ScenarioInput["stacks"]> = [];
  const drift: NonNullable<ScenarioInput["drift"]> = [];
  let k = 0;
  for (let a = 0; a < options.accounts; a++) {
    for (const region of regions) {
      for (let s = 0; s < options.stacksPerRegion; s++, k++) {
        const name = stackName(s);
        const template = TEMPLATES[stackKind(s)];
        stacks.push({ account: accountId(a), region, name, templateBody: template.body });
        if (drifts(k, options.driftRate)) drift.push({ account: accountId(a), region, ...template.drift(`\${physical:${name}/${template.logicalId}}`) });
      }
    }
  }
  return {
    config,
    stacks: stacks.length,
    driftedStacks: drift.length,
    scenario: {
      organization: { managementAccount: MANAGEMENT, id: ORG_ID },
      accounts: [
        { id: MANAGEMENT, name: "management" },
        { id: HUB, name: "driftguard-hub" },
        ...config.accounts.map((a) => ({ id: a.id, name: a.name })),
      ],
      stacks,
      drift,
      faults: [{ service: "cloudformation", throttle: { rps: options.cfnRps, burst: Math.max(1, Math.round(options.cfnRps)) } }],
      seed: 7,
    },
  };
}
