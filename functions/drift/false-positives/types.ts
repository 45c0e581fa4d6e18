import type { SpokeClients } from "../../aws/clients.js";
import type { Segment } from "../pointer.js";

/**
 * A class of difference CloudFormation drift detection reports although nothing changed: the
 * service stores a value in another spelling, fills in a default, reorders a set, or CloudFormation
 * reads the resource wrongly. One file per class under false-positives/, listed once in
 * registry.ts; each names the aws-cloudformation/cloudformation-coverage-roadmap issues that
 * document it.
 */

/** Where in a resource's Properties a node sits, and whose resource it is. */
export interface NodeContext {
  resourceType: string;
  /** Segments from the Properties root: ["SecurityGroupIngress", 0, "IpProtocol"]. */
  path: readonly Segment[];
  accountId: string;
  region: string;
  /** "aws", "aws-cn", "aws-us-gov": the partition of the resource's ARNs. */
  partition: string;
}

/**
 * A live value read by driftguard itself, replacing what CloudFormation reported as actual, for
 * classes where CloudFormation's own read is what is wrong (#2554: BucketEncryption read as null).
 */
export interface EvidenceProbe {
  resourceType: string;
  /** Top-level property the probe reads, e.g. "BucketEncryption". */
  property: string;
  /** IAM actions `read` calls, for the spoke role (permissions.ts). */
  actions: readonly string[];
  /** The live value in template shape; undefined when the resource has none. */
  read(physicalId: string, clients: SpokeClients): Promise<unknown>;
}

export interface FalsePositiveClass {
  /** Stable id used in reports: "account-id-principal". */
  id: string;
  /** What CloudFormation does, in one line, for the report. */
  summary: string;
  /** aws-cloudformation/cloudformation-coverage-roadmap issue numbers documenting the class. */
  roadmapIssues: readonly number[];
  /**
   * Rewrites one node of a Properties document into the form both sides share; returns it
   * unchanged when the class does not apply there. Must be idempotent: it runs before and after
   * the node's children are normalised. `node` may be undefined (a property one side lacks).
   */
  normalise(node: unknown, at: NodeContext): unknown;
  /** Set when the class needs a live read to decide (see EvidenceProbe). */
  evidence?: EvidenceProbe;
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** "SecurityGroupIngress/*\/IpProtocol" as segments, for path tables. */
export const pattern = (text: string): readonly string[] => text.split("/");
