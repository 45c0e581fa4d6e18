import type { SandboxCredentials } from "../sandbox/harness/server.js";
import type { CloudTrailBridgeEvent } from "../sandbox/emulator/services/cloudtrail/record.js";
import type { OrgOptions } from "./org.js";

/**
 * Messages between the benchmark (the hub process) and the sandbox it runs in a child process,
 * so that the hub's peak RSS is its own.
 */

export interface SandboxLatency {
  apiMs: number;
  detectionMs: [number, number];
}

export type ToChild =
  | { type: "start"; org: OrgOptions; latency: SandboxLatency; eventGroups: number }
  | { type: "detections" }
  | { type: "subscribe-events" }
  | { type: "close" };

/** How long each drift detection of a stack took, as the sandbox drew it. */
export interface StackDetections {
  stackName: string;
  detectionMs: number[];
}

export interface RegionDetections {
  accountId: string;
  region: string;
  stacks: StackDetections[];
}

/** Security groups of stacks the event-latency trials change, one per trial (a repaired group must not look like flapping). */
export interface EventTarget {
  accountId: string;
  region: string;
  groupIds: string[];
  admin: SandboxCredentials;
}

export type FromChild =
  | {
      type: "ready";
      endpoint: string;
      hubRegion: string;
      reportBucket: string;
      topicArn: string;
      hubCredentials: SandboxCredentials;
      eventTarget: EventTarget;
      setupMs: number;
      /** The child's CPU time so far (user + system), ms: the scan's share is the difference with `detections`. */
      cpuMs: number;
    }
  | { type: "detections"; regions: RegionDetections[]; cpuMs: number }
  | { type: "event"; event: CloudTrailBridgeEvent }
  | { type: "failed"; message: string };
