import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CloudTrailBridgeEvent } from "../sandbox/emulator/services/cloudtrail/record.js";
import { childExecArgv } from "./cpu-profile.js";
import type { FromChild, SandboxLatency, ToChild } from "./child-protocol.js";
import type { OrgOptions } from "./org.js";

const CHILD = fileURLToPath(new URL("./sandbox-child.ts", import.meta.url));

type Ready = Extract<FromChild, { type: "ready" }>;
type Detections = Omit<Extract<FromChild, { type: "detections" }>, "type">;

/** The hub process's handle on the sandbox child. */
export class SandboxProcess {
  private readonly eventListeners = new Set<(event: CloudTrailBridgeEvent) => void>();
  private pendingDetections?: (detections: Detections) => void;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on("message", (message: FromChild) => {
      if (message.type === "event") for (const listener of this.eventListeners) listener(message.event);
      if (message.type === "detections") this.pendingDetections?.({ regions: message.regions, cpuMs: message.cpuMs });
    });
  }

  static start(org: OrgOptions, latency: SandboxLatency, eventGroups: number): Promise<SandboxProcess> {
    const child = fork(CHILD, [], { execArgv: childExecArgv("sandbox"), stdio: ["ignore", "inherit", "inherit", "ipc"] });
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromChild) => {
        if (message.type === "ready") {
          child.off("message", onMessage);
          resolve(new SandboxProcess(child, message));
        } else if (message.type === "failed") {
          child.kill();
          reject(new Error(`the sandbox could not start:\n${message.message}`));
        }
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`the sandbox process exited (${code}) before it was ready`)));
      child.send({ type: "start", org, latency, eventGroups } satisfies ToChild);
    });
  }

  /** The detection times the sandbox drew, and its CPU time so far. */
  detections(): Promise<Detections> {
    return new Promise((resolve) => {
      this.pendingDetections = resolve;
      this.child.send({ type: "detections" } satisfies ToChild);
    });
  }

  /** Starts relaying the sandbox's CloudTrail events (as EventBridge would deliver them). */
  onEvent(listener: (event: CloudTrailBridgeEvent) => void): void {
    if (this.eventListeners.size === 0) this.child.send({ type: "subscribe-events" } satisfies ToChild);
    this.eventListeners.add(listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.send({ type: "close" } satisfies ToChild);
    });
  }
}
