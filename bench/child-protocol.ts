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
  /** The child's CPU so far: read right before and right after the measured scan (scan-window.ts). */
  | { type: "cpu" }
  /** `--cpu-prof`: profile the child during the measured scan only, written to `file` at "stop". */
  | { type: "profile"; action: "start" | "stop"; file: string }
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
    }
  | { type: "detections"; regions: RegionDetections[] }
  | { type: "cpu"; cpuMs: number }
  | { type: "profiled" }
  | { type: "event"; event: CloudTrailBridgeEvent }
  | { type: "failed"; message: string };
