import { fork, type ChildProcess } from "node:child_process";
import { totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { CloudTrailBridgeEvent } from "../sandbox/emulator/services/cloudtrail/record.js";
import { childExecArgv } from "./cpu-profile.js";
import type { FromChild, RegionDetections, SandboxLatency, ToChild } from "./child-protocol.js";
import type { OrgOptions } from "./org.js";

const CHILD = fileURLToPath(new URL("./sandbox-child.ts", import.meta.url));

type Ready = Extract<FromChild, { type: "ready" }>;
type Answer = Extract<FromChild, { type: "detections" | "cpu" | "profiled" }>;

/** The hub process's handle on the sandbox child. */
export class SandboxProcess {
  private readonly eventListeners = new Set<(event: CloudTrailBridgeEvent) => void>();
  /** Questions are asked one at a time and answered in order. */
  private readonly pending: ((answer: Answer) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on("message", (message: FromChild) => {
      if (message.type === "event") for (const listener of this.eventListeners) listener(message.event);
      if (message.type === "detections" || message.type === "cpu" || message.type === "profiled") this.pending.shift()?.(message);
    });
  }

  static start(org: OrgOptions, latency: SandboxLatency, eventGroups: number): Promise<SandboxProcess> {
    // Half the machine's memory for the emulator's heap: Node's default (about 4 GB) does not
    // hold a 100,000-stack organization (--profile fanout-100k).
    const heapMb = Math.floor(totalmem() / 1024 / 1024 / 2);
    const child = fork(CHILD, [], { execArgv: [...childExecArgv("sandbox"), `--max-old-space-size=${heapMb}`], stdio: ["ignore", "inherit", "inherit", "ipc"] });
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

  private ask<T extends Answer["type"]>(question: ToChild, answer: T): Promise<Extract<Answer, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.pending.push((message) => (message.type === answer ? resolve(message as Extract<Answer, { type: T }>) : reject(new Error(`asked the sandbox for ${answer}, it answered ${message.type}`))));
      this.child.send(question);
    });
  }

  /** The detection times the sandbox drew. */
  async detections(): Promise<RegionDetections[]> {
    return (await this.ask({ type: "detections" }, "detections")).regions;
  }

  /** The sandbox process's CPU time so far (user + system), ms. */
  async cpuMs(): Promise<number> {
    return (await this.ask({ type: "cpu" }, "cpu")).cpuMs;
  }

  /** Starts, or stops and writes to `file`, a CPU profile of the sandbox process. */
  async profile(action: "start" | "stop", file: string): Promise<void> {
    await this.ask({ type: "profile", action, file }, "profiled");
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
