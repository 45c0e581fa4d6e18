import { matchesPattern } from "../pointer.js";
import { pattern, type FalsePositiveClass } from "./types.js";

/**
 * Values whose spelling the service changes on write: it lower- or upper-cases them (or, for EC2
 * protocols, replaces the number by its name) and drift detection compares the texts. Only the
 * listed properties are folded, so a real change (tcp to udp) still counts.
 */
interface CaseRule {
  resourceType: string;
  path: readonly string[];
  /** Where the behaviour is documented. */
  source: string;
}

const RULES: readonly CaseRule[] = [
  // EC2 stores IpProtocol lower-case and names 1/6/17/58 icmp/tcp/udp/icmpv6 (measured against
  // real AWS in go-to-k/cdkd#1650; "TCP" read back "tcp" in go-to-k/cdk-real-drift#877).
  ...["SecurityGroupIngress", "SecurityGroupEgress"].map((list) => ({
    resourceType: "AWS::EC2::SecurityGroup",
    path: pattern(`${list}/*/IpProtocol`),
    source: "go-to-k/cdk-real-drift#877",
  })),
  { resourceType: "AWS::EC2::SecurityGroupIngress", path: pattern("IpProtocol"), source: "go-to-k/cdkd#1650" },
  { resourceType: "AWS::EC2::SecurityGroupEgress", path: pattern("IpProtocol"), source: "go-to-k/cdkd#1650" },
  { resourceType: "AWS::DMS::Endpoint", path: pattern("EndpointIdentifier"), source: "cloudformation-coverage-roadmap#2565" },
  { resourceType: "AWS::DMS::Endpoint", path: pattern("S3Settings/CompressionType"), source: "cloudformation-coverage-roadmap#2566" },
  { resourceType: "AWS::DMS::ReplicationTask", path: pattern("ReplicationTaskIdentifier"), source: "cloudformation-coverage-roadmap#2561" },
  { resourceType: "AWS::DMS::ReplicationSubnetGroup", path: pattern("ReplicationSubnetGroupIdentifier"), source: "cloudformation-coverage-roadmap#2560" },
  // Oracle stores DBName upper-case; RDS lower-cases identifiers (aws-cloudformation-resource-providers-rds#252, #431).
  { resourceType: "AWS::RDS::DBInstance", path: pattern("DBName"), source: "cloudformation-coverage-roadmap#1530" },
  { resourceType: "AWS::RDS::DBInstance", path: pattern("DBInstanceIdentifier"), source: "aws-cloudformation-resource-providers-rds#252" },
  { resourceType: "AWS::RDS::DBInstance", path: pattern("NetworkType"), source: "aws-cloudformation-resource-providers-rds#431" },
];

/** The IANA protocol numbers EC2 replaces by a name; every other number is kept as written. */
const EC2_PROTOCOL_NAMES: Readonly<Record<string, string>> = { "1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6" };

export const serviceCase: FalsePositiveClass = {
  id: "service-case",
  summary: "a value whose case (or protocol number) the service changes on write",
  roadmapIssues: [2565, 2561, 2560, 2566, 1530],
  normalise(node, at) {
    if ((typeof node !== "string" && typeof node !== "number") || !RULES.some((r) => r.resourceType === at.resourceType && matchesPattern(r.path, at.path))) {
      return node;
    }
    const folded = String(node).toLowerCase();
    return at.path.at(-1) === "IpProtocol" ? (EC2_PROTOCOL_NAMES[folded] ?? folded) : folded;
  },
};
